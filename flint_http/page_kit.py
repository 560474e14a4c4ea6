"""What the hosted pages share: their stylesheet and strict headers, escaping, the size-capped form
reader, the HTML 500 page, the request log of a page (face ``hosted``), and serving a page with all of them."""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from flint_core import Database, request_logs, utcnow

log = logging.getLogger("flint.hosted")
MAX_FORM_BYTES = 16 * 1024
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
                               "frame-ancestors 'none'",
    "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}
TEST_CARDS = (("4242 4242 4242 4242", "pays"), ("4000 0000 0000 0002", "is declined"),
              ("4000 0025 0000 3155", "asks for 3D Secure"))

CSS = """*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;
color:#1a1a1a;background:#f5f5f7}main{max-width:30rem;margin:2rem auto;padding:0 1rem}
.card{background:#fff;border:1px solid #e2e2e6;border-radius:.9rem;padding:1.5rem;margin-bottom:1rem}
h1{font-size:1.3rem;margin:0 0 .25rem}h2{font-size:1.05rem;margin:0 0 .75rem}.muted{color:#666;font-size:.9rem}
.badge{display:inline-block;background:#ffe8a3;color:#6b4e00;border-radius:.4rem;padding:.1rem .45rem;
font-size:.75rem;font-weight:600;letter-spacing:.03em;vertical-align:middle;margin-left:.4rem}
table{width:100%;border-collapse:collapse}td{padding:.3rem 0;vertical-align:top}td.n{text-align:right;
white-space:nowrap;padding-left:1rem;font-variant-numeric:tabular-nums}tr.line td{border-bottom:1px solid #f0f0f2}
tr.total td{border-top:2px solid #1a1a1a;font-weight:700;padding-top:.6rem}.qty{color:#666;font-size:.85rem}
label{display:block;font-size:.85rem;font-weight:600;margin:.8rem 0 .25rem}input{width:100%;font:inherit;
padding:.6rem .7rem;border:1px solid #c9c9cf;border-radius:.5rem}input:focus{outline:2px solid #4b6bfb;
border-color:#4b6bfb}.row{display:flex;gap:.75rem}.row>div{flex:1}button,.button{display:block;width:100%;
margin-top:1.2rem;padding:.8rem;font:inherit;font-weight:600;color:#fff;background:#1a1a1a;border:0;
border-radius:.55rem;cursor:pointer;text-align:center;text-decoration:none}
.alert{border-radius:.5rem;padding:.7rem .9rem;margin-bottom:.5rem;background:#fdecec;color:#8a1c1c;
border:1px solid #f5c2c2}.info{background:#eef2ff;color:#243a8f;border-color:#c8d2fb}
.ok{background:#e9f8ee;color:#135c2b;border-color:#b5e3c4}.hint{background:#fafafa;border:1px dashed #c9c9cf;
border-radius:.5rem;padding:.6rem .8rem;margin-top:1rem;font-size:.85rem}code{font-size:.85rem}
label.check{font-weight:400;display:flex;gap:.5rem;align-items:center}label.check input{width:auto}
a{color:#2d4fd8}.center{text-align:center}footer{text-align:center;color:#888;font-size:.8rem;margin:1rem 0 2rem}"""


def escape(value: object) -> str:
    return html.escape(str(value), quote=True)


async def read_form(request: Request) -> dict[str, str] | None:
    size, chunks = 0, []
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
    fields = parse_qs(b"".join(chunks).decode("utf-8", "replace"))
    return {name: values[0] for name, values in fields.items()}


def failed_page(request: Request, what: str) -> HTMLResponse:
    """A hosted page's 500, for a person: an HTML page with the request id, never a stack trace (which is logged)."""
    request_id = request.scope.get("state", {}).get("request_id")
    log.exception("%s failed (request %s)", what, request_id)
    body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Something went wrong</title>'
            f'<style>{CSS}</style></head><body><main><section class="card"><h1>Something went wrong</h1>'
            f'<p>Please try again in a moment. Reference: <code>{escape(request_id)}</code></p></section>'
            '</main></body></html>')
    return HTMLResponse(body, status_code=500, headers=HEADERS)


def log_hosted(db: Database, request: Request, response: Response, *, started: float, scope_of: Callable[[], tuple],
               operation: str | None = None, params: dict[str, str] | None = None) -> None:
    """Request log of a hosted page (face ``hosted``), attributed to the merchant it serves; never raises."""
    try:
        scope, touched = scope_of()
        request_logs.write_hosted(
            db, request_id=request.scope.get("state", {}).get("request_id"), method=request.method,
            path=request.url.path, client=request.client.host if request.client else None,
            status=response.status_code, started=started, now=utcnow(), scope=scope, touched=touched,
            operation=operation, params=params if params is not None else dict(request.query_params))
    except Exception:
        log.exception("hosted page request log failed")




async def serve_page(db: Database, request: Request, work: Callable[[], Any], respond: Callable[[Any], Response], *,
                     what: str, scope_of: Callable[[], tuple], operation: str | None = None,
                     params: dict[str, str] | None = None) -> Response:
    """A hosted page's answer: its work off the event loop, rendered by ``respond`` (an HTML 500 page, never a
    stack trace, if it fails), then its request log."""
    started = time.perf_counter()
    try:
        response = respond(await run_in_threadpool(work))
    except Exception:  # an HTML page, not a JSON envelope or a stack trace
        response = failed_page(request, what)
    await run_in_threadpool(log_hosted, db, request, response, started=started, operation=operation, params=params,
                            scope_of=scope_of)
    return response
