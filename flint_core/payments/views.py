"""The payment intent as every face returns it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from flint_core.payments.lifecycle import PAYMENT_INTENT
from flint_core.platform.context import Context
from flint_core.platform.schema import MoneyOut, Output, Resource
from flint_core.store.tables import PaymentIntent


class PaymentMethodOut(Output):
    token: str = Field(description="The token charged (never a card number).")
    brand: str | None = Field(description="Card brand, e.g. visa.")
    last4: str | None = Field(description="Last four digits of the card.")


class PaymentIntentOut(Resource):
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
    payment_method_id: str | None = Field(description="The customer's saved card it charged, or saved "
                                          "(save_payment_method), `pm_...`.")
    off_session: bool = Field(description="Whether it was charged without the customer present.")
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
        payment_method=PaymentMethodOut(token=pi.payment_method["token"], brand=pi.payment_method.get("brand"),
                                        last4=pi.payment_method.get("last4")), payment_method_id=pi.payment_method_id,
        off_session=bool(pi.off_session), processor=pi.processor,
        processor_reference=pi.processor_reference, attempts=pi.attempts, failure=pi.failure,
        next_action=_next_action(ctx, pi.next_action), available_actions=PAYMENT_INTENT.actions_for(
            pi.status, lambda a: ctx.can(a) and (a not in REFUNDS or pi.amount_captured > pi.amount_refunded)),
        created_at=pi.created_at, updated_at=pi.updated_at)


