"""The payment intent as every face returns it, and the shared steps that move money on an order."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from flint_core import lifecycle
from flint_core.errors import FlintError
from flint_core.operations.event_objects import as_json, child_event, emit_order, order_json
from flint_core.processors.base import ChargeResult, ChargeStatus, PaymentProcessor
from flint_core.recovery import failure_block
from flint_core.runtime import Context
from flint_core.schema import MoneyOut, Output
from flint_core.store.models import LIVE, Order, PaymentIntent


class PaymentMethodOut(Output):
    token: str = Field(description="The token charged (never a card number).")
    brand: str | None = Field(description="Card brand, e.g. visa.")
    last4: str | None = Field(description="Last four digits of the card.")


class PaymentIntentOut(Output):
    object: Literal["payment_intent"] = Field("payment_intent", description="Always `payment_intent`.")
    payment_intent_id: str = Field(description="Id, `pi_...`.")
    order_id: str = Field(description="The order it pays.")
    order_status: str = Field(description="The order's status after this payment step.")
    status: str = Field(description="PROCESSING, REQUIRES_ACTION, REQUIRES_CAPTURE, SUCCEEDED, FAILED or CANCELED.")
    amount_money: MoneyOut = Field(description="What it collects: the order's outstanding balance when created.")
    amount_captured_money: MoneyOut = Field(description="What was captured.")
    amount_refunded_money: MoneyOut = Field(description="What was refunded from it.")
    capture_method: str = Field(description="AUTOMATIC (charge now) or MANUAL (hold, capture later).")
    payment_method: PaymentMethodOut = Field(description="What it was paid with.")
    processor: str = Field(description="simulator (test mode), stripe (live mode), or none (nothing to collect).")
    processor_reference: str | None = Field(description="The processor's id for the charge.")
    attempts: list[dict[str, Any]] = Field(description="Every processor call: when, action, outcome, code, decision.")
    failure: dict[str, Any] | None = Field(description="Why it failed: code, decline_code, message, retryable, "
                                                       "recovery_options. A decline is an outcome, not an error.")
    next_action: dict[str, Any] | None = Field(description="For REQUIRES_ACTION: `{type: redirect_to_url, url}`, "
                                                           "the absolute URL where the customer authenticates; "
                                                           "then call confirm_payment.")
    available_actions: list[str] = Field(description="Operations legal on this payment now, for the calling key.")
    created_at: datetime = Field(description="When it was created.")
    updated_at: datetime = Field(description="When it last changed.")


REFUNDS = frozenset({"preview_refund", "create_refund"})


def _next_action(ctx: Context, stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored next action with its URL absolute: the simulator's 3D Secure page is stored as a path on
    this server (the hosted checkout redirects to it as is), Stripe's is already absolute."""
    if not stored or not stored.get("url"):
        return stored
    return stored | {"url": ctx.settings.absolute_url(stored["url"])}


def payment_intent_out(ctx: Context, pi: PaymentIntent, order_status: str) -> PaymentIntentOut:
    def m(amount: int) -> MoneyOut:
        return MoneyOut.of(amount, pi.currency)

    return PaymentIntentOut(
        payment_intent_id=pi.payment_intent_id, order_id=pi.order_id, order_status=order_status, status=pi.status,
        amount_money=m(pi.amount), amount_captured_money=m(pi.amount_captured),
        amount_refunded_money=m(pi.amount_refunded), capture_method=pi.capture_method,
        payment_method=PaymentMethodOut(**pi.payment_method), processor=pi.processor,
        processor_reference=pi.processor_reference, attempts=pi.attempts, failure=pi.failure,
        next_action=_next_action(ctx, pi.next_action), available_actions=lifecycle.PAYMENT_INTENT.actions_for(
            pi.status, lambda a: ctx.can(a) and (a not in REFUNDS or pi.amount_captured > pi.amount_refunded)),
        created_at=pi.created_at, updated_at=pi.updated_at)


def processor_for(ctx: Context) -> PaymentProcessor:
    """The simulator in test mode; Stripe in live mode when the server has a Stripe key."""
    assert ctx.db is not None
    if ctx.env_id != LIVE:
        from flint_core.processors.simulator import Simulator

        return Simulator(ctx.db, ctx.env_id)
    if not ctx.settings.stripe_api_key:
        raise FlintError("processor_not_configured")
    from flint_core.processors.stripe import StripeProcessor

    return StripeProcessor(ctx.settings.stripe_api_key)


def in_flight(order: Order) -> PaymentIntent | None:
    return next((pi for pi in order.payment_intents if pi.status in lifecycle.IN_FLIGHT), None)


def require_no_payment_in_flight(order: Order) -> None:
    pi = in_flight(order)
    if pi is not None:
        raise FlintError("payment_in_progress", param="order_id", order_id=order.order_id,
                         payment_intent_id=pi.payment_intent_id, status=pi.status,
                         suggested_actions=["get_payment_intent"])


def lock(ctx: Context, pi_id: str) -> tuple[PaymentIntent, Order]:
    """Re-read a payment intent and its order under row locks (after a checkpoint)."""
    pi = ctx.session.get(PaymentIntent, pi_id, with_for_update=True, populate_existing=True)
    assert pi is not None
    order = ctx.session.get(Order, pi.order_id, with_for_update=True, populate_existing=True)
    assert order is not None
    return pi, order


