"""The test-mode processor's 3D Secure page: what a card issuer's challenge page is in live mode.

``?return_url=/path`` (a path on this server, e.g. the hosted checkout's ``/checkout/cs_.../return``)
sends the buyer back there (303) once they answered, as a real issuer's page returns to the merchant.
"""

from __future__ import annotations

import html
import time
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from flint_core import Database, hosted
from flint_http.page_kit import log_hosted

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>3D Secure (test mode)</title>
<style>body{{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}}
.card{{border:1px solid #ddd;border-radius:.75rem;padding:1.5rem}}button{{font-size:1rem;padding:.6rem 1rem;
margin:.25rem .5rem .25rem 0;border-radius:.5rem;border:1px solid #888;background:#fff;cursor:pointer}}
button.primary{{background:#1a1a1a;color:#fff}}.note{{color:#666;font-size:.9rem}}</style></head>
<body><div class="card"><h1>3D Secure</h1>{body}</div>
<p class="note">Flint test mode: this page stands in for the card issuer's authentication step.</p></body></html>"""

QUESTION = """<p>Authenticate payment <code>{reference}</code>?</p>
<form method="post">{back}
<button class="primary" name="outcome" value="pass" id="complete">Complete authentication</button>
<button name="outcome" value="fail" id="fail">Fail authentication</button></form>"""

ANSWERED = """<p id="result">{message}</p><p>Return to the merchant; it will call <code>confirm_payment</code>.</p>"""


def safe_return_url(value: str | None) -> str | None:
    """A path on this server only: never another site (no open redirect), never a scheme."""
    if not value or len(value) > 2048 or not value.startswith("/") or value.startswith("//"):
        return None
    if any(c.isspace() or ord(c) < 32 or c == "\\" for c in value):
        return None
    return value


def simulator_router(db: Database) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def logged(request: Request, reference: str, response: Response, started: float,
                     params: dict[str, str] | None = None) -> Response:
        """Hosted-page request log, in the merchant of the payment being authenticated."""
        await run_in_threadpool(log_hosted, db, request, response, started=started, params=params,
                                scope_of=lambda: hosted.simulator_3ds.page_scope(db, reference))
        return response

    @router.get("/simulator/3ds/{reference}")
    async def challenge(reference: str, request: Request, return_url: str | None = None) -> Response:
        started = time.perf_counter()
        back = safe_return_url(return_url)
        hidden = f'<input type="hidden" name="return_url" value="{html.escape(back)}">' if back else ""
        return await logged(request, reference, HTMLResponse(PAGE.format(body=QUESTION.format(
            reference=html.escape(reference), back=hidden))), started)

    @router.post("/simulator/3ds/{reference}")
    async def answer(reference: str, request: Request) -> Response:
        started = time.perf_counter()
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        response = await _answer(reference, request, form)
        return await logged(request, reference, response, started, {k: v[0] for k, v in form.items()})

    async def _answer(reference: str, request: Request, form: dict[str, list[str]]) -> Response:
        passed = form.get("outcome", [""])[0] == "pass"
        recorded = await run_in_threadpool(hosted.simulator_3ds.answer, db, reference, passed=passed)
        back = safe_return_url(form.get("return_url", [None])[0] or request.query_params.get("return_url"))
        if back is not None:  # the merchant's page finds out what happened (and says so) itself
            return RedirectResponse(back, status_code=303)
        message = ("Authentication complete." if passed else "Authentication failed.") if recorded else (
            "This payment is not waiting for authentication.")
        return HTMLResponse(PAGE.format(body=ANSWERED.format(message=message)), status_code=200 if recorded else 409)

    return router
