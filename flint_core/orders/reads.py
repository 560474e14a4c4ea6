"""Orders as the read operations show them (get_order, list_orders): plain rows, loaded with Core.

A read changes nothing, so it needs no ORM objects: no identity map, no unit of work, no lazy loads. The
orders come with the open checkout session of each in one query; their parts then come in one query per
relation for the whole page, and their payments and refunds in one more (a UNION of the two tables).
The statements are built once. ``order_out`` renders the result exactly as it renders an ORM ``Order``:
the rows carry the same attribute names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, Select, String, bindparam, case, literal_column, select, union_all

from flint_core.checkout.lifecycle import CheckoutSessionStatus
from flint_core.orders.lifecycle import OrderStatus
from flint_core.orders.views import checkout_url
from flint_core.platform.context import Context
from flint_core.platform.queries import row_columns
from flint_core.store.tables import (
    CheckoutSession,
    Order,
    OrderCoupon,
    OrderLineItem,
    OrderServiceCharge,
    PaymentIntent,
    Refund,
)


@dataclass(frozen=True, slots=True)
class PaymentSummary:
    """What an order shows of a payment: its id, and its status and failure (available actions, last failure)."""

    payment_intent_id: str
    status: str
    failure: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class RefundSummary:
    refund_id: str
    status: str


@dataclass(slots=True)
class LoadedOrder:
    """An order row with its parts, under the attribute names of ``Order`` (what ``order_out`` reads)."""

    row: Row[Any]
    line_items: list[Row[Any]] = field(default_factory=list)
    coupons: list[Row[Any]] = field(default_factory=list)
    service_charges: list[Row[Any]] = field(default_factory=list)
    payment_intents: list[PaymentSummary] = field(default_factory=list)
    refunds: list[RefundSummary] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:  # the order's own columns
        return getattr(self.row, name)


_orders, _sessions = Order.__table__, CheckoutSession.__table__
# The newest session of an OPEN order that can still take its payment (OPEN, not past its expiry).
_OPEN_SESSION = case((_orders.c.status == OrderStatus.OPEN, select(_sessions.c.checkout_session_id).where(
    _sessions.c.order_id == _orders.c.order_id, _sessions.c.status == CheckoutSessionStatus.OPEN,
    _sessions.c.expires_at > bindparam("now", type_=_sessions.c.expires_at.type))
    .order_by(_sessions.c.checkout_session_id.desc()).limit(1).scalar_subquery())).label("open_checkout_session_id")
ORDERS = select(*row_columns(Order), _OPEN_SESSION)  # where, order and limit: the caller's
COLUMNS = _orders.c  # to filter ORDERS by (ORM attributes would turn it into an ORM statement)


def scoped(ctx: Context) -> Select[Any]:
    """``ORDERS`` of the caller's merchant and environment."""
    return ORDERS.where(COLUMNS.merchant_id == ctx.merchant_id, COLUMNS.env_id == ctx.env_id)


# One order of the caller's: built once, so SQLAlchemy neither builds nor keys it again per call.
_ONE = ORDERS.where(COLUMNS.merchant_id == bindparam("merchant_id"), COLUMNS.env_id == bindparam("env_id"),
                    COLUMNS.order_id == bindparam("order_id"))


def load_order(ctx: Context, order_id: str) -> LoadedOrder | None:
    """The caller's order ``order_id`` with its parts, or None."""
    found = _load(ctx, _ONE, {"merchant_id": ctx.merchant_id, "env_id": ctx.env_id, "order_id": order_id})
    return found[0] if found else None


def _part_query(model: type) -> Select[Any]:
    table = model.__table__  # type: ignore[attr-defined]
    return (select(*row_columns(model)).where(table.c.order_id.in_(bindparam("order_ids", expanding=True)))
            .order_by(table.c.order_id, table.c.position))


_PARTS = (("line_items", _part_query(OrderLineItem)), ("coupons", _part_query(OrderCoupon)),
          ("service_charges", _part_query(OrderServiceCharge)))
_payments, _refunds = PaymentIntent.__table__, Refund.__table__
_CHILDREN = union_all(
    select(_payments.c.order_id, literal_column("'payment_intents'", String).label("kind"),
           _payments.c.payment_intent_id.label("id"), _payments.c.status, _payments.c.failure)
    .where(_payments.c.order_id.in_(bindparam("order_ids", expanding=True))),
    select(_refunds.c.order_id, literal_column("'refunds'", String), _refunds.c.refund_id, _refunds.c.status,
           literal_column("NULL"))
    .where(_refunds.c.order_id.in_(bindparam("order_ids", expanding=True)))).order_by("id")


def load_orders(ctx: Context, stmt: Select[Any]) -> list[LoadedOrder]:
    """The orders ``stmt`` (``ORDERS`` narrowed by the caller) selects, in its order, with their parts."""
    return _load(ctx, stmt, {})


def _load(ctx: Context, stmt: Select[Any], values: dict[str, Any]) -> list[LoadedOrder]:
    # on the session's connection: a read has no pending ORM changes for the session to flush first, and the
    # session's own handling of each statement costs more than the statement
    connection = ctx.session.connection()
    orders = [LoadedOrder(row) for row in connection.execute(stmt, {"now": ctx.now, **values})]
    _fill(connection, orders)
    return orders


def _fill(connection: Connection, orders: list[LoadedOrder]) -> None:
    """Load the parts, payments and refunds of ``orders``: one query per relation for all of them."""
    if not orders:
        return
    by_id = {order.row.order_id: order for order in orders}
    ids = {"order_ids": list(by_id)}
    for name, query in _PARTS:
        for part in connection.execute(query, ids):
            getattr(by_id[part.order_id], name).append(part)
    for child in connection.execute(_CHILDREN, ids):
        collection = getattr(by_id[child.order_id], child.kind)
        collection.append(PaymentSummary(child.id, child.status, child.failure) if child.kind == "payment_intents"
                          else RefundSummary(child.id, child.status))


def checkout_urls(ctx: Context, orders: list[LoadedOrder]) -> dict[str, str]:
    """order_id -> its open checkout session's URL, as ``views.open_checkout_urls`` gives them."""
    return {order.order_id: ctx.settings.absolute_url(checkout_url(order.open_checkout_session_id))
            for order in orders if order.open_checkout_session_id is not None}
