"""What a refund would return (API.md section 6 rule 7), against the order as it is now: the plan
that preview_refund shows and create_refund carries out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flint_core.catalog import stock
from flint_core.kernel.errors import FlintError
from flint_core.orders import pricing
from flint_core.orders.lifecycle import ORDER, OrderStatus
from flint_core.orders.service import balances
from flint_core.orders.views import legal
from flint_core.payments.lifecycle import PAYMENT_INTENT, PaymentStatus
from flint_core.platform.context import Context
from flint_core.platform.queries import fetch
from flint_core.refunds.inputs import RefundInput
from flint_core.refunds.lifecycle import RefundStatus
from flint_core.store.tables import Order, OrderLineItem, PaymentIntent


@dataclass
class Plan:
    """What a refund would do; ``error`` set when it is not allowed."""

    order: Order
    amount: int = 0
    tax: int = 0
    lines: list[dict[str, Any]] = field(default_factory=list)
    payment_intent: PaymentIntent | None = None
    error: FlintError | None = None


def order_for(ctx: Context, params: RefundInput, lock: bool) -> Order:
    if params.payment_intent_id is not None:
        pi = fetch(ctx, PaymentIntent, params.payment_intent_id, resource="payment_intent")
        if params.order_id is not None and params.order_id != pi.order_id:
            raise FlintError("parameter_invalid", param="payment_intent_id",
                             detail=f"belongs to order {pi.order_id}, not {params.order_id}")
        order_id = pi.order_id
    else:
        order_id = params.order_id or ""
    return fetch(ctx, Order, order_id, resource="order", lock=lock)


def line_pricing(li: OrderLineItem) -> pricing.LinePricing:
    return pricing.LinePricing(li.gross_amount, li.discount_amount, li.service_charge_amount, li.tax_amount,
                               li.inclusive_tax_amount, li.total_amount)


def plan_refund(ctx: Context, params: RefundInput, order: Order) -> Plan:
    """Rule 7 for this request against ``order`` (its ``order_for``) as it is now. Errors go into the plan
    (for previews)."""
    plan = Plan(order)
    try:
        ORDER.require(order.status, "create_refund", order.order_id, legal(ctx, order))
        refundable = balances(order).refundable
        if refundable <= 0:
            raise FlintError("nothing_to_refund", param="order_id", order_id=order.order_id)
        if params.line_items is not None:
            lines = {li.line_item_id: li for li in order.line_items}
            seen: set[str] = set()
            restocked: dict[str, str | None] = {}  # param -> the line's variation
            for i, want in enumerate(params.line_items):
                li = lines.get(want.line_item_id)
                if li is None or want.line_item_id in seen:
                    raise FlintError("line_item_not_found", param=f"line_items.{i}.line_item_id",
                                     order_id=order.order_id, line_item_id=want.line_item_id)
                seen.add(want.line_item_id)
                left = li.quantity - li.refunded_quantity
                if want.quantity > left:
                    raise FlintError("refund_exceeds_quantity", param=f"line_items.{i}.quantity",
                                     line_item_id=li.line_item_id, refundable=left, quantity=want.quantity)
                part = pricing.line_refund(line_pricing(li), want.quantity, li.quantity, li.refunded_quantity)
                plan.lines.append({"line_item_id": li.line_item_id, "quantity": want.quantity, "amount": part.amount,
                                   "tax": part.tax, "restock": want.restock})
                if want.restock:
                    restocked[f"line_items.{i}.restock"] = li.variation_id
            check_restock(ctx, restocked)
            plan.amount, plan.tax = sum(x["amount"] for x in plan.lines), sum(x["tax"] for x in plan.lines)
            param = "line_items"
        elif params.amount_money is not None:
            if params.amount_money.currency != order.currency:
                raise FlintError("currency_mismatch", param="amount_money.currency",
                                 other=params.amount_money.currency, currency=order.currency)
            if params.amount_money.amount <= 0:
                raise FlintError("parameter_invalid", param="amount_money.amount", detail="must be at least 1")
            plan.amount = params.amount_money.amount
            plan.tax = pricing.amount_refund_tax(min(plan.amount, order.total_amount), order.tax_amount,
                                                 order.total_amount)
            param = "amount_money.amount"
        else:  # everything left, with exactly the tax not yet returned
            plan.amount = refundable
            plan.tax = order.tax_amount - sum(r.tax_amount for r in order.refunds if r.status != RefundStatus.FAILED)
            for li in order.line_items:
                left = li.quantity - li.refunded_quantity
                if left:
                    part = pricing.line_refund(line_pricing(li), left, li.quantity, li.refunded_quantity)
                    plan.lines.append({"line_item_id": li.line_item_id, "quantity": left, "amount": part.amount,
                                       "tax": part.tax})
            if sum(x["amount"] for x in plan.lines) > refundable:  # earlier amount refunds: units carry no price
                plan.lines = [x | {"amount": 0, "tax": 0} for x in plan.lines]
            param = "order_id"
        if plan.amount > refundable:
            raise FlintError("refund_exceeds_refundable", param=param, amount=plan.amount,
                             order_id=order.order_id, refundable=refundable)
        candidates = [pi for pi in reversed(order.payment_intents)
                      if params.payment_intent_id in (None, pi.payment_intent_id)]
        if params.payment_intent_id is not None:  # the payment named must be one that collected money
            PAYMENT_INTENT.require(candidates[0].status, "create_refund", params.payment_intent_id, ctx.can)
        plan.payment_intent = next((pi for pi in candidates if pi.status == PaymentStatus.SUCCEEDED
                                    and pi.amount_captured - pi.amount_refunded >= plan.amount), None)
        if plan.payment_intent is None:
            raise FlintError("refund_exceeds_refundable", param=param, amount=plan.amount,
                             order_id=order.order_id, refundable=max((pi.amount_captured - pi.amount_refunded
                                                                      for pi in order.payment_intents), default=0))
        plan.tax = min(plan.tax, plan.amount)
    except FlintError as exc:
        plan.error = exc
    return plan


def check_restock(ctx: Context, restocked: dict[str, str | None]) -> None:
    """Units can go back on the shelf only for lines of tracked catalog variations."""
    tracked = stock.tracked(ctx, {v for v in restocked.values() if v is not None})
    for param, variation_id in restocked.items():
        if variation_id is None:
            raise FlintError("parameter_invalid", param=param, detail="this line is not from the catalog (it has "
                             "no variation_id): there is no stock to return its units to")
        if variation_id not in tracked:
            raise FlintError("inventory_not_tracked", param=param, variation_id=variation_id)


def status_after(order: Order, refunded: int) -> str:
    if order.status == OrderStatus.CLOSED:
        return OrderStatus.CLOSED  # settled orders keep their status; refunds show in settlement_amounts
    if refunded <= 0:
        return OrderStatus.PAID
    return OrderStatus.REFUNDED if refunded >= order.paid_amount else OrderStatus.PARTIALLY_REFUNDED
