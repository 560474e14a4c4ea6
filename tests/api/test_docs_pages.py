"""The docs on HTTP: /docs pages (HTML and markdown), /llms.txt, search_docs and get_doc on /v1 and through
/v1/tool_calls (no key needed), and every /docs link in docs/*.md resolving to a page and an anchor."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from flint_core.agent_docs.docs_index import DOCS_DIR, default_index
from flint_core.kernel.errors import CATALOG
from tests.conftest import BASE_URL, Api

LINK = re.compile(r"\]\((/docs/[^)\s]*|#[^)\s]*)\)")


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.ids += [value for name, value in attrs if name == "id" and value]


def html_ids(client: Any, slug: str) -> list[str]:
    response = client.get(f"/docs/{slug}")
    assert response.status_code == 200, slug
    parser = _Ids()
    parser.feed(response.text)
    return parser.ids


def _links() -> list[tuple[str, str, str]]:
    """(file, slug, anchor) for every /docs link and in-page #anchor link of docs/*.md."""
    links = []
    for path in sorted(DOCS_DIR.glob("*.md")):
        text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
        for target in LINK.findall(text):
            page, _, anchor = target.partition("#")
            links.append((path.name, page.removeprefix("/docs/").removesuffix(".md") or path.stem, anchor))
    return links


def test_every_docs_link_resolves(client: Any) -> None:
    index = default_index()
    links = _links()
    assert len(links) > 100
    broken = []
    rendered: dict[str, list[str]] = {}
    for source, slug, anchor in links:
        page = index.page(slug)
        if page is None:
            broken.append(f"{source}: /docs/{slug} (no such page)")
            continue
        if slug not in rendered:
            rendered[slug] = html_ids(client, slug)
        if anchor and (anchor not in page.anchors or anchor not in rendered[slug]):
            broken.append(f"{source}: /docs/{slug}#{anchor}")
    assert broken == [], "\n".join(sorted(set(broken)))


def test_every_error_doc_url_resolves(client: Any) -> None:
    ids = html_ids(client, "errors")
    assert len(ids) == len(set(ids)), "duplicate ids on /docs/errors"
    for spec in CATALOG.values():
        assert spec.doc_url == f"/docs/errors#{spec.code}" and spec.code in ids, spec.code


def test_pages_as_html(client: Any) -> None:
    pages = default_index().pages()
    listing = client.get("/docs")
    assert listing.status_code == 200 and listing.headers["content-type"].startswith("text/html")
    for page in pages:
        assert f'href="/docs/{page.slug}"' in listing.text
    response = client.get("/docs/refunds")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "<title>Refunds · Flint docs</title>" in response.text
    assert '<h2 id="retrying-create_refund">' in response.text and "<table>" in response.text
    assert 'href="#retrying-create_refund"' in response.text  # each heading links to itself
    parser = _Ids()
    parser.feed(response.text)
    assert not parser.tags & {"script", "link", "img", "iframe"}, "self-contained: no external assets"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    search = client.get("/docs", params={"q": "order_not_refundable"})
    assert search.status_code == 200 and 'href="/docs/errors#order_not_refundable"' in search.text
    assert "<mark>order_not_refundable</mark>" in search.text


def test_pages_as_markdown(client: Any) -> None:
    source = (DOCS_DIR / "refunds.md").read_text(encoding="utf-8")
    for response in (client.get("/docs/refunds.md"), client.get("/docs/refunds", headers={"Accept": "text/markdown"})):
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/markdown")
        assert response.text == source
    browser = client.get("/docs/refunds", headers={"Accept": "text/html,text/markdown;q=0.5"})
    assert browser.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(("path", "kind"), [("/docs/nope", "text/html"), ("/docs/nope.md", "text/markdown"),
                                          ("/docs/Refunds", "text/html"), ("/docs/..%2Fpyproject", "application/json")])
def test_unknown_pages_are_404(client: Any, path: str, kind: str) -> None:
    response = client.get(path)
    assert response.status_code == 404 and response.headers["content-type"].startswith(kind)


def test_llms_txt(client: Any) -> None:
    response = client.get("/llms.txt")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert lines[0] == "# Flint" and lines[2].startswith("> ")
    for page in default_index().pages():
        entry = re.compile(rf"^- \[{re.escape(page.title)}\]\(http://[^)]+/docs/{page.slug}\.md\): .+$", re.M)
        assert entry.search(response.text), page.slug
    assert "/SKILL.md)" in response.text and "/openapi.json)" in response.text
    assert [line for line in lines if line.startswith("## ")][:2] == ["## Docs", "## Agent resources"]


