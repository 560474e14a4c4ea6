"""The docs as pages: ``/docs`` (index and search), ``/docs/{slug}`` (HTML, or markdown with ``.md`` or
``Accept: text/markdown``) and ``/llms.txt``.

Pages are rendered with markdown-it-py from ``docs/*.md`` through ``flint_core.agent_docs.docs_index``, so every
heading carries the same anchor the docs link to and search returns (``/docs/errors#order_not_refundable``).
Self-contained like the checkout page: inline CSS, no scripts, no external assets.
"""

from __future__ import annotations

import functools
import html
import re
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from flint_core import docs_index

MARKDOWN = "text/markdown; charset=utf-8"
HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                      "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
           "X-Content-Type-Options": "nosniff", "Vary": "Accept"}
SUMMARY = ("Flint is an order-first commerce API built to be driven safely by AI agents: send what is sold and "
           "Flint computes discounts, tax, tips and totals exactly; every object lists its legal next actions, "
           "every write takes an idempotency key, and every error says whether to retry.")
CSS = """*{box-sizing:border-box}body{margin:0;font:16px/1.6 system-ui,-apple-system,"Segoe UI",sans-serif;
color:#1a1a1a;background:#fff}header{border-bottom:1px solid #e2e2e6;padding:.7rem 1.2rem;display:flex;gap:1.2rem;
align-items:center;flex-wrap:wrap}header a{color:#1a1a1a;text-decoration:none}header .brand{font-weight:700}
header form{margin-left:auto}input{font:inherit;padding:.3rem .6rem;border:1px solid #c9c9cf;border-radius:.4rem}
.wrap{display:flex;max-width:72rem;margin:0 auto}nav.side{flex:0 0 14rem;padding:1.2rem;font-size:.9rem;
border-right:1px solid #f0f0f2}nav.side ul{list-style:none;padding:0;margin:0}nav.side li{margin:.2rem 0}
nav.side a{color:#444;text-decoration:none}nav.side a.here{font-weight:700;color:#1a1a1a}
main{flex:1;min-width:0;padding:1.2rem 2rem 4rem}h1,h2,h3,h4{line-height:1.25;margin:1.6em 0 .5em}
h1{margin-top:.4em}.anchor{color:#bbb;text-decoration:none;margin-left:.4rem;font-weight:400;visibility:hidden}
h1:hover .anchor,h2:hover .anchor,h3:hover .anchor,h4:hover .anchor{visibility:visible}
a{color:#2d4fd8}code{font:.88em ui-monospace,SFMono-Regular,Menlo,monospace;background:#f3f3f6;
padding:.1em .3em;border-radius:.3em}pre{background:#f6f6f8;border:1px solid #e8e8ec;border-radius:.5rem;
padding:.8rem 1rem;overflow-x:auto}pre code{background:none;padding:0}table{border-collapse:collapse;
display:block;overflow-x:auto;margin:1rem 0}th,td{border:1px solid #e2e2e6;padding:.35rem .6rem;
vertical-align:top;text-align:left}th{background:#fafafa}blockquote{margin:0;padding-left:1rem;
border-left:3px solid #e2e2e6;color:#555}:target{scroll-margin-top:1rem;background:#fff8d6}
.hit{margin:1.1rem 0}.hit .path{color:#666;font-size:.85rem}.muted{color:#666}
@media (max-width:50rem){nav.side{display:none}main{padding:1rem}}"""


_BOLD = re.compile(r"[*][*](.+?)[*][*]")


def _marked(snippet: str) -> str:
    """A search snippet as HTML: its **matches** in <mark>."""
    return _BOLD.sub(r"<mark>\1</mark>", html.escape(snippet))


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _heading_close(renderer: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
    anchor = tokens[idx - 2].attrGet("id")
    link = f'<a class="anchor" href="#{_e(anchor)}" aria-label="Link to this section">#</a>' if anchor else ""
    return link + renderer.renderToken(tokens, idx, options, env)


@functools.lru_cache(maxsize=64)  # keyed by the page's text, so an edited page renders afresh
def render_markdown(text: str) -> str:
    """Markdown to HTML with GitHub-style heading ids (and the docs' explicit ``<a id>`` anchors)."""
    md = docs_index.markdown()
    md.add_render_rule("heading_close", _heading_close)
    tokens = md.parse(text)
    docs_index.assign_anchors(tokens)
    for i, token in enumerate(tokens):  # an explicit <a id> before a heading: the heading carries the id
        if token.type == "heading_open" and docs_index.explicit_anchor(tokens, i):
            for hidden in tokens[i - 3:i]:
                hidden.hidden, hidden.content, hidden.children = True, "", []
    return md.renderer.render(tokens, md.options, {})


def _layout(title: str, body: str, pages: list[docs_index.Page], current: str | None = None, query: str = "") -> str:
    side = "".join(f'<li><a href="{_e(p.url)}"{" class=here" if p.slug == current else ""}>{_e(p.title)}</a></li>'
                   for p in pages)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width,initial-scale=1"><title>{_e(title)}</title><style>{CSS}</style></head>'
            f'<body><header><a class="brand" href="/docs">Flint docs</a><a href="/llms.txt">llms.txt</a>'
            f'<a href="/SKILL.md">SKILL.md</a><a href="/openapi.json">OpenAPI</a><form action="/docs" '
            f'method="get" role="search"><input type="search" name="q" value="{_e(query)}" '
            f'placeholder="Search the docs" aria-label="Search the docs"></form></header><div class="wrap">'
            f'<nav class="side" aria-label="Pages"><ul>{side}</ul></nav><main>{body}</main></div></body></html>')


