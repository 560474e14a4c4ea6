"""``GET /``: what this server is and where to go next, so whoever opens the bare address (a person in a
browser, an agent probing it) finds the docs instead of a 404. HTML by default; JSON, with absolute URLs,
for ``Accept: application/json``. Needs no key and touches no database."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from flint_http.docs_pages import HEADERS, SUMMARY

# (name, path, what it is): the entry points a newcomer needs, in the order they are likely needed
LINKS = (
    ("docs", "/docs", "Guides: getting started, orders, payments, refunds, errors (HTML; markdown at "
                      "/docs/<slug>.md)."),
    ("skill", "/SKILL.md", "How an AI agent should use Flint: critical rules, routing table, recipes."),
    ("llms_txt", "/llms.txt", "The docs index for language models (llmstxt.org)."),
    ("openapi", "/openapi.json", "The HTTP API (/v1/...) as an OpenAPI document."),
    ("mcp", "/mcp", "MCP over streamable HTTP: POST with `Authorization: Bearer <key>`."),
)
CSS = ("body{margin:0 auto;max-width:40rem;padding:2rem 1.2rem;font:16px/1.6 system-ui,-apple-system,"
       '"Segoe UI",sans-serif;color:#1a1a1a}a{color:#2d4fd8}code{font:.9em ui-monospace,Menlo,monospace;'
       "background:#f3f3f6;padding:.1em .3em;border-radius:.3em}li{margin:.4rem 0}.muted{color:#666}")


def wants_json(request: Request) -> bool:
    """JSON only when asked for and HTML is not: a browser's Accept lists text/html, curl's is */*."""
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def landing_json(public_url: str) -> dict[str, object]:
    return {"object": "server", "name": "Flint", "description": SUMMARY, "public_url": public_url,
            "links": {name: {"url": public_url + path, "description": what} for name, path, what in LINKS}}


def landing_html() -> str:
    items = "".join(f'<li><a href="{path}">{html.escape(path)}</a> <span class="muted">{html.escape(what)}'
                    "</span></li>" for _, path, what in LINKS)
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width,initial-scale=1"><title>Flint</title><style>{CSS}</style></head><body>'
            f"<h1>Flint</h1><p>{html.escape(SUMMARY)}</p><ul>{items}</ul><p class=muted>The API is under "
            "<code>/v1</code>; start with <a href=\"/docs/getting-started\">getting started</a>. Machine-readable: "
            "<code>curl -H 'Accept: application/json' &lt;this address&gt;</code>.</p></body></html>")


def landing_router(public_url: str) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def landing(request: Request) -> Response:
        if wants_json(request):
            return JSONResponse(landing_json(public_url), headers={"Vary": "Accept"})
        return HTMLResponse(landing_html(), headers=HEADERS)

    return router
