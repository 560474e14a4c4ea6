"""Writing down a session's derived status (``record_status``), with its activity on the order and its
event; and the session as it was shown before that (``stored_session_view``), for the event's
previous_attributes."""

from __future__ import annotations

from typing import Any

from flint_core.checkout.lifecycle import CHECKOUT_SESSION, CheckoutSessionStatus
from flint_core.checkout.status import current_status
from flint_core.checkout.views import session_out
from flint_core.orders.announce import Json, as_json, child_event, order_json
from flint_core.orders.views import checkout_url
from flint_core.platform.context import Context
from flint_core.store.tables import CheckoutSession, Order

ACTIVITY = {CheckoutSessionStatus.COMPLETE: "CHECKOUT_SESSION_COMPLETED",
            CheckoutSessionStatus.EXPIRED: "CHECKOUT_SESSION_EXPIRED",
            CheckoutSessionStatus.CANCELED: "CHECKOUT_SESSION_CANCELED"}


EVENT_NAMES = {CheckoutSessionStatus.COMPLETE: "completed", CheckoutSessionStatus.EXPIRED: "expired",
               CheckoutSessionStatus.CANCELED: "canceled"}


def record_status(ctx: Context, cs: CheckoutSession, order: Order, shown: dict[str, Any] | None = None) -> str:
    """Write down the derived status (in a write transaction), with its activity on the order and its
    event. ``shown``: the session as the API showed it before this request changed anything (else: as
    it is now, with its stored status), for the event's previous_attributes."""
    status = current_status(ctx.session, cs, order, ctx.now)
    if status != cs.status:
        CHECKOUT_SESSION.check_transition(cs.status, status)
        before = shown or stored_session_view(ctx, as_json(session_out(ctx, cs, order)), cs)
        ctx.record("order", cs.order_id, ACTIVITY[status], {
            "checkout_session_id": [None, cs.checkout_session_id], "checkout_session.status": [cs.status, status]})
        cs.status, cs.updated_at = status, ctx.now
        child_event(ctx, f"checkout_session.{EVENT_NAMES[status]}", as_json(session_out(ctx, cs, order)), before,
                    order_json(ctx, order))
    return status


def stored_session_view(ctx: Context, view: Json, cs: CheckoutSession) -> Json:
    """A checkout session's rendering as it was while its stored status still held. Reads derive the new
    status before it is written down, so a rendering taken just before the write already shows it.
    Call it before changing anything on ``cs``."""
    url = (ctx.settings.absolute_url(checkout_url(cs.checkout_session_id)) if cs.status == CheckoutSessionStatus.OPEN
           else None)
    return view | {"status": cs.status, "checkout_session_url": url,
                   "available_actions": CHECKOUT_SESSION.actions_for(cs.status, ctx.can)}
