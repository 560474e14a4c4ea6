"""Previews of destructive actions that have no richer preview of their own: what cancel_order and
void_payment would change, and the preview_id that confirms exactly that (flint_core.previews)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from flint_core import lifecycle, previews
from flint_core.errors import FlintError
from flint_core.operations.common import fetch
from flint_core.operations.payment_views import require_no_payment_in_flight
from flint_core.operations.payments import PaymentIntentInput
from flint_core.registry import READ_ONLY, operation
from flint_core.runtime import Context
from flint_core.schema import Input, Output
from flint_core.store.models import Order, PaymentIntent


class ActionPreview(Output):
    object: Literal["action_preview"] = Field("action_preview", description="Always `action_preview`.")
    operation: str = Field(description="The operation previewed.")
    object_id: str = Field(description="What it would act on.")
    allowed: bool = Field(description="Whether it would be accepted now.")
    error: dict[str, Any] | None = Field(description="When not allowed: the error it would return.")
    effects: dict[str, Any] = Field(description="What would change: field -> [now, after].")
    preview_id: str | None = Field(description="Pass it to the operation (same parameters) to act only if nothing "
                                               "changed since; valid 10 minutes.")
    expires_at: datetime | None = Field(description="When preview_id stops being accepted.")


def _preview(ctx: Context, operation: str, params: Any, object_id: str, order: Order,
             effects: dict[str, list[Any]], error: FlintError | None) -> ActionPreview:
    preview_id = None if error else previews.issue(ctx, operation, previews.fingerprint(operation, params),
                                                   object_id, order.version)
    refusal = ctx.refusal(error)
    return ActionPreview(operation=operation, object_id=object_id, allowed=error is None, error=refusal,
                         effects={} if error else effects, preview_id=preview_id,
                         expires_at=None if error else ctx.now + previews.VALID_FOR)


class PreviewCancelInput(Input):
    order_id: str = Field(description="The order cancel_order would cancel.")
    reason: str | None = Field(None, max_length=500, description="The reason you will send to cancel_order (the "
                                                               "preview_id only confirms the same reason).")


@operation("preview_cancel_order", http="POST /v1/orders/{order_id}/cancel/preview", scope="orders:read",
           safety=READ_ONLY, summary="What cancel_order would do, and a preview_id to confirm exactly that.")
def preview_cancel_order(ctx: Context, params: PreviewCancelInput) -> ActionPreview:
    """Read-only. Shows whether the order can be canceled now and what would change (status, holds
    voided, coupon redemptions released). Pass its preview_id to cancel_order to cancel only if the
    order is still as previewed."""
    order = fetch(ctx, Order, params.order_id, resource="order")
    error = None
    try:
        lifecycle.ORDER.require(order.status, "cancel_order", order.order_id, ctx.can)
        require_no_payment_in_flight(order)
    except FlintError as exc:
        error = exc
    effects: dict[str, list[Any]] = {"status": [order.status, lifecycle.CANCELED],
                                     "coupons_released": [[c.code for c in order.coupons], []]}
    if order.authorized_amount:
        effects["authorized_money.amount"] = [order.authorized_amount, 0]
    return _preview(ctx, "cancel_order", params, order.order_id, order, effects, error)


@operation("preview_void_payment", http="POST /v1/payment_intents/{payment_intent_id}/void/preview",
           scope="orders:read", safety=READ_ONLY,
           summary="What void_payment would do, and a preview_id to confirm exactly that.")
def preview_void_payment(ctx: Context, params: PaymentIntentInput) -> ActionPreview:
    """Read-only. Shows whether the payment can be voided now and what would change (its status, the
    hold released, the order's status). Pass its preview_id to void_payment."""
    pi = fetch(ctx, PaymentIntent, params.payment_intent_id, resource="payment_intent")
    order = fetch(ctx, Order, pi.order_id, resource="order")
    error = None
    try:
        lifecycle.PAYMENT_INTENT.require(pi.status, "void_payment", pi.payment_intent_id, ctx.can)
    except FlintError as exc:
        error = exc
    effects: dict[str, list[Any]] = {"payment_intent.status": [pi.status, lifecycle.CANCELED]}
    if pi.status == lifecycle.REQUIRES_CAPTURE:
        effects["authorized_money.amount"] = [order.authorized_amount, order.authorized_amount - pi.amount]
        effects["order.status"] = [order.status, lifecycle.OPEN]
    return _preview(ctx, "void_payment", params, pi.payment_intent_id, order, effects, error)