def _index_body(pages: list[docs_index.Page]) -> str:
    items = "".join(f'<li><a href="{_e(p.url)}">{_e(p.title)}</a> <span class="muted">{_e(p.description)}</span>'
                    f' (<a href="{_e(p.url)}.md">markdown</a>)</li>' for p in pages)
    return (f"<h1>Flint documentation</h1><p>{_e(SUMMARY)}</p><ul>{items}</ul><p class=muted>For agents: "
            f'<a href="/llms.txt">/llms.txt</a>, <a href="/SKILL.md">/SKILL.md</a>, '
            f'<a href="/openapi.json">/openapi.json</a>, and <code>GET /v1/docs/search?q=...</code>.</p>')


def _search_body(index: docs_index.DocsIndex, query: str) -> str:
    hits = index.search(query[:200], 20)
    rows = "".join(f'<div class="hit"><a href="{_e(h.section.url)}">{_e(h.section.heading)}</a>'
                   f'<div class="path">{_e(h.section.heading_path)}</div>'
                   f'<div>{_marked(h.snippet)}</div></div>' for h in hits)
    return f"<h1>Search: {_e(query)}</h1>" + (rows or "<p>Nothing found.</p>")


def wants_markdown(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/markdown" in accept and "text/html" not in accept


def llms_txt(index: docs_index.DocsIndex, base: str) -> str:
    """The llms.txt index (https://llmstxt.org): title, summary, then the pages as markdown links."""
    pages = [f"- [{p.title}]({base}{p.url}.md): {p.description}" for p in index.pages() if p.slug != "benchmarks"]
    optional = [f"- [{p.title}]({base}{p.url}.md): {p.description}" for p in index.pages() if p.slug == "benchmarks"]
    return "\n".join([
        "# Flint", "", f"> {SUMMARY}", "",
        "Every page is served as HTML at /docs/<slug> and as markdown at /docs/<slug>.md (or with "
        "`Accept: text/markdown`). Search them with `GET /v1/docs/search?q=...` (no key needed).", "",
        "## Docs", "", *pages, "",
        "## Agent resources", "",
        f"- [SKILL.md]({base}/SKILL.md): how an agent should use Flint: critical rules, routing table, "
        "status tables, retry rules and recipes",
        f"- [OpenAPI]({base}/openapi.json): the HTTP API as an OpenAPI document",
        f"- [Docs search]({base}/v1/docs/search?q=create_refund): ranked doc sections as JSON (`search_docs`)",
        "", "## Optional", "", *optional, ""])


def docs_router(public_url: str, index: docs_index.DocsIndex | None = None) -> APIRouter:
    """The docs pages; ``public_url`` prefixes llms.txt's links (the address readers reach this server at, which
    behind a proxy is not the address a request arrived at)."""
    router = APIRouter(include_in_schema=False)

    def docs() -> docs_index.DocsIndex:
        return index or docs_index.default_index()

    def not_found(slug: str, markdown: bool) -> Response:
        if markdown:
            return Response(f"# Not found\n\nNo docs page `{slug}`. The pages are listed at /docs and /llms.txt.\n",
                            404, media_type=MARKDOWN, headers=HEADERS)
        body = f'<h1>Not found</h1><p>No docs page <code>{_e(slug)}</code>.</p>' + _index_body(docs().pages())
        return HTMLResponse(_layout("Not found · Flint docs", body, docs().pages()), 404, headers=HEADERS)

    @router.get("/docs")
    def docs_index_page(q: str = "") -> Response:
        pages = docs().pages()
        if q.strip():
            return HTMLResponse(_layout(f"{q} · Flint docs", _search_body(docs(), q), pages, query=q), headers=HEADERS)
        return HTMLResponse(_layout("Flint documentation", _index_body(pages), pages), headers=HEADERS)

    @router.get("/docs/{name}")
    def docs_page(name: str, request: Request) -> Response:
        markdown = name.endswith(".md") or wants_markdown(request)
        slug = name.removesuffix(".md")
        page = docs().page(slug) if docs_index.SLUG.match(slug) else None
        if page is None:
            return not_found(slug, markdown)
        if markdown:
            return Response(page.markdown, media_type=MARKDOWN, headers=HEADERS)
        return HTMLResponse(_layout(f"{page.title} · Flint docs", render_markdown(page.markdown), docs().pages(),
                                    page.slug), headers=HEADERS)

    @router.get("/llms.txt")
    def llms() -> Response:
        return PlainTextResponse(llms_txt(docs(), public_url))

    return router
