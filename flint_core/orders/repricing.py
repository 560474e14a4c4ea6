"""Glue between stored orders and the pure pricing core: resolve tax rates for the order's address,
price it from its own parts, and write the snapshot of computed amounts back onto the rows."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from flint_core.kernel.errors import FlintError
from flint_core.orders import pricing
from flint_core.platform.context import Context
from flint_core.store.tables import Order
from flint_core.tax import rules as tax
from flint_core.tax.service import merchant_rules

RateFor = Callable[[str], pricing.AppliedRate | None]


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _price(order: Order, rate_for: RateFor) -> pricing.OrderPricing:
    tip = order.tip
    return pricing.price_order(
        lines=[pricing.LineInput(li.quantity, li.unit_price, rate_for(li.tax_category)) for li in order.line_items],
        coupons=[pricing.CouponInput(percentage=_dec(c.percentage), amount=c.amount) for c in order.coupons],
        service_charges=[pricing.ServiceChargeInput(amount=sc.amount, percentage=_dec(sc.percentage),
                                                    taxable=sc.taxable) for sc in order.service_charges],
        tip=None if tip is None else pricing.TipInput(amount=tip.get("amount"), percentage=_dec(tip.get("percentage"))),
        standard_rate=rate_for("STANDARD"))


def reprice(ctx: Context, order: Order) -> None:
    """Recompute every amount of ``order`` from its parts (call inside the mutation's transaction)."""
    rules = merchant_rules(ctx)
    address = tax.Address(**order.tax_address) if order.tax_address else None
    resolved: dict[str, pricing.AppliedRate | None] = {}

    def rate_for(category: str) -> pricing.AppliedRate | None:
        if category not in resolved:
            rule = tax.resolve_rate(rules, address, category)
            resolved[category] = None if rule is None else pricing.AppliedRate.from_rule(rule)
        return resolved[category]

    try:
        result = _price(order, rate_for)
    except ValueError:  # inputs are validated already; only amounts past 2^53 - 1 still fail here
        raise FlintError("amount_too_large", param="line_items") from None

    for li, lp in zip(order.line_items, result.lines, strict=True):
        li.gross_amount, li.discount_amount, li.service_charge_amount = lp.gross, lp.discount, lp.service_charge
        li.tax_amount, li.inclusive_tax_amount, li.total_amount = lp.tax, lp.inclusive_tax, lp.total
    for coupon, discount in zip(order.coupons, result.coupon_discounts, strict=True):
        coupon.discount_amount = discount
    for sc, scp in zip(order.service_charges, result.service_charges, strict=True):
        sc.applied_amount, sc.tax_amount = scp.applied, scp.tax
    order.subtotal_amount, order.discount_amount = result.subtotal, result.discount
    order.service_charge_amount, order.tax_amount = result.service_charge, result.tax
    order.inclusive_tax_amount, order.tip_amount, order.total_amount = result.inclusive_tax, result.tip, result.total
    order.tax_breakdown = [{"jurisdiction": t.jurisdiction, "tax_rate_id": t.tax_rate_id, "rate": str(t.percentage),
                            "inclusive": t.inclusive, "taxable": t.taxable, "tax": t.tax} for t in result.tax_lines]
