"""The test-mode processor's 3D Secure page: what a card issuer's challenge page is in live mode."""

from __future__ import annotations

import html
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse

from flint_core.processors.simulator import authenticate
from flint_core.store.db import Database

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
<form method="post"><button class="primary" name="outcome" value="pass" id="complete">Complete authentication</button>
<button name="outcome" value="fail" id="fail">Fail authentication</button></form>"""

ANSWERED = """<p id="result">{message}</p><p>Return to the merchant; it will call <code>confirm_payment</code>.</p>"""


def simulator_router(db: Database) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/simulator/3ds/{reference}")
    async def challenge(reference: str) -> HTMLResponse:
        return HTMLResponse(PAGE.format(body=QUESTION.format(reference=html.escape(reference))))

    @router.post("/simulator/3ds/{reference}")
    async def answer(reference: str, request: Request) -> HTMLResponse:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        passed = form.get("outcome", [""])[0] == "pass"
        recorded = await run_in_threadpool(authenticate, db, reference, passed=passed)
        message = ("Authentication complete." if passed else "Authentication failed.") if recorded else (
            "This payment is not waiting for authentication.")
        return HTMLResponse(PAGE.format(body=ANSWERED.format(message=message)), status_code=200 if recorded else 409)

    return router
