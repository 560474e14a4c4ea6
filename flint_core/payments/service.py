"""The processor call every payment step makes (steps 2 and 3 of flint_core.payments.operations): ``call``
asks the processor outside any transaction and records its answer; ``authorize`` drives a PROCESSING payment
intent; ``release_holds`` voids an order's holds when cancel_order cancels it; ``hold_until`` says how
long a payment holds the order's stock."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select

from flint_core.catalog import stock
from flint_core.checkout.lifecycle import CheckoutSessionStatus
from flint_core.kernel.errors import FlintError
from flint_core.orders import flows
from flint_core.orders.service import lock_order
from flint_core.payments.charge import apply_charge, lock
from flint_core.payments.inputs import CaptureMethod
from flint_core.payments.lifecycle import PaymentStatus
from flint_core.payments.views import PaymentIntentOut, payment_intent_out
from flint_core.platform.context import Context
from flint_core.processors.base import CardSource, ChargeResult, ChargeStatus, PaymentProcessor, ProcessorError
from flint_core.store.tables import CheckoutSession, Order, PaymentIntent

log = logging.getLogger("flint.payments")


def call(ctx: Context, pi_id: str, action: str, attempt: Callable[[], ChargeResult]) -> PaymentIntentOut:
    """Steps 2 and 3: call the processor outside any transaction, then record what it answered."""
    ctx.checkpoint()
    try:
        result = attempt()
    except ProcessorError as exc:
        repeat = "retry_payment" if action == "authorize" else f"{action}_payment"  # same call, same key
        again = f"{repeat} (or the same request with the same idempotency key)"
        pi, order = lock(ctx, pi_id)
        pi.attempts = [*pi.attempts, {"attempted_at": ctx.now.isoformat(), "action": action,
                                      "outcome": "TIMEOUT" if exc.timeout else "UNAVAILABLE", "code": None,
                                      "decline_code": None, "decision": f"outcome unknown: {again}"
                                      if exc.timeout else f"nothing happened: {again}"}]
        ctx.checkpoint()
        raise FlintError("processor_timeout" if exc.timeout else "processor_unavailable",
                         detail=f"{exc} (payment {pi_id}, {action})",
                         suggested_actions=[repeat, "get_payment_intent"]) from None
    pi, order = lock(ctx, pi_id)
    apply_charge(ctx, pi, order, result, action)
    return payment_intent_out(ctx, pi, order.status)


def authorize(ctx: Context, pi: PaymentIntent) -> PaymentIntentOut:
    """Drive a PROCESSING payment intent: ask the processor what became of it, else authorize."""
    processor = ctx.processor()
    key = f"{pi.payment_intent_id}:authorize"
    method = pi.payment_method
    source = CardSource(method["token"], method.get("brand"), method.get("last4"), method.get("customer"))
    amount, currency, capture = pi.amount, pi.currency, pi.capture_method == CaptureMethod.AUTOMATIC.value

    off_session = pi.off_session

    def attempt() -> ChargeResult:
        return processor.lookup(key=key) or processor.authorize(
            key=key, amount=amount, currency=currency, source=source, capture=capture,
            description=f"Flint order {pi.order_id}", off_session=off_session)

    return call(ctx, pi.payment_intent_id, "authorize", saving_card(processor, pi, attempt))


def saving_card(processor: PaymentProcessor, pi: PaymentIntent, attempt: Callable[[], ChargeResult]
                ) -> Callable[[], ChargeResult]:
    """``attempt``, and for a payment that saves its card (save_payment_method) once it holds money, the
    card's details too: asked of the processor here, outside any transaction, like the charge itself."""
    if not pi.save_payment_method:
        return attempt
    method, pi_id = pi.payment_method, pi.payment_intent_id
    source = CardSource(method["token"], method.get("brand"), method.get("last4"), method.get("customer"))

    def run() -> ChargeResult:
        result = attempt()
        if result.status not in (ChargeStatus.SUCCEEDED, ChargeStatus.REQUIRES_CAPTURE) or result.card is not None:
            return result
        try:
            return dataclasses.replace(result, card=processor.describe(source=source))
        except ProcessorError as exc:  # the payment stands; only the saving of its card failed
            log.warning("payment %s: its card was not saved (%s)", pi_id, exc)
            return result

    return run


def hold_until(ctx: Context, order: Order) -> datetime:
    """How long a payment's stock holds last: 15 minutes, or while the order's hosted checkout page is
    open if that is longer (its buyer is still paying)."""
    page_open = ctx.session.scalar(select(func.max(CheckoutSession.expires_at)).where(
        CheckoutSession.order_id == order.order_id, CheckoutSession.status == CheckoutSessionStatus.OPEN,
        CheckoutSession.expires_at > ctx.now))
    return max(ctx.now + stock.HOLD, page_open or ctx.now)


def release_holds(ctx: Context, order: Order) -> Order:
    """Void every hold on an AUTHORIZED order (cancel_order); returns the order re-read under lock."""
    processor = ctx.processor()
    for pi in [p for p in order.payment_intents if p.status == PaymentStatus.REQUIRES_CAPTURE]:
        pi_id, reference = pi.payment_intent_id, pi.processor_reference or ""
        call(ctx, pi_id, "void", lambda: processor.void(key=f"{pi_id}:void", reference=reference))
    return lock_order(ctx.session, order.order_id)


flows.HOLD_RELEASERS.append(release_holds)
