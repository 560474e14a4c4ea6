"""What events carry: resources rendered exactly as the API returns them, and what changed.

Operations call these right where a state change happens, in the transaction that commits it, so an
event exists if and only if its change does (``flint_core.platform.outbox.emit`` writes to ctx.session).
``data.previous_attributes`` is computed, never hand-listed: every top-level field of the object whose
JSON value differs from a rendering taken before the change, with its old value.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from flint_core.orders.views import OrderOut, order_out
from flint_core.platform import outbox
from flint_core.platform.context import Context
from flint_core.platform.schema import Resource
from flint_core.store.tables import Order, PaymentIntent, Refund

Json = dict[str, Any]


def as_json(model: Resource) -> Json:
    """The object as the API serializes it, rendered once (``Output.as_json``): the response shares it."""
    return model.as_json()


def changed(before: Json | None, after: Json) -> Json:
    """previous_attributes: the old value of every top-level field whose value changed."""
    if before is None:
        return {}
    return {key: before.get(key) for key, value in after.items() if before.get(key) != value}


def current_order(ctx: Context, order: Order, *, checkout_urls: dict[str, str] | None = None) -> OrderOut:
    """The order as get_order would return it right now. A payment or refund added in this transaction
    joins the order's (view-only) collection only when it is read again: such a collection is reloaded,
    the others are used as they are. ``checkout_urls``: as ``order_out`` takes them."""
    stale = [name for name, model in _CHILDREN if _misses_one(ctx.session, order, name, model)]
    if stale:
        ctx.session.flush()
        ctx.session.expire(order, stale)
    return order_out(ctx, order, checkout_urls=checkout_urls)


_CHILDREN = (("payment_intents", PaymentIntent), ("refunds", Refund))


def _misses_one(session: Session, order: Order, name: str, model: type[PaymentIntent | Refund]) -> bool:
    """Whether the loaded collection ``name`` lacks one of the order's ``model`` rows this session holds
    (an unloaded one is read from the database, after a flush, when it is used)."""
    if name in inspect(order).unloaded:
        return False
    held = {id(child) for child in getattr(order, name)}
    return any(isinstance(obj, model) and obj.order_id == order.order_id and id(obj) not in held for obj in session)


def order_json(ctx: Context, order: Order) -> Json:
    return as_json(current_order(ctx, order))


def order_event(ctx: Context, event_type: str, order: Order, before: Json | None = None, *,
                checkout_urls: dict[str, str] | None = None) -> OrderOut:
    """Emit an ``order.*`` event about ``order`` as it is now; returns that rendering for the response."""
    out = current_order(ctx, order, checkout_urls=checkout_urls)
    emit_order(ctx, event_type, as_json(out), before)
    return out


def emit_order(ctx: Context, event_type: str, now: Json, before: Json | None) -> None:
    """Emit an ``order.*`` event from renderings already taken (after, and before, the change)."""
    outbox.emit(ctx, event_type, now, previous_attributes=changed(before, now))


def child_event(ctx: Context, event_type: str, obj: Json, before: Json | None, order: Json) -> None:
    """Emit an event about a payment, refund or checkout session, with its order (as it is now) beside it."""
    outbox.emit(ctx, event_type, obj, previous_attributes=changed(before, obj), extra={"order": order})


