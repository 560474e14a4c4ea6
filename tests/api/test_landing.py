"""GET /: a small page saying what this server is and where to go, as HTML or (Accept: application/json) JSON."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import BASE_URL

ENTRY_POINTS = ["/docs", "/SKILL.md", "/llms.txt", "/openapi.json", "/mcp"]
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_landing_page_as_html(client: Any) -> None:
    for accept in (None, "*/*", BROWSER_ACCEPT):  # no header, curl, a browser
        response = client.get("/", headers={"Accept": accept} if accept else {})
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html"), accept
    assert "<h1>Flint</h1>" in response.text and "order-first commerce API" in response.text
    links = re.findall(r'href="([^"]+)"', response.text)
    assert set(ENTRY_POINTS) <= set(links), links
    assert "default-src 'none'" in response.headers["content-security-policy"]
    for path in (link for link in links if link != "/mcp"):  # /mcp takes POSTs with a key
        assert client.get(path).status_code == 200, path


def test_landing_page_as_json(client: Any) -> None:
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.headers["vary"] == "Accept"
    body = response.json()
    assert (body["object"], body["name"], body["public_url"]) == ("server", "Flint", BASE_URL)
    assert [link["url"] for link in body["links"].values()] == [BASE_URL + path for path in ENTRY_POINTS]
    assert list(body["links"]) == ["docs", "skill", "llms_txt", "openapi", "mcp"]
    assert all(link["description"] for link in body["links"].values())
    assert client.get(body["links"]["openapi"]["url"]).json()["info"]["title"] == "Flint"