def lock_order(ctx: Context, order_id: str) -> Order:
    order = ctx.session.get(Order, order_id, with_for_update=True, populate_existing=True)
    assert order is not None
    return order


def _move_order(ctx: Context, order: Order, status: str, activity: str, delta: dict[str, Any]) -> None:
    before = order.status
    lifecycle.ORDER.check_transition(before, status)
    order.status = status
    order.version += 1
    order.updated_at = ctx.now
    if before != status:
        delta = delta | {"status": [before, status]}
    ctx.record("order", order.order_id, activity, delta)


def apply_charge(ctx: Context, pi: PaymentIntent, order: Order, result: ChargeResult, action: str) -> None:
    """Record a processor outcome on the payment intent and its order, exactly once per state change."""
    new = result.status.value
    # before this step, as the API showed them: the events' previous_attributes
    shown = (as_json(payment_intent_out(ctx, pi, order.status)), order_json(ctx, order)) if new != pi.status else None
    failure = failure_block(result.failure, ctx.can) if result.failure else None
    pi.attempts = [*pi.attempts, {
        "attempted_at": ctx.now.isoformat(), "action": action, "outcome": new,
        "code": result.failure.code if result.failure else None,
        "decline_code": result.failure.decline_code if result.failure else None,
        "decision": _decision(new, failure)}]
    pi.processor_reference = result.reference or None
    pi.updated_at = ctx.now
    if new == pi.status:
        return
    before = pi.status
    lifecycle.PAYMENT_INTENT.check_transition(before, new)
    pi.status = new
    pi.next_action = None  # set again below only while the customer must still act
    ids = {"payment_intent_id": [None, pi.payment_intent_id]}
    if new == ChargeStatus.SUCCEEDED.value:
        pi.amount_captured = result.amount_captured
        if before == lifecycle.REQUIRES_CAPTURE:
            order.authorized_amount -= pi.amount
        order.paid_amount += result.amount_captured
        _move_order(ctx, order, lifecycle.PAID, "PAYMENT_CAPTURED",
                    ids | {"paid_money.amount": [order.paid_amount - result.amount_captured, order.paid_amount]})
    elif new == ChargeStatus.REQUIRES_CAPTURE.value:
        order.authorized_amount += pi.amount
        _move_order(ctx, order, lifecycle.AUTHORIZED, "PAYMENT_AUTHORIZED",
                    ids | {"authorized_money.amount": [order.authorized_amount - pi.amount, order.authorized_amount]})
    elif new == ChargeStatus.REQUIRES_ACTION.value:
        pi.next_action = {"type": "redirect_to_url", "url": result.next_action_url}
        ctx.record("order", order.order_id, "PAYMENT_REQUIRES_ACTION", ids)
    elif new == ChargeStatus.FAILED.value:
        pi.failure, pi.next_action = failure, None
        ctx.record("order", order.order_id, "PAYMENT_FAILED", ids | {"failure": [None, failure]})
    elif new == ChargeStatus.CANCELED.value:
        pi.next_action = None
        if before == lifecycle.REQUIRES_CAPTURE:
            order.authorized_amount -= pi.amount
        status = lifecycle.OPEN if order.status == lifecycle.AUTHORIZED else order.status
        _move_order(ctx, order, status, "PAYMENT_VOIDED", ids)
    assert shown is not None
    _announce(ctx, pi, order, before, *shown)


# payment status -> its event; and the order event when the order's status moved with it
_PAYMENT_EVENTS = {lifecycle.REQUIRES_ACTION: "payment.requires_action", lifecycle.REQUIRES_CAPTURE:
                   "payment.authorized", lifecycle.FAILED: "payment.failed", lifecycle.CANCELED: "payment.voided"}
_ORDER_EVENTS = {lifecycle.PAID: "order.paid", lifecycle.AUTHORIZED: "order.authorized",
                 lifecycle.OPEN: "order.updated"}


def _announce(ctx: Context, pi: PaymentIntent, order: Order, before: str, pi_before: dict[str, Any],
              order_before: dict[str, Any]) -> None:
    """The events of one payment status change, in its transaction: the payment's (with its order),
    then the order's if its status moved."""
    if pi.status == lifecycle.SUCCEEDED:
        kind = "payment.captured" if before == lifecycle.REQUIRES_CAPTURE else "payment.succeeded"
    else:
        kind = _PAYMENT_EVENTS[pi.status]
    order_now = order_json(ctx, order)
    child_event(ctx, kind, as_json(payment_intent_out(ctx, pi, order.status)), pi_before, order_now)
    if order_now["status"] != order_before["status"]:
        emit_order(ctx, _ORDER_EVENTS[order.status], order_now, order_before)


def _decision(status: str, failure: dict[str, Any] | None) -> str:
    """A human line for the attempt log: what Flint concluded from this outcome."""
    if failure is not None:
        options = ", ".join(failure["recovery_options"]) or "none: do not retry"
        return f"{failure['category']}: {options}"
    return {"SUCCEEDED": "order paid", "REQUIRES_CAPTURE": "hold placed; capture or void it",
            "REQUIRES_ACTION": "customer must authenticate; then confirm_payment",
            "CANCELED": "hold released"}.get(status, status.lower())
