"""Steps that several domains take on an order: is a payment in flight on it, lock it, read the
statuses of a page of orders, what it is owed and can refund."""

from __future__ import annotations

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from flint_core.kernel.errors import FlintError
from flint_core.orders import pricing
from flint_core.orders.lifecycle import OrderStatus
from flint_core.payments.lifecycle import IN_FLIGHT
from flint_core.platform.context import Context
from flint_core.platform.queries import scoped
from flint_core.store.tables import Order, OrderLineItem, PaymentIntent, Refund


def in_flight(order: Order) -> PaymentIntent | None:
    return next((pi for pi in order.payment_intents if pi.status in IN_FLIGHT), None)


def require_no_payment_in_flight(order: Order) -> None:
    pi = in_flight(order)
    if pi is not None:
        raise FlintError("payment_in_progress", param="order_id", order_id=order.order_id,
                         payment_intent_id=pi.payment_intent_id, status=pi.status,
                         suggested_actions=["get_payment_intent"])


def lock_order(session: Session, order_id: str) -> Order:
    """The order under its row lock, as the database has it now (callers commit in between: a checkpoint
    before the processor, a hosted page's handlers). Its row, and every part another request may have
    changed since this session loaded it, are read again: its line items (refunds move their refunded
    quantities), its payments and its refunds, in one query each, over the objects already loaded (a
    plain reload would keep their stale values). Its coupons and service charges change only while it is
    OPEN with no payment in flight; in any other state they are kept as loaded."""
    session.flush()  # what this session changed is written first: the reads below replace loaded values
    order = session.identity_map.get(identity_key(Order, order_id))
    if order is None:
        order = session.get(Order, order_id, with_for_update=True)
        assert order is not None
    else:
        session.refresh(order, _ORDER_COLUMNS, with_for_update=True)
    for name, query in _CHANGING_PARTS:
        set_committed_value(order, name, session.scalars(query, {"order_id": order_id}).all())
    if order.status == OrderStatus.OPEN and in_flight(order) is None:
        session.expire(order, ["coupons", "service_charges"])
    return order


_ORDER_COLUMNS = [attr.key for attr in inspect(Order).column_attrs]
_CHANGING_PARTS = tuple(
    (name, select(model).where(model.order_id == bindparam("order_id")).order_by(key)
     .execution_options(populate_existing=True))
    for name, model, key in (("line_items", OrderLineItem, OrderLineItem.position),
                             ("payment_intents", PaymentIntent, PaymentIntent.payment_intent_id),
                             ("refunds", Refund, Refund.refund_id)))


def order_statuses(ctx: Context, order_ids: set[str]) -> dict[str, str]:
    """order_id -> status for a page of payments or refunds, in one query."""
    rows = ctx.session.execute(scoped(ctx, Order).with_only_columns(Order.order_id, Order.status)
                               .where(Order.order_id.in_(order_ids)))
    return {order_id: status for order_id, status in rows}


def balances(order: Order) -> pricing.Settlement:
    """What the order is still owed (outstanding) and can still refund (refundable) now: its stored
    amounts through pricing.settlement, the one place these two come from."""
    return pricing.settlement(order.total_amount, order.authorized_amount, order.paid_amount, order.refunded_amount)
