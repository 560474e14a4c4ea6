"""Refunds: preview, then refund an amount, some line items, or everything left (API.md section 6 rule 7).

A refund reserves its money on the order at once (refundable_money drops, lines' refunded_quantity
rises, the order moves to PARTIALLY_REFUNDED / REFUNDED) under the order's row lock, so concurrent
refunds can never exceed what was paid. The processor then settles it: SUCCEEDED, or FAILED, which
gives the money back to the order.
"""

from __future__ import annotations

from flint_core.orders import pricing
from flint_core.orders.service import order_statuses
from flint_core.platform import previews
from flint_core.platform.context import Context
from flint_core.platform.pagination import Page, paginate
from flint_core.platform.queries import fetch, scoped
from flint_core.platform.registry import READ_ONLY, RELEASES_MONEY, operation
from flint_core.platform.schema import MoneyOut
from flint_core.processors.base import ProcessorError
from flint_core.refunds import jobs as refund_jobs
from flint_core.refunds import limits as refund_limits
from flint_core.refunds.inputs import CreateRefundInput, GetRefundInput, ListRefundsInput, RefundInput
from flint_core.refunds.lifecycle import RefundStatus
from flint_core.refunds.plan import order_for, plan_refund, status_after
from flint_core.refunds.settlement import record_result, reserve
from flint_core.refunds.views import RefundOut, RefundPreview, refund_line_out, refund_out
from flint_core.store.tables import Order, PaymentIntent, Refund


@operation("preview_refund", http="POST /v1/refunds/preview", scope="orders:read", safety=READ_ONLY,
           summary="What a refund would return (and its tax), the order after it, and whether it is allowed.")
def preview_refund(ctx: Context, params: RefundInput) -> RefundPreview:
    """Call this before create_refund, with the same parameters: it computes the refund exactly as
    create_refund would (amount, tax part, units, the order's status and amounts after) and changes
    nothing. `allowed: false` comes with the error create_refund would give."""
    plan = plan_refund(ctx, params, order_for(ctx, params, lock=False))
    order = plan.order
    if plan.error is None:
        plan.error = refund_limits.refund_refusal(ctx, plan.amount, order.currency)

    def m(amount: int) -> MoneyOut:
        return MoneyOut.of(amount, order.currency)

    refunded = order.refunded_amount + (0 if plan.error else plan.amount)
    fingerprint = previews.fingerprint("create_refund", params)
    preview_id = None if plan.error else previews.issue(ctx, "create_refund", fingerprint, order.order_id,
                                                         order.version)
    refusal = ctx.refusal(plan.error)
    return RefundPreview(
        allowed=plan.error is None, error=refusal,
        preview_id=preview_id,
        order_id=order.order_id, payment_intent_id=plan.payment_intent.payment_intent_id if plan.payment_intent else None,
        amount_money=m(plan.amount), tax_money=m(plan.tax),
        line_items=[refund_line_out(x, order.currency) for x in plan.lines],
        order_status_after=order.status if plan.error else status_after(order, refunded),
        refunded_money_after=m(refunded), refundable_money_after=m(
            pricing.settlement(order.total_amount, order.authorized_amount, order.paid_amount, refunded).refundable))


def _reserved_by_this_key(ctx: Context, order: Order) -> Refund | None:
    """The refund an earlier attempt of this very request reserved (it died before answering), if any:
    a retry resumes it instead of refunding twice."""
    if ctx.idempotency_key is None:
        return None
    return next((r for r in order.refunds if r.idempotency_key == ctx.idempotency_key), None)


@operation("create_refund", http="POST /v1/refunds", scope="refunds:write", safety=RELEASES_MONEY,
           preview_by="preview_refund", summary="Refund an amount, some line items, or everything left on a paid order.")
def create_refund(ctx: Context, params: CreateRefundInput) -> RefundOut:
    """Return money to the customer. Call preview_refund first with the same parameters. By
    `line_items` (each unit returns its share of the line total, tax and discount included), by
    `amount_money` (tax part proportional), or neither for everything left. Never exceeds
    `refundable_money`. The refund is PENDING until the processor settles it (usually at once in test
    mode); a FAILED refund gives the money back to the order. Cannot be undone."""
    order = order_for(ctx, params, lock=True)
    refund = _reserved_by_this_key(ctx, order)
    if refund is None:
        plan = plan_refund(ctx, params, order)
        if params.preview_id is not None:
            previews.confirm(ctx, params.preview_id, "create_refund", previews.fingerprint("create_refund", params),
                             plan.order.order_id, plan.order.version)
        if plan.error is not None:
            raise plan.error
        refund_limits.check_refund(ctx, plan.amount, plan.order.currency)
        refund = reserve(ctx, plan, params)
    elif refund.status != RefundStatus.PENDING:
        return refund_out(refund, order.status)
    refund_jobs.schedule_refund_settlement(ctx.session, refund.refund_id, ctx.now)  # committed before the call below
    pi = ctx.session.get(PaymentIntent, refund.payment_intent_id)
    assert pi is not None
    processor, reference, key = ctx.processor(), pi.processor_reference or "", f"{refund.refund_id}:refund"
    refund_id, amount = refund.refund_id, refund.amount
    ctx.checkpoint()
    try:
        result = processor.refund(key=key, reference=reference, amount=amount)
    except ProcessorError:  # stays PENDING; the settlement job asks again with the same key
        refund = ctx.session.get(Refund, refund_id, populate_existing=True)
        assert refund is not None
    else:
        refund = record_result(ctx, refund_id, result)
        if refund.status != RefundStatus.PENDING:
            refund_jobs.cancel_refund_settlement(ctx.session, refund_id)
    order = ctx.session.get(Order, refund.order_id)
    return refund_out(refund, order.status if order else "")


@operation("get_refund", http="GET /v1/refunds/{refund_id}", scope="orders:read", safety=READ_ONLY,
           summary="Fetch a refund: status, amount, tax part, lines, failure reason.")
def get_refund(ctx: Context, params: GetRefundInput) -> RefundOut:
    """Fetch a refund. PENDING refunds settle in the background; a FAILED one says why in
    `failure_reason` and its money is refundable again on the order."""
    refund = fetch(ctx, Refund, params.refund_id, resource="refund")
    order = ctx.session.get(Order, refund.order_id)
    return refund_out(refund, order.status if order else "")


@operation("list_refunds", http="GET /v1/refunds", scope="orders:read", safety=READ_ONLY,
           summary="List refunds, newest first, optionally of one order.")
def list_refunds(ctx: Context, params: ListRefundsInput) -> Page[RefundOut]:
    """List refunds, newest first; filter by `order_id` to see one order's refunds."""
    stmt = scoped(ctx, Refund)
    if params.order_id:
        stmt = stmt.where(Refund.order_id == params.order_id)
    rows, token = paginate(ctx.session, stmt, Refund.refund_id, params, {"order_id": params.order_id})
    statuses = order_statuses(ctx, {r.order_id for r in rows})
    return Page[RefundOut](data=[refund_out(r, statuses.get(r.order_id, "")) for r in rows], next_page_token=token)
