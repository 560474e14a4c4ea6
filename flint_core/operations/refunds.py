"""Refunds: preview, then refund an amount, some line items, or everything left (API.md section 6 rule 7).

A refund reserves its money on the order at once (refundable_money drops, lines' refunded_quantity
rises, the order moves to PARTIALLY_REFUNDED / REFUNDED) under the order's row lock, so concurrent
refunds can never exceed what was paid. The processor then settles it: SUCCEEDED, or FAILED, which
gives the money back to the order.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from flint_core import ids, jobs, lifecycle, limits, previews, pricing
from flint_core.errors import FlintError
from flint_core.operations.common import fetch, order_statuses, scoped
from flint_core.operations.event_objects import as_json, child_event, emit_order, order_json
from flint_core.operations.order_views import legal
from flint_core.operations.payment_views import processor_for
from flint_core.pagination import Page, paginate
from flint_core.processors.base import ProcessorError, RefundResult, RefundStatus
from flint_core.registry import READ_ONLY, Safety, operation
from flint_core.runtime import Context
from flint_core.schema import Input, ListInput, MoneyIn, MoneyOut, Output, Quantity, given, lenient_enum, openapi_only
from flint_core.store.models import Order, OrderLineItem, PaymentIntent, Refund

REFUND_SAFETY = Safety(read_only=False, destructive=True, open_world=True, moves_money=True)


class RefundReason(enum.Enum):
    REQUESTED_BY_CUSTOMER = "REQUESTED_BY_CUSTOMER"
    DUPLICATE = "DUPLICATE"
    FRAUDULENT = "FRAUDULENT"
    OTHER = "OTHER"


ReasonIn = lenient_enum(RefundReason, "REQUESTED_BY_CUSTOMER, DUPLICATE, FRAUDULENT or OTHER (default).")


class RefundLineIn(Input):
    line_item_id: str = Field(description="A line of the order, `li_...`.")
    quantity: Quantity = Field(description="Units to refund; at most the line's refundable_quantity.")


class RefundInput(Input):
    order_id: str | None = Field(None, description="The order to refund (or give payment_intent_id).")
    payment_intent_id: str | None = Field(None, description="The payment to refund (or give order_id).")
    amount_money: MoneyIn | None = Field(None, description="Refund this amount (its tax part is proportional).")
    line_items: list[RefundLineIn] | None = Field(None, min_length=1, max_length=500, description="Refund these units: each "
                                                  "returns its share of the line's total, discount and tax "
                                                  "included. Neither amount nor lines: refund everything left.")
    reason: ReasonIn = Field(RefundReason.OTHER, description="Why (default OTHER).")
    model_config = ConfigDict(json_schema_extra=openapi_only(allOf=[  # what _what checks
        {"anyOf": [given(order_id="string"), given(payment_intent_id="string")]},
        {"not": given(amount_money="object", line_items="array")}]))

    @model_validator(mode="after")
    def _what(self) -> RefundInput:
        if self.order_id is None and self.payment_intent_id is None:
            raise FlintError("parameter_missing", param="order_id")
        if self.amount_money is not None and self.line_items is not None:
            raise FlintError("parameter_invalid", param="line_items", detail="give amount_money or line_items, not both")
        return self


class CreateRefundInput(RefundInput):
    preview_id: str | None = Field(None, max_length=100, description="The preview_id of a preview_refund with "
                                   "the same parameters: the refund then happens only if the order has not "
                                   "changed since (409 preview_stale / preview_mismatch otherwise). Required by "
                                   "keys with require_preview.")


class RefundLineOut(Output):
    line_item_id: str = Field(description="The line refunded.")
    quantity: int = Field(description="Units refunded.")
    amount_money: MoneyOut = Field(description="What those units return, tax included.")
    tax_money: MoneyOut = Field(description="The tax part of amount_money.")


class RefundOut(Output):
    object: Literal["refund"] = Field("refund", description="Always `refund`.")
    refund_id: str = Field(description="Id, `re_...`.")
    order_id: str = Field(description="The order refunded.")
    payment_intent_id: str = Field(description="The payment the money goes back through.")
    status: str = Field(description="PENDING, SUCCEEDED, FAILED or CANCELED.")
    amount_money: MoneyOut = Field(description="What is returned to the customer.")
    tax_money: MoneyOut = Field(description="The tax part of it.")
    line_items: list[RefundLineOut] = Field(description="Units refunded: the lines of a line refund, every remaining "
                                                        "unit of a full refund, none for an amount refund.")
    reason: str = Field(description="REQUESTED_BY_CUSTOMER, DUPLICATE, FRAUDULENT or OTHER.")
    failure_reason: str | None = Field(description="Why it failed; its money went back to the order.")
    idempotency_key: str | None = Field(description="The idempotency key it was created with.")
    order_status: str = Field(description="The order's status now.")
    available_actions: list[str] = Field(description="Operations legal on this refund now.")
    created_at: datetime = Field(description="When it was created.")
    updated_at: datetime = Field(description="When it last changed.")


def refund_out(refund: Refund, order_status: str) -> RefundOut:
    def m(amount: int) -> MoneyOut:
        return MoneyOut.of(amount, refund.currency)

    return RefundOut(
        refund_id=refund.refund_id, order_id=refund.order_id, payment_intent_id=refund.payment_intent_id,
        status=refund.status, amount_money=m(refund.amount), tax_money=m(refund.tax_amount),
        line_items=[RefundLineOut(line_item_id=li["line_item_id"], quantity=li["quantity"],
                                  amount_money=m(li["amount"]), tax_money=m(li["tax"])) for li in refund.line_items],
        reason=refund.reason, failure_reason=refund.failure_reason, idempotency_key=refund.idempotency_key,
        order_status=order_status, available_actions=[], created_at=refund.created_at, updated_at=refund.updated_at)


@dataclass
class Plan:
    """What a refund would do; ``error`` set when it is not allowed."""

    order: Order
    amount: int = 0
    tax: int = 0
    lines: list[dict[str, Any]] = field(default_factory=list)
    payment_intent: PaymentIntent | None = None
    error: FlintError | None = None


def _order_for(ctx: Context, params: RefundInput, lock: bool) -> Order:
    if params.payment_intent_id is not None:
        pi = fetch(ctx, PaymentIntent, params.payment_intent_id, resource="payment_intent")
        if params.order_id is not None and params.order_id != pi.order_id:
            raise FlintError("parameter_invalid", param="payment_intent_id",
                             detail=f"belongs to order {pi.order_id}, not {params.order_id}")
        order_id = pi.order_id
    else:
        order_id = params.order_id or ""
    return fetch(ctx, Order, order_id, resource="order", lock=lock)


def _line_pricing(li: OrderLineItem) -> pricing.LinePricing:
    return pricing.LinePricing(li.gross_amount, li.discount_amount, li.service_charge_amount, li.tax_amount,
                               li.inclusive_tax_amount, li.total_amount)


def plan_refund(ctx: Context, params: RefundInput, *, lock: bool) -> Plan:
    """Rule 7 for this request against the order as it is now. Errors go into the plan (for previews)."""
    order = _order_for(ctx, params, lock)
    plan = Plan(order)
    try:
        lifecycle.ORDER.require(order.status, "create_refund", order.order_id, legal(ctx, order))
        refundable = order.paid_amount - order.refunded_amount
        if refundable <= 0:
            raise FlintError("nothing_to_refund", param="order_id", order_id=order.order_id)
        if params.line_items is not None:
            lines = {li.line_item_id: li for li in order.line_items}
            seen: set[str] = set()
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
                part = pricing.line_refund(_line_pricing(li), want.quantity, li.quantity, li.refunded_quantity)
                plan.lines.append({"line_item_id": li.line_item_id, "quantity": want.quantity, "amount": part.amount,
                                   "tax": part.tax})
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
            plan.tax = order.tax_amount - sum(r.tax_amount for r in order.refunds if r.status != lifecycle.FAILED)
            for li in order.line_items:
                left = li.quantity - li.refunded_quantity
                if left:
                    part = pricing.line_refund(_line_pricing(li), left, li.quantity, li.refunded_quantity)
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
            lifecycle.PAYMENT_INTENT.require(candidates[0].status, "create_refund", params.payment_intent_id, ctx.can)
        plan.payment_intent = next((pi for pi in candidates if pi.status == lifecycle.SUCCEEDED
                                    and pi.amount_captured - pi.amount_refunded >= plan.amount), None)
        if plan.payment_intent is None:
            raise FlintError("refund_exceeds_refundable", param=param, amount=plan.amount,
                             order_id=order.order_id, refundable=max((pi.amount_captured - pi.amount_refunded
                                                                      for pi in order.payment_intents), default=0))
        plan.tax = min(plan.tax, plan.amount)
    except FlintError as exc:
        plan.error = exc
    return plan


def _status_after(order: Order, refunded: int) -> str:
    if order.status == lifecycle.CLOSED:
        return lifecycle.CLOSED  # settled orders keep their status; refunds show in settlement_amounts
    if refunded <= 0:
        return lifecycle.PAID
    return lifecycle.REFUNDED if refunded >= order.paid_amount else lifecycle.PARTIALLY_REFUNDED


class RefundPreview(Output):
    object: Literal["refund_preview"] = Field("refund_preview", description="Always `refund_preview`.")
    allowed: bool = Field(description="Whether create_refund with these parameters would be accepted now.")
    error: dict[str, Any] | None = Field(description="When not allowed: the error create_refund would return.")
    order_id: str = Field(description="The order.")
    payment_intent_id: str | None = Field(description="The payment the money would go back through.")
    amount_money: MoneyOut = Field(description="What would be returned.")
    tax_money: MoneyOut = Field(description="Its tax part.")
    line_items: list[RefundLineOut] = Field(description="Units that would be refunded.")
    preview_id: str | None = Field(description="Pass to create_refund with the same parameters to refund exactly "
                                               "this, only if the order is unchanged (valid 10 minutes).")
    order_status_after: str = Field(description="The order's status after the refund.")
    refunded_money_after: MoneyOut = Field(description="The order's refunded total after it.")
    refundable_money_after: MoneyOut = Field(description="What would still be refundable after it.")


@operation("preview_refund", http="POST /v1/refunds/preview", scope="orders:read", safety=READ_ONLY,
           summary="What a refund would return (and its tax), the order after it, and whether it is allowed.")
def preview_refund(ctx: Context, params: RefundInput) -> RefundPreview:
    """Call this before create_refund, with the same parameters: it computes the refund exactly as
    create_refund would (amount, tax part, units, the order's status and amounts after) and changes
    nothing. `allowed: false` comes with the error create_refund would give."""
    plan = plan_refund(ctx, params, lock=False)
    order = plan.order
    if plan.error is None:
        plan.error = limits.refund_refusal(ctx, plan.amount, order.currency)

    def m(amount: int) -> MoneyOut:
        return MoneyOut.of(amount, order.currency)

    refunded = order.refunded_amount + (0 if plan.error else plan.amount)
    preview_id = None if plan.error else previews.issue(ctx, "create_refund", previews.fingerprint("create_refund", params), order.order_id,
                                                         order.version)
    refusal = ctx.refusal(plan.error)
    return RefundPreview(
        allowed=plan.error is None, error=refusal,
        preview_id=preview_id,
        order_id=order.order_id, payment_intent_id=plan.payment_intent.payment_intent_id if plan.payment_intent else None,
        amount_money=m(plan.amount), tax_money=m(plan.tax),
        line_items=[RefundLineOut(line_item_id=x["line_item_id"], quantity=x["quantity"], amount_money=m(x["amount"]),
                                  tax_money=m(x["tax"])) for x in plan.lines],
        order_status_after=order.status if plan.error else _status_after(order, refunded),
        refunded_money_after=m(refunded), refundable_money_after=m(order.paid_amount - refunded))


def _reserve(ctx: Context, plan: Plan, params: CreateRefundInput) -> Refund:
    order, pi = plan.order, plan.payment_intent
    assert pi is not None
    order_before = order_json(ctx, order)
    refund = Refund(refund_id=ids.new_id("refund"), merchant_id=ctx.merchant_id, env_id=ctx.env_id,
                    created_at=ctx.now, updated_at=ctx.now, order_id=order.order_id,
                    payment_intent_id=pi.payment_intent_id, status=lifecycle.REFUND.initial, amount=plan.amount,
                    tax_amount=plan.tax, currency=order.currency,
                    line_items=plan.lines, reason=params.reason.value,
                    failure_reason=None, idempotency_key=ctx.idempotency_key, processor_reference=None,
                    created_by=ctx.principal.api_key_id if ctx.principal else None)
    ctx.session.add(refund)
    _move(ctx, order, pi, refund, +1, "REFUND_CREATED", plan.lines)
    order_now = order_json(ctx, order)
    child_event(ctx, "refund.created", as_json(refund_out(refund, order.status)), None, order_now)
    emit_order(ctx, "order.refunded", order_now, order_before)
    return refund


def _move(ctx: Context, order: Order, pi: PaymentIntent, refund: Refund, sign: int, activity: str,
          lines: list[dict[str, Any]]) -> None:
    """Reserve (+1) or give back (-1) a refund's money and units on its order and payment."""
    by_id = {li.line_item_id: li for li in order.line_items}
    for x in lines:
        by_id[x["line_item_id"]].refunded_quantity += sign * x["quantity"]
    before_amount, before_status = order.refunded_amount, order.status
    order.refunded_amount += sign * refund.amount
    pi.amount_refunded += sign * refund.amount
    status = _status_after(order, order.refunded_amount)
    lifecycle.ORDER.check_transition(before_status, status)
    order.status, order.version, order.updated_at = status, order.version + 1, ctx.now
    delta: dict[str, Any] = {"refund_id": [None, refund.refund_id],
                             "refunded_money.amount": [before_amount, order.refunded_amount]}
    if status != before_status:
        delta["status"] = [before_status, status]
    ctx.record("order", order.order_id, activity, delta)


def settle(ctx: Context, refund_id: str, result: RefundResult) -> Refund:
    """Record the processor's answer for a refund (in the caller's transaction), once."""
    refund = ctx.session.get(Refund, refund_id, with_for_update=True, populate_existing=True)
    assert refund is not None
    refund.processor_reference = result.reference
    if refund.status != lifecycle.PENDING or result.status is RefundStatus.PENDING:
        return refund
    order = ctx.session.get(Order, refund.order_id, with_for_update=True, populate_existing=True)
    pi = ctx.session.get(PaymentIntent, refund.payment_intent_id, with_for_update=True, populate_existing=True)
    assert order is not None and pi is not None
    refund_before, order_before = as_json(refund_out(refund, order.status)), order_json(ctx, order)
    refund.updated_at = ctx.now
    if result.status is RefundStatus.SUCCEEDED:
        refund.status = lifecycle.SUCCEEDED
        ctx.record("order", order.order_id, "REFUND_SUCCEEDED", {"refund_id": [None, refund.refund_id]})
    else:
        refund.status, refund.failure_reason = lifecycle.FAILED, result.failure_reason or "refund failed"
        _move(ctx, order, pi, refund, -1, "REFUND_FAILED", refund.line_items)
    order_now = order_json(ctx, order)
    child_event(ctx, f"refund.{refund.status.lower()}", as_json(refund_out(refund, order.status)), refund_before,
                order_now)
    if refund.status == lifecycle.FAILED:  # its money went back to the order
        emit_order(ctx, "order.updated", order_now, order_before)
    return refund


def _reserved_by_this_key(ctx: Context, params: CreateRefundInput) -> Refund | None:
    """The refund an earlier attempt of this very request reserved (it died before answering), if any:
    a retry resumes it instead of refunding twice."""
    if ctx.idempotency_key is None:
        return None
    order = _order_for(ctx, params, lock=True)
    return next((r for r in order.refunds if r.idempotency_key == ctx.idempotency_key), None)


@operation("create_refund", http="POST /v1/refunds", scope="refunds:write", safety=REFUND_SAFETY,
           summary="Refund an amount, some line items, or everything left on a paid order.")
def create_refund(ctx: Context, params: CreateRefundInput) -> RefundOut:
    """Return money to the customer. Call preview_refund first with the same parameters. By
    `line_items` (each unit returns its share of the line total, tax and discount included), by
    `amount_money` (tax part proportional), or neither for everything left. Never exceeds
    `refundable_money`. The refund is PENDING until the processor settles it (usually at once in test
    mode); a FAILED refund gives the money back to the order. Cannot be undone."""
    refund = _reserved_by_this_key(ctx, params)
    if refund is None:
        plan = plan_refund(ctx, params, lock=True)
        if params.preview_id is not None:
            previews.confirm(ctx, params.preview_id, "create_refund", previews.fingerprint("create_refund", params), plan.order.order_id,
                             plan.order.version)
        if plan.error is not None:
            raise plan.error
        limits.check_refund(ctx, plan.amount, plan.order.currency)
        refund = _reserve(ctx, plan, params)
    elif refund.status != lifecycle.PENDING:
        return refund_out(refund, _order_for(ctx, params, lock=False).status)
    jobs.schedule_refund_settlement(ctx.session, refund.refund_id, ctx.now)  # committed before the call below
    pi = ctx.session.get(PaymentIntent, refund.payment_intent_id)
    assert pi is not None
    processor, reference, key = processor_for(ctx), pi.processor_reference or "", f"{refund.refund_id}:refund"
    refund_id, amount = refund.refund_id, refund.amount
    ctx.checkpoint()
    try:
        result = processor.refund(key=key, reference=reference, amount=amount)
    except ProcessorError:  # stays PENDING; the settlement job asks again with the same key
        refund = ctx.session.get(Refund, refund_id, populate_existing=True)
        assert refund is not None
    else:
        refund = settle(ctx, refund_id, result)
        if refund.status != lifecycle.PENDING:
            jobs.cancel_refund_settlement(ctx.session, refund_id)
    order = ctx.session.get(Order, refund.order_id)
    return refund_out(refund, order.status if order else "")


class GetRefundInput(Input):
    refund_id: str = Field(description="The refund, `re_...`.")


@operation("get_refund", http="GET /v1/refunds/{refund_id}", scope="orders:read", safety=READ_ONLY,
           summary="Fetch a refund: status, amount, tax part, lines, failure reason.")
def get_refund(ctx: Context, params: GetRefundInput) -> RefundOut:
    """Fetch a refund. PENDING refunds settle in the background; a FAILED one says why in
    `failure_reason` and its money is refundable again on the order."""
    refund = fetch(ctx, Refund, params.refund_id, resource="refund")
    order = ctx.session.get(Order, refund.order_id)
    return refund_out(refund, order.status if order else "")


class ListRefundsInput(ListInput):
    order_id: str | None = Field(None, description="Only this order's refunds.")


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
