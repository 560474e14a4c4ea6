"""The order as every face returns it (API.md section 5), and the audit snapshot activities diff."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field
from sqlalchemy import select

from flint_core.checkout.lifecycle import CheckoutSessionStatus
from flint_core.orders.lifecycle import ORDER, OrderStatus
from flint_core.orders.service import balances
from flint_core.payments.lifecycle import IN_FLIGHT, PaymentStatus
from flint_core.platform.context import Context
from flint_core.platform.schema import MoneyOut, Output, Resource
from flint_core.store.tables import CheckoutSession, Order

if TYPE_CHECKING:
    from flint_core.orders.reads import LoadedOrder


class LineItemOut(Output):
    line_item_id: str | None = Field(description="Id, `li_...` (null in a preview).")
    variation_id: str | None = Field(description="The catalog variation it was sold from, `var_...` (null for "
                                     "a line given by name and price).")
    item_id: str | None = Field(description="The catalog item (`item_...`) of a catalog line; else your own item "
                                "id, if given.")
    sku: str | None = Field(description="Stock keeping unit, if any.")
    name: str = Field(description="What was sold (a catalog line: its item's name when the line was added).")
    variation_name: str | None = Field(description="A catalog line's variation name, e.g. `Large`.")
    catalog_version: int | None = Field(description="A catalog line's item version when its name, price and tax "
                                        "category were copied: later catalog changes never touch this order.")
    quantity: int = Field(description="Units sold.")
    unit_price_money: MoneyOut = Field(description="Price of one unit.")
    tax_category: str = Field(description="STANDARD, REDUCED, EXEMPT or DIGITAL.")
    gross_money: MoneyOut = Field(description="unit price x quantity.")
    discount_money: MoneyOut = Field(description="This line's share of the order's coupon discounts.")
    service_charge_money: MoneyOut = Field(description="This line's share of the order's service charges.")
    tax_money: MoneyOut = Field(description="Tax on this line (including its share of service-charge tax).")
    total_money: MoneyOut = Field(description="What this line costs: gross - discount + service charges + "
                                              "added tax. A refund of every unit returns exactly this.")
    refunded_quantity: int = Field(description="Units refunded so far.")
    refundable_quantity: int = Field(description="Units that can still be refunded (0 until the order is paid).")
    metadata: dict[str, str] = Field(description="Your key-value pairs.")


class AppliedCouponOut(Output):
    coupon_id: str = Field(description="The coupon, `cpn_...`.")
    code: str = Field(description="Its code.")
    discount_money: MoneyOut = Field(description="What this coupon took off this order.")


class ServiceChargeOut(Output):
    service_charge_id: str | None = Field(description="Id, `sc_...` (null in a preview).")
    name: str = Field(description="Label, e.g. `Delivery`.")
    amount_money: MoneyOut | None = Field(description="Fixed amount, for fixed charges.")
    percentage: str | None = Field(description="Percent of (subtotal - discount), for percentage charges.")
    taxable: bool = Field(description="Whether it is taxed at the order's standard rate.")
    applied_money: MoneyOut = Field(description="What it adds to this order, before tax.")
    tax_money: MoneyOut = Field(description="Tax on it.")


class TipOut(Output):
    amount_money: MoneyOut | None = Field(description="Fixed tip, if given as an amount.")
    percentage: str | None = Field(description="Percent of (subtotal - discount), if given as a percentage.")
    applied_money: MoneyOut = Field(description="The tip on this order; never discounted or taxed.")


class TaxAddressOut(Output):
    country: str = Field(description="ISO 3166-1 alpha-2 country.")
    region: str | None = Field(description="Region or state.")
    postal_code: str | None = Field(description="Postal code.")


class PricingAmounts(Output):
    subtotal_money: MoneyOut = Field(description="Sum of line gross amounts.")
    discount_money: MoneyOut = Field(description="Sum of coupon discounts.")
    service_charge_money: MoneyOut = Field(description="Sum of service charges, before their tax.")
    tax_money: MoneyOut = Field(description="All tax, added and inclusive.")
    inclusive_tax_money: MoneyOut = Field(description="The part of tax_money already inside prices (not added).")
    tip_money: MoneyOut = Field(description="The tip.")
    total_money: MoneyOut = Field(description="subtotal - discount + service charges + added tax + tip.")


class SettlementAmounts(Output):
    authorized_money: MoneyOut = Field(description="Held by an authorization, not yet captured.")
    paid_money: MoneyOut = Field(description="Captured.")
    refunded_money: MoneyOut = Field(description="Refunded.")
    outstanding_money: MoneyOut = Field(description="Still to be paid; never negative.")
    refundable_money: MoneyOut = Field(description="Can still be refunded: paid - refunded.")


class TaxBreakdownOut(Output):
    jurisdiction: str = Field(description="Where the rate applies, e.g. `US-CA` or `ALL`.")
    tax_rate_id: str = Field(description="The rate applied, `txr_...`.")
    rate: str = Field(description="Its percentage as a decimal string.")
    inclusive: bool = Field(description="Whether it is carved out of prices.")
    taxable_money: MoneyOut = Field(description="The base it was applied to.")
    tax_money: MoneyOut = Field(description="Tax at this rate, rounded once.")


class OrderOut(Resource):
    object: Literal["order"] = Field("order", description="Always `order`.")
    order_id: str | None = Field(description="Id, `ord_...` (null in a preview).")
    preview: bool = Field(False, description="True when returned by preview_order: nothing was stored.")
    status: str = Field(description="OPEN, AUTHORIZED, PAID, PARTIALLY_REFUNDED, REFUNDED, CLOSED or CANCELED.")
    currency: str = Field(description="The order's one currency.")
    customer_id: str | None = Field(description="The customer, `cus_...`.")
    buyer_email: str | None = Field(description="Where receipts go.")
    line_items: list[LineItemOut] = Field(description="What is sold, with each line's computed amounts.")
    coupons: list[AppliedCouponOut] = Field(description="Coupons in the order they apply.")
    service_charges: list[ServiceChargeOut] = Field(description="Fees such as delivery or service.")
    tip: TipOut | None = Field(description="The tip, if any.")
    tax_address: TaxAddressOut | None = Field(description="The address that selects tax rates.")
    pricing_amounts: PricingAmounts = Field(description="Computed totals; recomputed on every change.")
    settlement_amounts: SettlementAmounts = Field(description="Money moved so far.")
    tax_breakdown: list[TaxBreakdownOut] = Field(description="Tax per rate applied.")
    payment_intent_ids: list[str] = Field(description="Payment attempts on this order.")
    refund_ids: list[str] = Field(description="Refunds of this order.")
    checkout_session_url: str | None = Field(description="The hosted payment page of the newest OPEN checkout "
                                             "session, an absolute URL to send the buyer to "
                                             "(`https://<server>/checkout/cs_...`), or null.")
    last_payment_failure: dict[str, Any] | None = Field(description="The last declined payment's failure block.")
    recovery_options: list[str] = Field(description="What can be done after a failed payment.")
    available_actions: list[str] = Field(description="Operations legal on this order now, for the calling key.")
    version: int = Field(description="Increments on every change; send it back in update_order to avoid "
                                     "overwriting someone else's change.")
    created_at: datetime | None = Field(description="When it was created (null in a preview).")
    updated_at: datetime | None = Field(description="When it last changed.")
    metadata: dict[str, str] = Field(description="Your key-value pairs.")


def checkout_url(checkout_session_id: str) -> str:
    """Where the buyer pays, as a path on this server: what is stored and what the hosted pages link to.
    Outputs hand it out absolute (``ctx.settings.absolute_url``)."""
    return f"/checkout/{checkout_session_id}"


def open_checkout_urls(ctx: Context, orders: list[Order]) -> dict[str, str]:
    """order_id -> the URL of its newest session that can still take its payment (OPEN, not past its
    expiry), for the OPEN orders among ``orders``: one query for a whole page."""
    open_orders = [order.order_id for order in orders if order.status == OrderStatus.OPEN]
    if not open_orders:
        return {}
    rows = ctx.session.execute(
        select(CheckoutSession.order_id, CheckoutSession.checkout_session_id)
        .where(CheckoutSession.merchant_id == ctx.merchant_id, CheckoutSession.env_id == ctx.env_id,
               CheckoutSession.order_id.in_(open_orders), CheckoutSession.status == CheckoutSessionStatus.OPEN,
               CheckoutSession.expires_at > ctx.now)
        .order_by(CheckoutSession.checkout_session_id))
    newest = {order_id: session_id for order_id, session_id in rows}  # ascending ids: the last one wins
    return {order_id: ctx.settings.absolute_url(checkout_url(session_id)) for order_id, session_id in newest.items()}


BLOCKED_IN_FLIGHT = frozenset({"update_order", "apply_coupon", "remove_coupon", "cancel_order", "pay_order",
                               "create_checkout_session"})
NEED_REFUNDABLE = frozenset({"preview_refund", "create_refund"})


def legal(ctx: Context, order: Order) -> Callable[[str], bool]:
    """Beyond the status table: nothing edits an order with a payment in flight, refunds need money
    left to refund, and canceling an AUTHORIZED order voids its hold, which needs payments:write."""
    in_flight = any(pi.status in IN_FLIGHT for pi in order.payment_intents)
    refundable = balances(order).refundable > 0
    voids = order.status == OrderStatus.AUTHORIZED and not (
        ctx.principal is None or ctx.principal.has_scope("payments:write"))
    return lambda action: ctx.can(action) and not (in_flight and action in BLOCKED_IN_FLIGHT) and not (
        action in NEED_REFUNDABLE and not refundable) and not (voids and action == "cancel_order")


def order_out(ctx: Context, order: Order | LoadedOrder, *, preview: bool = False,
              checkout_urls: dict[str, str] | None = None) -> OrderOut:
    """The order as every face returns it. ``checkout_urls``: open_checkout_urls of the page it is part of
    (a list renders its orders with one query for their sessions); absent, this order's own are read.
    Built as plain data and validated once, in one call (pydantic-core builds the ~45 nested objects
    several times faster than Python constructing each)."""
    currency = order.currency

    def m(amount: int) -> dict[str, Any]:
        return {"amount": amount, "currency": currency}

    paid = order.status not in (OrderStatus.OPEN, OrderStatus.AUTHORIZED, OrderStatus.CANCELED)
    latest = None if preview or not order.payment_intents else order.payment_intents[-1]
    failure = latest.failure if latest is not None and latest.status == PaymentStatus.FAILED else None
    settlement = balances(order)
    tip = order.tip
    return OrderOut.model_validate({
        "order_id": None if preview else order.order_id, "preview": preview, "status": order.status,
        "currency": currency, "customer_id": order.customer_id, "buyer_email": order.buyer_email,
        "line_items": [{
            "line_item_id": None if preview else li.line_item_id, "variation_id": li.variation_id,
            "item_id": li.item_id, "sku": li.sku, "name": li.name, "variation_name": li.variation_name,
            "catalog_version": li.catalog_version, "quantity": li.quantity, "unit_price_money": m(li.unit_price),
            "tax_category": li.tax_category, "gross_money": m(li.gross_amount),
            "discount_money": m(li.discount_amount), "service_charge_money": m(li.service_charge_amount),
            "tax_money": m(li.tax_amount), "total_money": m(li.total_amount),
            "refunded_quantity": li.refunded_quantity or 0,
            "refundable_quantity": li.quantity - (li.refunded_quantity or 0) if paid else 0,
            "metadata": li.metadata_} for li in order.line_items],
        "coupons": [{"coupon_id": c.coupon_id, "code": c.code, "discount_money": m(c.discount_amount)}
                    for c in order.coupons],
        "service_charges": [{
            "service_charge_id": None if preview else sc.service_charge_id, "name": sc.name,
            "amount_money": None if sc.amount is None else m(sc.amount), "percentage": sc.percentage,
            "taxable": sc.taxable, "applied_money": m(sc.applied_amount), "tax_money": m(sc.tax_amount)}
            for sc in order.service_charges],
        "tip": None if tip is None else {
            "amount_money": None if tip.get("amount") is None else m(tip["amount"]),
            "percentage": tip.get("percentage"), "applied_money": m(order.tip_amount)},
        "tax_address": order.tax_address,
        "pricing_amounts": {
            "subtotal_money": m(order.subtotal_amount), "discount_money": m(order.discount_amount),
            "service_charge_money": m(order.service_charge_amount), "tax_money": m(order.tax_amount),
            "inclusive_tax_money": m(order.inclusive_tax_amount), "tip_money": m(order.tip_amount),
            "total_money": m(order.total_amount)},
        "settlement_amounts": {
            "authorized_money": m(settlement.authorized), "paid_money": m(settlement.paid),
            "refunded_money": m(settlement.refunded), "outstanding_money": m(settlement.outstanding),
            "refundable_money": m(settlement.refundable)},
        "tax_breakdown": [{
            "jurisdiction": t["jurisdiction"], "tax_rate_id": t["tax_rate_id"], "rate": t["rate"],
            "inclusive": t["inclusive"], "taxable_money": m(t["taxable"]), "tax_money": m(t["tax"])}
            for t in order.tax_breakdown],
        "payment_intent_ids": [] if preview else [pi.payment_intent_id for pi in order.payment_intents],
        "refund_ids": [] if preview else [r.refund_id for r in order.refunds],
        "checkout_session_url": None if preview else (
            checkout_urls if checkout_urls is not None else open_checkout_urls(ctx, [order])).get(order.order_id),
        "last_payment_failure": failure, "recovery_options": failure["recovery_options"] if failure else [],
        "available_actions": [] if preview else ORDER.actions_for(order.status, legal(ctx, order)),
        "version": order.version, "created_at": None if preview else order.created_at,
        "updated_at": None if preview else order.updated_at, "metadata": order.metadata_})


def audit_snapshot(order: Order) -> dict[str, Any]:
    """The fields an activity's delta compares, flattened to dotted paths."""
    flat: dict[str, Any] = {
        "status": order.status, "customer_id": order.customer_id, "buyer_email": order.buyer_email,
        "tax_address": order.tax_address, "tip": order.tip, "metadata": order.metadata_,
        "total_money.amount": order.total_amount, "subtotal_money.amount": order.subtotal_amount,
        "discount_money.amount": order.discount_amount, "tax_money.amount": order.tax_amount,
        "coupons": [c.code for c in order.coupons],
        "service_charges": [[sc.name, sc.amount, sc.percentage, sc.taxable] for sc in order.service_charges],
    }
    for li in order.line_items:
        flat[f"line_items.{li.line_item_id}"] = f"{li.quantity} x {li.name} @ {li.unit_price}"
    return flat


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """field -> [before, after] for every field that changed (API.md section 5)."""
    return {k: [before.get(k), after.get(k)] for k in sorted(before.keys() | after.keys())
            if before.get(k) != after.get(k)}
