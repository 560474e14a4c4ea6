"""Steps that several domains take on an order: is a payment in flight on it, lock it, read the
statuses of a page of orders, what it is owed and can refund."""

from __future__ import annotations

from flint_core.kernel.errors import FlintError
from flint_core.orders import pricing
from flint_core.payments.lifecycle import IN_FLIGHT
from flint_core.platform.context import Context
from flint_core.platform.queries import scoped
from flint_core.store.tables import Order, PaymentIntent


def in_flight(order: Order) -> PaymentIntent | None:
    return next((pi for pi in order.payment_intents if pi.status in IN_FLIGHT), None)


def require_no_payment_in_flight(order: Order) -> None:
    pi = in_flight(order)
    if pi is not None:
        raise FlintError("payment_in_progress", param="order_id", order_id=order.order_id,
                         payment_intent_id=pi.payment_intent_id, status=pi.status,
                         suggested_actions=["get_payment_intent"])


def lock_order(ctx: Context, order_id: str) -> Order:
    order = ctx.session.get(Order, order_id, with_for_update=True, populate_existing=True)
    assert order is not None
    return order


def order_statuses(ctx: Context, order_ids: set[str]) -> dict[str, str]:
    """order_id -> status for a page of payments or refunds, in one query."""
    rows = ctx.session.execute(scoped(ctx, Order).with_only_columns(Order.order_id, Order.status)
                               .where(Order.order_id.in_(order_ids)))
    return {order_id: status for order_id, status in rows}


def balances(order: Order) -> pricing.Settlement:
    """What the order is still owed (outstanding) and can still refund (refundable) now: its stored
    amounts through pricing.settlement, the one place these two come from."""
    return pricing.settlement(order.total_amount, order.authorized_amount, order.paid_amount, order.refunded_amount)
