"""The step that moves money on an order: a processor's answer recorded on the payment intent and its
order, exactly once per state change, with its activity and events (``apply_charge``); and the lock
order every payment path takes (``lock``: the payment intent, then its order)."""

from __future__ import annotations

from typing import Any

from flint_core.catalog import stock
from flint_core.orders.announce import as_json, child_event, emit_order, order_json
from flint_core.orders.lifecycle import OrderStatus
from flint_core.orders.service import lock_order
from flint_core.orders.transitions import move_order
from flint_core.payment_methods import service as saved_cards
from flint_core.payments.lifecycle import PAYMENT_INTENT, PaymentStatus
from flint_core.payments.views import payment_intent_out
from flint_core.platform.context import Context
from flint_core.processors.base import ChargeResult, ChargeStatus
from flint_core.processors.recovery import failure_block
from flint_core.store.tables import Order, PaymentIntent


def lock(ctx: Context, pi_id: str) -> tuple[PaymentIntent, Order]:
    """Re-read a payment intent and its order under row locks (after a checkpoint)."""
    pi = ctx.session.get(PaymentIntent, pi_id, with_for_update=True, populate_existing=True)
    assert pi is not None
    return pi, lock_order(ctx.session, pi.order_id)


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
    PAYMENT_INTENT.check_transition(before, new)
    pi.status = new
    if any(li.variation_id for li in order.line_items):
        _move_stock(ctx, pi.payment_intent_id, before, new)
    if result.card is not None and pi.save_payment_method and order.customer_id is not None:
        saved, _ = saved_cards.save_card(ctx, order.customer_id, result.card, usage="OFF_SESSION",
                                      created_from="PAYMENT", processor=pi.processor)
        pi.payment_method_id = saved.payment_method_id
    pi.next_action = None  # set again below only while the customer must still act
    ids = {"payment_intent_id": [None, pi.payment_intent_id]}
    if new == ChargeStatus.SUCCEEDED.value:
        pi.amount_captured = result.amount_captured
        if before == PaymentStatus.REQUIRES_CAPTURE:
            order.authorized_amount -= pi.amount
        order.paid_amount += result.amount_captured
        move_order(ctx, order, OrderStatus.PAID, "PAYMENT_CAPTURED",
                    ids | {"paid_money.amount": [order.paid_amount - result.amount_captured, order.paid_amount]})
    elif new == ChargeStatus.REQUIRES_CAPTURE.value:
        order.authorized_amount += pi.amount
        move_order(ctx, order, OrderStatus.AUTHORIZED, "PAYMENT_AUTHORIZED",
                    ids | {"authorized_money.amount": [order.authorized_amount - pi.amount, order.authorized_amount]})
    elif new == ChargeStatus.REQUIRES_ACTION.value:
        pi.next_action = {"type": "redirect_to_url", "url": result.next_action_url}
        ctx.record("order", order.order_id, "PAYMENT_REQUIRES_ACTION", ids)
    elif new == ChargeStatus.FAILED.value:
        pi.failure, pi.next_action = failure, None
        ctx.record("order", order.order_id, "PAYMENT_FAILED", ids | {"failure": [None, failure]})
    elif new == ChargeStatus.CANCELED.value:
        pi.next_action = None
        if before == PaymentStatus.REQUIRES_CAPTURE:
            order.authorized_amount -= pi.amount
        status = OrderStatus.OPEN if order.status == OrderStatus.AUTHORIZED else order.status
        move_order(ctx, order, status, "PAYMENT_VOIDED", ids)
    assert shown is not None
    _announce(ctx, pi, order, before, *shown)


def _move_stock(ctx: Context, pi_id: str, before: str, new: str) -> None:
    """The payment's stock holds follow its outcome: sold once the money is collected or held, released
    when it fails or is voided (a voided authorization puts its sold units back)."""
    if new in (PaymentStatus.SUCCEEDED, PaymentStatus.REQUIRES_CAPTURE) and before != PaymentStatus.REQUIRES_CAPTURE:
        stock.sell(ctx, pi_id)
    elif new in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
        stock.release(ctx, pi_id)


# payment status -> its event; and the order event when the order's status moved with it
_PAYMENT_EVENTS = {PaymentStatus.REQUIRES_ACTION: "payment.requires_action", PaymentStatus.REQUIRES_CAPTURE:
                   "payment.authorized", PaymentStatus.FAILED: "payment.failed",
                   PaymentStatus.CANCELED: "payment.voided"}


_ORDER_EVENTS = {OrderStatus.PAID: "order.paid", OrderStatus.AUTHORIZED: "order.authorized",
                 OrderStatus.OPEN: "order.updated"}


def _announce(ctx: Context, pi: PaymentIntent, order: Order, before: str, pi_before: dict[str, Any],
              order_before: dict[str, Any]) -> None:
    """The events of one payment status change, in its transaction: the payment's (with its order),
    then the order's if its status moved."""
    if pi.status == PaymentStatus.SUCCEEDED:
        kind = "payment.captured" if before == PaymentStatus.REQUIRES_CAPTURE else "payment.succeeded"
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
