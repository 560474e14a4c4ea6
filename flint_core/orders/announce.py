"""What events carry: resources rendered exactly as the API returns them, and what changed.

Operations call these right where a state change happens, in the transaction that commits it, so an
event exists if and only if its change does (``flint_core.platform.outbox.emit`` writes to ctx.session).
``data.previous_attributes`` is computed, never hand-listed: every top-level field of the object whose
JSON value differs from a rendering taken before the change, with its old value.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from flint_core.orders.views import OrderOut, order_out
from flint_core.platform import outbox
from flint_core.platform.context import Context
from flint_core.store.tables import Order

Json = dict[str, Any]


def as_json(model: BaseModel) -> Json:
    """The object as the API serializes it (runtime.serialize dumps the same way)."""
    return model.model_dump(mode="json")


def changed(before: Json | None, after: Json) -> Json:
    """previous_attributes: the old value of every top-level field whose value changed."""
    if before is None:
        return {}
    return {key: before.get(key) for key, value in after.items() if before.get(key) != value}


def current_order(ctx: Context, order: Order) -> OrderOut:
    """The order as get_order would return it right now. Payments and refunds added in this transaction
    are not yet in the order's (view-only) collections: flush and reload those first."""
    ctx.session.flush()
    ctx.session.expire(order, ["payment_intents", "refunds"])
    return order_out(ctx, order)


def order_json(ctx: Context, order: Order) -> Json:
    return as_json(current_order(ctx, order))


def order_event(ctx: Context, event_type: str, order: Order, before: Json | None = None) -> OrderOut:
    """Emit an ``order.*`` event about ``order`` as it is now; returns that rendering for the response."""
    out = current_order(ctx, order)
    emit_order(ctx, event_type, as_json(out), before)
    return out


def emit_order(ctx: Context, event_type: str, now: Json, before: Json | None) -> None:
    """Emit an ``order.*`` event from renderings already taken (after, and before, the change)."""
    outbox.emit(ctx, event_type, now, previous_attributes=changed(before, now))


def child_event(ctx: Context, event_type: str, obj: Json, before: Json | None, order: Json) -> None:
    """Emit an event about a payment, refund or checkout session, with its order (as it is now) beside it."""
    outbox.emit(ctx, event_type, obj, previous_attributes=changed(before, obj), extra={"order": order})


