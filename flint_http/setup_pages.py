"""The hosted card-saving page, ``/setup/{setup_intent_id}`` (and a SETUP checkout session's page, served at
its ``/checkout/...`` address by ``flint_http.checkout_pages``): HTML around ``flint_core.hosted.setup``, in
the style (and under the same strict headers) of the checkout page. No scripts, every value escaped, the
card number passed on to be tokenized and never echoed back."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from flint_core import Database, Settings, hosted
from flint_http.page_kit import CSS, HEADERS, TEST_CARDS, escape, read_form, serve_page

STATUS = {"declined": 402, "invalid": 400, "unavailable": 503, "shown": 200}


def _message(page: hosted.setup.SetupPage, kind: str = "") -> str:
    if not page.message:
        return ""
    role = ' role="alert"' if page.outcome != "shown" else ""
    return f'<div class="alert {kind}" id="message"{role}>{escape(page.message)}</div>'


def _form(page: hosted.setup.SetupPage) -> str:
    hint = ""
    if page.test_mode:
        cards = "".join(f"<li><code>{number}</code> {what}</li>" for number, what in TEST_CARDS)
        hint = ('<div class="hint" id="test-hint"><strong>Test mode:</strong> no real card is saved. Use '
                f'<code>4242 4242 4242 4242</code>, any future expiry and any CVC.<ul>{cards}</ul></div>')
    return f"""<section class="card"><h2>Save a card</h2>{_message(page)}
<p class="muted">It will be kept for your next payments to {escape(page.merchant_name)}. Nothing is charged now.</p>
<form method="post" id="setup-form" autocomplete="on">
<label for="card_number">Card number</label>
<input id="card_number" name="card_number" inputmode="numeric" autocomplete="cc-number" required maxlength="64"
 placeholder="1234 1234 1234 1234">
<div class="row"><div><label for="expiry">Expiry</label>
<input id="expiry" name="expiry" autocomplete="cc-exp" placeholder="MM / YY" maxlength="9"></div>
<div><label for="cvc">CVC</label>
<input id="cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" placeholder="123" maxlength="4"></div></div>
<button type="submit" id="save">Save card</button></form>{hint}</section>{_cancel(page)}"""


def _cancel(page: hosted.setup.SetupPage, text: str = "Cancel and return to the store") -> str:
    return (f'<p class="center"><a id="cancel" href="{escape(page.cancel_url)}">{escape(text)}</a></p>'
            if page.cancel_url else "")


def _panel(page: hosted.setup.SetupPage) -> str:
    if page.status == "SUCCEEDED":
        after = (f'</div><a class="button" id="continue" href="{escape(page.continue_url)}">Continue</a>'
                 if page.continue_url else " You can close this page.</div>")
        return (f'<section class="card"><div class="alert ok" id="message">Card saved: {escape(page.card or "")}.'
                f'{after}</section>')
    if page.status == "EXPIRED":
        return ('<section class="card"><div class="alert info" id="message">This page has expired. No card was '
                f'saved.</div>{_cancel(page, "Return to the store")}</section>')
    if page.status == "FAILED":
        return (f'<section class="card">{_message(page)}<p>Ask {escape(page.merchant_name)} for a new link to '
                'try another card.</p></section>')
    if page.status == "CANCELED":
        return ('<section class="card"><div class="alert info" id="message">This link is no longer valid. '
                'No card was saved.</div></section>')
    if page.status == "PROCESSING":  # the processor's answer was lost: Save asks again, with the same card
        message = _message(page, "info") or ('<div class="alert info" id="message">Your card is being saved. '
                                             'Press Save to finish.</div>')
        return (f'<section class="card">{message}<form method="post"><input type="hidden" name="retry" value="1">'
                f'<button type="submit" id="save">Save card</button></form></section>')
    if page.authenticate_url:
        return (f'<section class="card">{_message(page, "info")}<a class="button" id="authenticate" '
                f'href="{escape(page.authenticate_url)}">Confirm with your bank</a></section>')
    return _form(page)


def render(page: hosted.setup.SetupPage) -> str:
    badge = '<span class="badge">TEST MODE</span>' if page.test_mode else ""
    who = f" for {escape(page.customer_name)}" if page.customer_name else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Save a card with {escape(page.merchant_name)}</title><style>{CSS}</style>
</head><body><main><header class="card"><h1 id="merchant">{escape(page.merchant_name)}{badge}</h1>
<div class="muted">Saving a card{who} · <code>{escape(page.reference)}</code></div></header>
{_panel(page)}<footer>Secured by Flint.</footer></main></body></html>"""


def respond(page: hosted.setup.SetupPage | None) -> Response:
    if page is None:
        body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Page not found</title>'
                f'<style>{CSS}</style></head><body><main><section class="card"><h1>Page not found</h1><p>This '
                'link is not valid. Ask the store for a new one.</p></section></main></body></html>')
        return HTMLResponse(body, status_code=404, headers=HEADERS)
    if page.redirect:
        return RedirectResponse(page.redirect, status_code=303, headers=HEADERS)
    status = 410 if page.status in ("CANCELED", "EXPIRED") else STATUS[page.outcome]
    return HTMLResponse(render(page), status_code=status, headers=HEADERS)


def setup_router(db: Database, settings: Settings = Settings()) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def guarded(work: Callable[[], hosted.setup.SetupPage | None], request: Request, setup_intent_id: str,
                      operation: str | None = None, params: dict[str, str] | None = None) -> Response:
        return await serve_page(db, request, work, respond, what="setup page", operation=operation, params=params,
                                scope_of=lambda: hosted.setup.page_scope(db, setup_intent_id))

    @router.get("/setup/{setup_intent_id}")
    async def show(setup_intent_id: str, request: Request) -> Response:
        return await guarded(lambda: hosted.setup.load_page(db, setup_intent_id), request, setup_intent_id)

    @router.post("/setup/{setup_intent_id}")
    async def save(setup_intent_id: str, request: Request) -> Response:
        form = await read_form(request)
        if form is None:
            return HTMLResponse("Request too large", status_code=413, headers=HEADERS)
        request_id = request.scope.get("state", {}).get("request_id")
        return await guarded(lambda: hosted.setup.submit(
            db, setup_intent_id, card_number=form.get("card_number", ""), expiry=form.get("expiry", ""),
            cvc=form.get("cvc", ""), settings=settings, request_id=request_id),
            request, setup_intent_id, "create_setup_intent", form)

    @router.get("/setup/{setup_intent_id}/return")
    async def back_from_authentication(setup_intent_id: str, request: Request) -> Response:
        request_id = request.scope.get("state", {}).get("request_id")
        return await guarded(lambda: hosted.setup.return_from_authentication(
            db, setup_intent_id, settings=settings, request_id=request_id), request, setup_intent_id,
            "confirm_setup_intent")

    return router