def test_search_docs_needs_no_key(client: Any) -> None:
    response = client.get("/v1/docs/search", params={"q": "order_not_refundable", "limit": 2})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "list" and body["query"] == "order_not_refundable" and len(body["data"]) == 2
    first = body["data"][0]
    assert first["url"] == f"{BASE_URL}/docs/errors#order_not_refundable" and first["slug"] == "errors"
    assert first["anchor"] == "order_not_refundable" and first["title"] == "Errors"
    assert first["heading_path"] == "Errors > state_conflict_error > order_not_refundable"
    assert "**order_not_refundable**" in first["snippet"] and first["score"] > body["data"][1]["score"]
    assert len(client.get("/v1/docs/search", params={"q": "refund", "limit": 100}).json()["data"]) == 20
    assert client.get("/v1/docs/search", params={"q": "zzzqqq"}).json()["data"] == []


@pytest.mark.parametrize(("params", "code", "param"), [
    ({}, "parameter_missing", "q"), ({"q": ""}, "parameter_invalid", "q"), ({"q": "x" * 201}, "parameter_invalid", "q"),
    ({"q": "refund", "limit": 0}, "parameter_invalid", "limit"), ({"q": "refund", "limit": "many"}, "parameter_invalid",
                                                                  "limit")])
def test_search_docs_bad_input(client: Any, params: dict[str, Any], code: str, param: str) -> None:
    response = client.get("/v1/docs/search", params=params)
    assert response.status_code == 400
    assert (response.json()["error"]["code"], response.json()["error"]["param"]) == (code, param)


def test_get_doc(client: Any) -> None:
    page = client.get("/v1/docs/refunds").json()
    assert page["object"] == "doc_page" and page["title"] == "Refunds" and page["section"] is None
    assert page["markdown"] == (DOCS_DIR / "refunds.md").read_text(encoding="utf-8")
    assert page["url"] == f"{BASE_URL}/docs/refunds"
    assert page["headings"][0] == {"level": 1, "text": "Refunds", "anchor": "refunds",
                                   "url": f"{BASE_URL}/docs/refunds#refunds"}
    section = client.get("/v1/docs/refunds", params={"section": "create_refund"}).json()
    assert section["markdown"].startswith("## create_refund") and "### By line items" in section["markdown"]
    assert "## The refund object" not in section["markdown"]
    assert [h["anchor"] for h in section["headings"]][:2] == ["create_refund", "by-amount"]
    assert section["url"] == f"{BASE_URL}/docs/refunds#create_refund"
    missing = client.get("/v1/docs/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "resource_missing"
    assert missing.json()["error"]["param"] == "slug"
    no_section = client.get("/v1/docs/refunds", params={"section": "nope"})
    assert no_section.status_code == 404 and no_section.json()["error"]["param"] == "section"


def test_docs_through_tool_calls_without_a_key(client: Any) -> None:
    found = client.post("/v1/tool_calls", json={"name": "search_docs", "arguments": {"q": "create_refund", "limit": 1}})
    assert found.status_code == 200, found.text
    hit = found.json()["result"]["data"][0]
    assert hit["url"] == f"{BASE_URL}/docs/refunds#create_refund"
    read = client.post("/v1/tool_calls", json={"name": "get_doc", "arguments": {"slug": hit["slug"],
                                                                                "section": hit["anchor"]}})
    assert read.status_code == 200 and read.json()["result"]["markdown"].startswith("## create_refund")
    # a doc_url from an error envelope works as the slug, absolute (from any server) or only its path
    for doc_url in (f"{BASE_URL}/docs/errors#order_not_refundable", "https://elsewhere.example/docs/errors"
                    "#order_not_refundable", "/docs/errors#order_not_refundable"):
        error_doc = client.post("/v1/tool_calls", json={"name": "get_doc", "arguments": {
            "slug": doc_url, "section": None}})
        assert error_doc.json()["result"]["section"] == "order_not_refundable", doc_url
        assert "HTTP 409" in error_doc.json()["result"]["markdown"]
    bad = client.post("/v1/tool_calls", json={"name": "search_docs", "arguments": {"limit": 2}})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "q"


def test_docs_tools_are_in_every_catalog(api: Api, client: Any) -> None:
    reader = Api(client, api.ok("POST", "/v1/api_keys", {"scopes": ["orders:read"]})["secret"])
    tools = {t["name"]: t for t in reader.ok("GET", "/v1/tools")["data"]}
    assert {"search_docs", "get_doc"} <= set(tools)
    assert tools["search_docs"]["annotations"]["readOnlyHint"] is True
    assert tools["search_docs"]["inputSchema"]["required"] == ["q"]
    assert "idempotency_key" not in tools["get_doc"]["inputSchema"]["properties"]
