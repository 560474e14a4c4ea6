"""The hosted checkout page, ``/checkout/{checkout_session_id}``: HTML around ``flint_core.hosted.checkout``
(a SETUP session's page is the card-saving page of ``flint_http.setup_pages``, at the same address).

Self-contained on purpose: no scripts, no external assets, inline CSS, so it works in any browser (and
with JavaScript off) and a strict Content-Security-Policy can forbid everything else. Every value is
HTML-escaped. Card numbers pass through to ``pay_order`` (which tokenizes them) and are never echoed back.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from flint_core import Database, Settings, hosted
from flint_http import setup_pages
from flint_http.page_kit import CSS, HEADERS, TEST_CARDS, escape, read_form, serve_page

STATUS = {"declined": 402, "invalid": 400, "unavailable": 503, "busy": 409, "shown": 200}
def _summary(page: hosted.checkout.CheckoutPage) -> str:
    rows = [f'<tr class="line"><td>{escape(li.name)}<div class="qty">{li.quantity} &times; {escape(li.unit_price)}</div>'
            f'</td><td class="n">{escape(li.total)}</td></tr>' for li in page.lines]
    rows += [f'<tr><td>{escape(label)}</td><td class="n">{escape(amount)}</td></tr>' for label, amount in page.amounts]
    rows.append(f'<tr class="total"><td>Total</td><td class="n" id="total">{escape(page.total)}</td></tr>')
    return f'<section class="card"><h2>Order summary</h2><table id="summary">{"".join(rows)}</table></section>'


def _message(page: hosted.checkout.CheckoutPage, kind: str = "") -> str:
    if not page.message:
        return ""
    role = ' role="alert"' if page.outcome != "shown" else ""
    return f'<div class="alert {kind}" id="message"{role}>{escape(page.message)}</div>'


def _cancel(page: hosted.checkout.CheckoutPage, text: str = "Cancel and return to the store") -> str:
    return (f'<p class="center"><a id="cancel" href="{escape(page.cancel_url)}">{escape(text)}</a></p>'
            if page.cancel_url else "")


def _test_hint(page: hosted.checkout.CheckoutPage) -> str:
    if not page.test_mode:
        return ""
    cards = "".join(f"<li><code>{number}</code> {what}</li>" for number, what in TEST_CARDS)
    return ('<div class="hint" id="test-hint"><strong>Test mode:</strong> no real money moves. Use card '
            f'<code>4242 4242 4242 4242</code> (or the token <code>tok_visa</code>), any future expiry and any '
            f'CVC.<ul>{cards}</ul></div>')


def _saved(page: hosted.checkout.CheckoutPage) -> str:
    """One button per saved card of the order's customer (each its own small form)."""
    if not page.saved_cards:
        return ""
    buttons = "".join(
        f'<form method="post"><input type="hidden" name="payment_method_id" value="{escape(pm)}">'
        f'<button type="submit" class="saved-card" id="pay-{escape(pm)}">Pay {escape(page.amount_due)} with '
        f'{escape(label)}</button></form>' for pm, label in page.saved_cards)
    return f'<section class="card" id="saved-cards"><h2>Your saved cards</h2>{buttons}</section>'


def _form(page: hosted.checkout.CheckoutPage) -> str:
    email = escape(page.buyer_email or "")
    save = ('<label class="check"><input type="checkbox" id="save_card" name="save_card" value="1"> Save this card '
            'for my next payments</label>' if page.can_save_card else "")
    return _saved(page) + f"""<section class="card"><h2>Pay with card</h2>{_message(page)}
<form method="post" id="pay-form" autocomplete="on">
<label for="email">Email for your receipt</label>
<input id="email" name="email" type="email" autocomplete="email" required maxlength="320" value="{email}">
<label for="card_number">Card number</label>
<input id="card_number" name="card_number" inputmode="numeric" autocomplete="cc-number" required maxlength="64"
 placeholder="1234 1234 1234 1234">
<div class="row"><div><label for="expiry">Expiry</label>
<input id="expiry" name="expiry" autocomplete="cc-exp" placeholder="MM / YY" maxlength="9"></div>
<div><label for="cvc">CVC</label>
<input id="cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" placeholder="123" maxlength="4"></div></div>
{save}<button type="submit" id="pay">Pay {escape(page.amount_due)}</button></form>{_test_hint(page)}</section>"""


def _panel(page: hosted.checkout.CheckoutPage) -> str:
    """The part below the summary: what the buyer can do now."""
    if page.status == "COMPLETE":
        card = f"<p>Paid with {escape(page.receipt['card'])}.</p>" if "card" in page.receipt else ""
        return (f'<section class="card"><div class="alert ok" id="message">Payment {page.receipt["state"]}: '
                f'{escape(page.receipt["amount"])}. Thank you!</div>{card}<p class="muted">Order '
                f'<code>{escape(page.receipt["order_id"])}</code></p><a class="button" id="continue" '
                f'href="{escape(page.continue_url)}">Continue</a></section>')
    if page.status == "EXPIRED":
        return ('<section class="card"><div class="alert info" id="message">This checkout page has expired. '
                f'Nothing was charged.</div>{_cancel(page, "Return to the store")}</section>')
    if page.status == "CANCELED":
        return ('<section class="card"><div class="alert info" id="message">This checkout is no longer '
                'available: the order was canceled or paid another way.</div>'
                f'{_cancel(page, "Return to the store")}</section>')
    if page.pending == "authenticate":
        return (f'<section class="card">{_message(page, "info")}<a class="button" id="authenticate" '
                f'href="{escape(page.authenticate_url)}">Confirm with your bank</a></section>{_cancel(page)}')
    if page.pending == "busy":
        return (f'<section class="card">{_message(page, "info")}<a class="button" '
                f'href="{escape("/checkout/" + page.checkout_session_id)}">Refresh</a></section>')
    if page.pending == "retry":
        return (f'<section class="card">{_message(page, "info")}<form method="post"><input type="hidden" '
                f'name="retry" value="1"><button type="submit" id="pay">Pay {escape(page.amount_due)}</button></form>'
                f'</section>{_cancel(page)}')
    return _form(page) + _cancel(page)


