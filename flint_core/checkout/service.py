"""Writing down a session's derived status (``record_status``), with its activity (on the order, or in
SETUP mode on the customer) and its event; the session as it was shown before that
(``stored_session_view``), for the event's previous_attributes; and where its page sends the buyer once
it is COMPLETE (``success_redirect``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flint_core.checkout.lifecycle import CHECKOUT_SESSION, CheckoutSessionStatus
from flint_core.checkout.status import current_status
from flint_core.checkout.views import session_out
from flint_core.orders.announce import Json, as_json, changed, child_event, order_json
from flint_core.orders.views import checkout_url
from flint_core.platform import outbox
from flint_core.platform.context import Context
from flint_core.store.tables import CheckoutSession, Customer, Order

ACTIVITY = {CheckoutSessionStatus.COMPLETE: "CHECKOUT_SESSION_COMPLETED",
            CheckoutSessionStatus.EXPIRED: "CHECKOUT_SESSION_EXPIRED",
            CheckoutSessionStatus.CANCELED: "CHECKOUT_SESSION_CANCELED"}


EVENT_NAMES = {CheckoutSessionStatus.COMPLETE: "completed", CheckoutSessionStatus.EXPIRED: "expired",
               CheckoutSessionStatus.CANCELED: "canceled"}


def record_status(ctx: Context, cs: CheckoutSession, order: Order | None, shown: dict[str, Any] | None = None) -> str:
    """Write down the derived status (in a write transaction), with its activity and its event (``order``:
    a PAYMENT session's, None in SETUP mode). ``shown``: the session as the API showed it before this
    request changed anything (else: as it is now, with its stored status), for the event's
    previous_attributes."""
    status = current_status(ctx.session, cs, order, ctx.now)
    if status != cs.status:
        CHECKOUT_SESSION.check_transition(cs.status, status)
        before = shown or stored_session_view(ctx, as_json(session_out(ctx, cs, order)), cs)
        delta = {"checkout_session_id": [None, cs.checkout_session_id], "checkout_session.status": [cs.status, status]}
        cs.status, cs.updated_at = status, ctx.now
        after, event = as_json(session_out(ctx, cs, order)), f"checkout_session.{EVENT_NAMES[status]}"
        if order is None:  # SETUP: the customer's page, with no order to show beside it
            assert cs.customer_id is not None
            ctx.session.get(Customer, cs.customer_id, with_for_update=True)  # its activity is written under its lock
            ctx.record("customer", cs.customer_id, ACTIVITY[status], delta)
            outbox.emit(ctx, event, after, previous_attributes=changed(before, after), extra={"order": None})
        else:
            ctx.record("order", order.order_id, ACTIVITY[status], delta)
            child_event(ctx, event, after, before, order_json(ctx, order))
    return status


def success_redirect(cs: CheckoutSession) -> str:
    """success_url with the session id: in place of ``{CHECKOUT_SESSION_ID}``, or appended."""
    if "{CHECKOUT_SESSION_ID}" in cs.success_url:
        return cs.success_url.replace("{CHECKOUT_SESSION_ID}", cs.checkout_session_id)
    separator = "&" if "?" in cs.success_url else "?"
    return f"{cs.success_url}{separator}{urlencode({'checkout_session_id': cs.checkout_session_id})}"


def stored_session_view(ctx: Context, view: Json, cs: CheckoutSession) -> Json:
    """A checkout session's rendering as it was while its stored status still held. Reads derive the new
    status before it is written down, so a rendering taken just before the write already shows it.
    Call it before changing anything on ``cs``."""
    url = (ctx.settings.absolute_url(checkout_url(cs.checkout_session_id)) if cs.status == CheckoutSessionStatus.OPEN
           else None)
    return view | {"status": cs.status, "checkout_session_url": url,
                   "available_actions": CHECKOUT_SESSION.actions_for(cs.status, ctx.can)}
