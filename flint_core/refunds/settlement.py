"""How a refund's money moves on its order: reserved when the refund is created (``reserve``), kept
when the processor says SUCCEEDED, given back when it says FAILED (``record_result``). Under the
order's row lock, so concurrent refunds never exceed what was paid."""

from __future__ import annotations

from typing import Any

from flint_core.catalog import stock
from flint_core.kernel import ids
from flint_core.orders.announce import as_json, child_event, emit_order, order_json
from flint_core.orders.service import lock_order
from flint_core.orders.transitions import move_order
from flint_core.platform.context import Context
from flint_core.processors.base import RefundOutcome, RefundResult
from flint_core.refunds.inputs import CreateRefundInput
from flint_core.refunds.lifecycle import REFUND, RefundStatus
from flint_core.refunds.plan import Plan, status_after
from flint_core.refunds.views import refund_out
from flint_core.store.tables import Order, PaymentIntent, Refund


def reserve(ctx: Context, plan: Plan, params: CreateRefundInput) -> Refund:
    order, pi = plan.order, plan.payment_intent
    assert pi is not None
    order_before = order_json(ctx, order)
    refund = Refund(refund_id=ids.new_id("refund"), merchant_id=ctx.merchant_id, env_id=ctx.env_id,
                    created_at=ctx.now, updated_at=ctx.now, order_id=order.order_id,
                    payment_intent_id=pi.payment_intent_id, status=REFUND.initial, amount=plan.amount,
                    tax_amount=plan.tax, currency=order.currency,
                    line_items=plan.lines, reason=params.reason.value,
                    failure_reason=None, idempotency_key=ctx.idempotency_key, processor_reference=None,
                    created_by=ctx.principal.api_key_id if ctx.principal else None)
    ctx.session.add(refund)
    shift(ctx, order, pi, refund, +1, "REFUND_CREATED", plan.lines)
    variations = {li.line_item_id: li.variation_id for li in order.line_items}
    for i, x in enumerate(plan.lines):
        if x.get("restock"):
            stock.restock(ctx, variations[x["line_item_id"]], x["quantity"], order_id=order.order_id,
                          refund_id=refund.refund_id, param=f"line_items.{i}.restock")
    order_now = order_json(ctx, order)
    child_event(ctx, "refund.created", as_json(refund_out(refund, order.status)), None, order_now)
    emit_order(ctx, "order.refunded", order_now, order_before)
    return refund


def shift(ctx: Context, order: Order, pi: PaymentIntent, refund: Refund, sign: int, activity: str,
          lines: list[dict[str, Any]]) -> None:
    """Reserve (+1) or give back (-1) a refund's money and units on its order and payment."""
    by_id = {li.line_item_id: li for li in order.line_items}
    for x in lines:
        by_id[x["line_item_id"]].refunded_quantity += sign * x["quantity"]
    before_amount = order.refunded_amount
    order.refunded_amount += sign * refund.amount
    pi.amount_refunded += sign * refund.amount
    move_order(ctx, order, status_after(order, order.refunded_amount), activity, {
        "refund_id": [None, refund.refund_id], "refunded_money.amount": [before_amount, order.refunded_amount]})


def record_result(ctx: Context, refund_id: str, result: RefundResult) -> Refund:
    """Record the processor's answer for a refund (in the caller's transaction), once: SUCCEEDED keeps
    its money off the order; FAILED gives it back."""
    refund = ctx.session.get(Refund, refund_id, with_for_update=True, populate_existing=True)
    assert refund is not None
    refund.processor_reference = result.reference
    if refund.status != RefundStatus.PENDING or result.status is RefundOutcome.PENDING:
        return refund
    order = lock_order(ctx.session, refund.order_id)
    pi = next(pi for pi in order.payment_intents if pi.payment_intent_id == refund.payment_intent_id)
    refund_before, order_before = as_json(refund_out(refund, order.status)), order_json(ctx, order)
    refund.updated_at = ctx.now
    if result.status is RefundOutcome.SUCCEEDED:
        refund.status = RefundStatus.SUCCEEDED
        ctx.record("order", order.order_id, "REFUND_SUCCEEDED", {"refund_id": [None, refund.refund_id]})
    else:
        refund.status, refund.failure_reason = RefundStatus.FAILED, result.failure_reason or "refund failed"
        shift(ctx, order, pi, refund, -1, "REFUND_FAILED", refund.line_items)
    order_now = order_json(ctx, order)
    child_event(ctx, f"refund.{refund.status.lower()}", as_json(refund_out(refund, order.status)), refund_before,
                order_now)
    if refund.status == RefundStatus.FAILED:  # its money went back to the order
        emit_order(ctx, "order.updated", order_now, order_before)
    return refund
