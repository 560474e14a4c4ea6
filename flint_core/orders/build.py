"""Building an order from what a request describes: its lines, service charges, tip and coupons, in its
currency, priced. ``build_order`` is create_order's (and a hosted checkout's) whole construction; the
part builders serve update_order too."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Insert, inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from flint_core.catalog.service import LineSource, line_sources
from flint_core.coupons.service import redeem
from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError
from flint_core.orders.inputs import MAX_LINE_ITEMS, CreateOrderInput, LineItemIn, ServiceChargeIn, TipIn
from flint_core.orders.lifecycle import ORDER
from flint_core.orders.repricing import reprice
from flint_core.platform import limits
from flint_core.platform.context import Context
from flint_core.platform.queries import fetch
from flint_core.platform.schema import PartMoneyIn
from flint_core.store.tables import Customer, Order, OrderCoupon, OrderLineItem, OrderServiceCharge
from flint_core.tax.inputs import TaxCategory

_ZERO_ORDER = dict.fromkeys(("subtotal_amount", "discount_amount", "service_charge_amount", "tax_amount",
                             "inclusive_tax_amount", "tip_amount", "total_amount", "authorized_amount",
                             "paid_amount", "refunded_amount"), 0)


_ZERO_LINE = dict.fromkeys(("gross_amount", "discount_amount", "service_charge_amount", "tax_amount",
                            "inclusive_tax_amount", "total_amount", "refunded_quantity"), 0)


def check_part_currency(money: PartMoneyIn | None, currency: str, param: str) -> None:
    """A part's money is in the order's currency (or names none, and is)."""
    if money is not None and money.currency is not None and money.currency != currency:
        raise FlintError("currency_mismatch", param=f"{param}.currency", other=money.currency, currency=currency)


def order_currency(ctx: Context, params: CreateOrderInput, sources: dict[str, LineSource]) -> str:
    """The currency a new order is in: as given; else the one its prices name, catalog prices included (the
    first one named wins, and any other is a currency_mismatch naming its field); else the server's default
    currency."""
    if params.currency is not None:
        return params.currency
    named = [line.unit_price_money.currency if line.unit_price_money is not None
             else sources[line.variation_id].currency for line in params.line_items]  # type: ignore[index]
    named += [money.currency for param, money in params.money_parts() if not param.startswith("line_items.")]
    return next((currency for currency in named if currency), ctx.settings.default_currency)


def catalog_lines(ctx: Context, lines: list[LineItemIn], param: str) -> dict[str, LineSource]:
    """What the catalog lines among ``lines`` (the request's ``param``) take from their variations: one query."""
    return line_sources(ctx, {f"{param}.{i}.variation_id": line.variation_id for i, line in enumerate(lines)
                              if line.variation_id is not None})


def new_line(ctx: Context, order: Order, item: LineItemIn, position: int, param: str,
             sources: dict[str, LineSource]) -> OrderLineItem:
    """The order line ``item`` describes: as given, or copied from its catalog variation (``sources``)."""
    line = OrderLineItem(line_item_id=ids.new_id("line_item"), merchant_id=order.merchant_id, env_id=order.env_id,
                         created_at=ctx.now, position=position, quantity=item.quantity, metadata_=item.metadata,
                         **_ZERO_LINE)
    if item.variation_id is None:
        assert item.name is not None and item.unit_price_money is not None  # LineItemIn._catalog_or_ad_hoc
        check_part_currency(item.unit_price_money, order.currency, f"{param}.unit_price_money")
        line.name, line.sku, line.item_id, line.unit_price = item.name, item.sku, item.item_id, item.unit_price_money.amount
        line.tax_category = (item.tax_category or TaxCategory.STANDARD).value
        return line
    source = sources[item.variation_id]
    if source.price_amount is None:  # VARIABLE: priced on the line
        if item.unit_price_money is None:
            raise FlintError("parameter_missing", param=f"{param}.unit_price_money")
        check_part_currency(item.unit_price_money, order.currency, f"{param}.unit_price_money")
        line.unit_price = item.unit_price_money.amount
    else:
        if item.unit_price_money is not None:
            raise FlintError("price_not_overridable", param=f"{param}.unit_price_money", variation_id=source.variation_id)
        if source.currency != order.currency:
            raise FlintError("currency_mismatch", param=f"{param}.variation_id", other=source.currency,
                             currency=order.currency)
        line.unit_price = source.price_amount
    line.variation_id, line.item_id, line.name, line.variation_name = (
        source.variation_id, source.item_id, source.item_name, source.variation_name)
    line.sku, line.tax_category, line.catalog_version = source.sku, source.tax_category, source.catalog_version
    return line


def new_service_charges(ctx: Context, order: Order, charges: list[ServiceChargeIn]) -> list[OrderServiceCharge]:
    for i, charge in enumerate(charges):
        check_part_currency(charge.amount_money, order.currency, f"service_charges.{i}.amount_money")
    return [OrderServiceCharge(service_charge_id=ids.new_id("service_charge"), merchant_id=order.merchant_id,
                               env_id=order.env_id, created_at=ctx.now, position=i, name=c.name,
                               amount=c.amount_money.amount if c.amount_money else None, percentage=c.percentage,
                               taxable=c.taxable, applied_amount=0, tax_amount=0) for i, c in enumerate(charges)]


def tip_of(order: Order, tip: TipIn) -> dict[str, Any]:
    check_part_currency(tip.amount_money, order.currency, "tip.amount_money")
    return {"amount": tip.amount_money.amount} if tip.amount_money else {"percentage": tip.percentage}


def check_line_count(count: int) -> None:
    if count > MAX_LINE_ITEMS:
        raise FlintError("too_many_line_items", param="line_items", limit=MAX_LINE_ITEMS, count=count)


def add_coupon(ctx: Context, order: Order, code: str, param: str, *, count: bool = True) -> None:
    coupon = redeem(ctx, order, code, param, count=count)
    order.coupons.append(OrderCoupon(
        order_coupon_id=ids.new_id("order_coupon"), merchant_id=order.merchant_id, env_id=order.env_id,
        created_at=ctx.now, position=len(order.coupons), coupon_id=coupon.coupon_id, code=coupon.code,
        stackable=coupon.stackable, percentage=coupon.percentage, amount=coupon.amount, discount_amount=0))


def build_order(ctx: Context, params: CreateOrderInput, *, preview: bool) -> Order:
    """The order ``params`` describe, priced; added to the session unless it is a preview."""
    check_line_count(len(params.line_items))
    sources = catalog_lines(ctx, params.line_items, "line_items")
    currency = order_currency(ctx, params, sources)  # each part is checked against it as it is built
    limits.check_currency(ctx, currency, "currency")
    if params.customer_id is not None:
        fetch(ctx, Customer, params.customer_id, resource="customer")
    order = Order(order_id=ids.new_id("order"), merchant_id=ctx.merchant_id, env_id=ctx.env_id,
                  status=ORDER.initial, currency=currency, customer_id=params.customer_id,
                  buyer_email=params.buyer_email,
                  tax_address=params.tax_address.model_dump() if params.tax_address else None,
                  tip=None, metadata_=params.metadata, version=1, created_at=ctx.now, updated_at=ctx.now,
                  tax_breakdown=[], **_ZERO_ORDER)
    order.line_items = [new_line(ctx, order, item, i, f"line_items.{i}", sources)
                        for i, item in enumerate(params.line_items)]
    order.service_charges = new_service_charges(ctx, order, params.service_charges)
    order.coupons = []
    # A new order has no payments or refunds: known, so rendering it reads neither.
    set_committed_value(order, "payment_intents", [])
    set_committed_value(order, "refunds", [])
    if params.tip is not None:
        order.tip = tip_of(order, params.tip)
    for i, code in enumerate(params.coupon_codes):
        add_coupon(ctx, order, code, f"coupon_codes.{i}", count=not preview)
    reprice(ctx, order)
    if not preview:  # written once priced (never inserted then updated), before any row that refers to it
        insert_new(ctx.session, order)  # (a checkout session, a payment)
    return order


def insert_new(session: Session, order: Order) -> None:
    """Write a new order and its parts, one INSERT per table, then attach them to the session as if just
    loaded: every value is known, so the unit of work (which costs more than the inserts) has nothing to
    work out. Later changes to them are tracked and flushed as usual."""
    parts = (*order.line_items, *order.coupons, *order.service_charges)
    for part in parts:
        part.order_id = order.order_id  # what the relationship would copy at a flush
    for model, objects in ((Order, [order]), (OrderLineItem, order.line_items), (OrderCoupon, order.coupons),
                           (OrderServiceCharge, order.service_charges)):
        if objects:
            statement, columns = _inserts(model)
            session.execute(statement, [{column: getattr(obj, key) for column, key in columns} for obj in objects])
    for obj in (order, *parts):
        make_transient_to_detached(obj)
    session.add(order)  # the parts follow by cascade: persistent, nothing pending


@functools.cache
def _inserts(model: type) -> tuple[Insert, list[tuple[str, str]]]:
    """The model's INSERT and its (column, attribute) names, built once."""
    mapper = inspect(model)
    return mapper.local_table.insert(), [(prop.columns[0].key, prop.key) for prop in mapper.column_attrs]