def render(page: hosted.checkout.CheckoutPage) -> str:
    badge = '<span class="badge">TEST MODE</span>' if page.test_mode else ""
    title = f"Pay {page.merchant_name}" if page.status == "OPEN" else page.merchant_name
    footer = (f"This page takes payments until {page.expires_at:%Y-%m-%d %H:%M} UTC. " if page.status == "OPEN"
              else "")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{escape(title)}</title><style>{CSS}</style></head>
<body><main><header class="card"><h1 id="merchant">{escape(page.merchant_name)}{badge}</h1>
<div class="muted">Checkout <code>{escape(page.checkout_session_id)}</code></div></header>
{_summary(page)}{_panel(page)}<footer>{escape(footer)}Secured by Flint.</footer></main></body></html>"""


def _not_found() -> HTMLResponse:
    body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Checkout not found</title>'
            f'<style>{CSS}</style></head><body><main><section class="card"><h1>Checkout not found</h1><p>This '
            'link is not valid. Ask the store for a new payment link.</p></section></main></body></html>')
    return HTMLResponse(body, status_code=404, headers=HEADERS)


def _respond(page: hosted.checkout.CheckoutPage | hosted.setup.SetupPage | None) -> Response:
    if isinstance(page, hosted.setup.SetupPage):
        return setup_pages.respond(page)
    if page is None:
        return _not_found()
    if page.redirect:
        return RedirectResponse(page.redirect, status_code=303, headers=HEADERS)
    status = 410 if page.status in ("EXPIRED", "CANCELED") else STATUS[page.outcome]
    return HTMLResponse(render(page), status_code=status, headers=HEADERS)


Page = hosted.checkout.CheckoutPage | hosted.setup.SetupPage | None


def checkout_router(db: Database, settings: Settings = Settings()) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def guarded(work: Callable[[], Page], request: Request, checkout_session_id: str,
                      operation: str | None = None, params: dict[str, str] | None = None) -> Response:
        return await serve_page(db, request, work, _respond, what="checkout page", operation=operation,
                                params=params, scope_of=lambda: hosted.checkout.page_scope(db, checkout_session_id))

    async def saves_card(checkout_session_id: str) -> bool:
        return await run_in_threadpool(hosted.setup.saves_card, db, checkout_session_id)

    @router.get("/checkout/{checkout_session_id}")
    async def show(checkout_session_id: str, request: Request) -> Response:
        if await saves_card(checkout_session_id):
            return await guarded(lambda: hosted.setup.load_session_page(db, checkout_session_id), request,
                                 checkout_session_id)
        return await guarded(lambda: hosted.checkout.load_page(db, checkout_session_id), request, checkout_session_id)

    @router.post("/checkout/{checkout_session_id}")
    async def pay(checkout_session_id: str, request: Request) -> Response:
        form = await read_form(request)
        if form is None:
            return HTMLResponse("Request too large", status_code=413, headers=HEADERS)
        request_id = request.scope.get("state", {}).get("request_id")
        if await saves_card(checkout_session_id):
            return await guarded(lambda: hosted.setup.submit_for_session(
                db, checkout_session_id, card_number=form.get("card_number", ""), expiry=form.get("expiry", ""),
                cvc=form.get("cvc", ""), settings=settings, request_id=request_id),
                request, checkout_session_id, "create_setup_intent", form)
        return await guarded(lambda: hosted.checkout.pay_checkout_session(
            db, checkout_session_id, payment_source=form.get("card_number", ""), buyer_email=form.get("email", ""),
            expiry=form.get("expiry", ""), cvc=form.get("cvc", ""), payment_method_id=form.get("payment_method_id", ""),
            save_card=form.get("save_card") == "1", settings=settings, request_id=request_id),
            request, checkout_session_id, "pay_order", form)

    @router.get("/checkout/{checkout_session_id}/return")
    async def back_from_authentication(checkout_session_id: str, request: Request) -> Response:
        request_id = request.scope.get("state", {}).get("request_id")
        if await saves_card(checkout_session_id):
            return await guarded(lambda: hosted.setup.return_for_session(
                db, checkout_session_id, settings=settings, request_id=request_id), request, checkout_session_id,
                "confirm_setup_intent")
        return await guarded(lambda: hosted.checkout.return_from_authentication(
            db, checkout_session_id, settings=settings, request_id=request_id), request, checkout_session_id,
            "confirm_payment")

    return router
