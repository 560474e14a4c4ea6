"""The one way an order's status changes (``move_order``)."""

from __future__ import annotations

from typing import Any

from flint_core.orders import flows
from flint_core.orders.lifecycle import ORDER, OrderStatus
from flint_core.platform.context import Context
from flint_core.store.tables import Order


def move_order(ctx: Context, order: Order, status: str, activity: str, delta: dict[str, Any]) -> None:
    """Write down a change of ``order``: its new ``status`` (checked against the order's state machine;
    the same status when only its amounts moved), a new version, and the ``activity`` with ``delta``
    (plus the status change, if any). An order that leaves OPEN runs the ``flows.LEFT_OPEN`` reactions.
    The caller holds the order's row lock."""
    before = order.status
    ORDER.check_transition(before, status)
    order.status, order.version, order.updated_at = status, order.version + 1, ctx.now
    if status != before:
        delta = delta | {"status": [before, status]}
    ctx.record("order", order.order_id, activity, delta)
    if before == OrderStatus.OPEN and status != OrderStatus.OPEN:
        for react in flows.LEFT_OPEN:
            react(ctx, order)
