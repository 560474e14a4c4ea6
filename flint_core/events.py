"""Events: every state change, written to the outbox (``events``) in the transaction that causes it.

``emit`` renders the payload once (the full resource as the API returns it, plus what changed), stores it,
and in the same transaction creates one ``webhook_deliveries`` row and one delivery job per endpoint
subscribed to the type. Delivery happens after commit, by the job runner; if the process dies in between,
the committed jobs are still there. A rolled-back mutation leaves no event behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from flint_core import ids, queue
from flint_core.store.models import Event, WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from flint_core.runtime import Context

DELIVER_WEBHOOK = "deliver_webhook"  # the job kind (handled in flint_core.webhooks)
ENABLED = "ENABLED"


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    object_type: str
    trigger: str


def _catalog(*rows: tuple[str, str, str]) -> dict[str, EventType]:
    return {name: EventType(name, object_type, trigger) for name, object_type, trigger in rows}


# Every event type Flint emits: the source of docs/events.md and of the subscription check.
EVENT_TYPES = _catalog(
    ("order.created", "order", "An order was created (create_order, or a checkout session's order)."),
    ("order.updated", "order", "An OPEN order changed: update_order, apply_coupon, remove_coupon."),
    ("order.paid", "order", "The order's balance was fully collected; it is now PAID."),
    ("order.canceled", "order", "cancel_order, or its last hold was voided; the order is CANCELED."),
    ("order.closed", "order", "close_order: the order is CLOSED and accepts nothing more but refunds."),
    ("order.refunded", "order", "A refund succeeded: the order is PARTIALLY_REFUNDED or REFUNDED."),
    ("payment.succeeded", "payment_intent", "A payment was captured in full at once (automatic capture)."),
    ("payment.failed", "payment_intent", "A payment was declined or failed; `failure` says how to recover."),
    ("payment.requires_action", "payment_intent", "A payment needs the buyer (3D Secure): see `next_action`."),
    ("payment.authorized", "payment_intent", "A manual-capture payment is authorized and holds funds."),
    ("payment.captured", "payment_intent", "An authorized payment was captured (capture_payment)."),
    ("payment.voided", "payment_intent", "An authorized payment was voided; the hold is released."),
    ("refund.created", "refund", "A refund was created (it may still be PENDING at the processor)."),
    ("refund.succeeded", "refund", "A refund reached SUCCEEDED: the money is on its way back."),
    ("refund.failed", "refund", "The processor failed a refund; the amount is refundable again."),
    ("checkout_session.completed", "checkout_session", "The buyer paid on the hosted page."),
    ("checkout_session.expired", "checkout_session", "A checkout session passed `expires_at` unpaid."),
    ("webhook_endpoint.disabled", "webhook_endpoint",
     "An endpoint kept failing for days and was disabled; re-enable it with update_webhook_endpoint."),
)


def subscribed(endpoint: WebhookEndpoint, event_type: str) -> bool:
    return endpoint.status == ENABLED and ("*" in endpoint.enabled_events or event_type in endpoint.enabled_events)


def emit(ctx: Context, event_type: str, obj: dict[str, Any], *, previous_attributes: dict[str, Any] | None = None,
         order_id: str | None = None, extra: dict[str, Any] | None = None) -> Event:
    """Record ``event_type`` about ``obj`` (the resource exactly as the API returns it) in ctx's transaction.

    ``order_id`` links the event to an order's timeline (defaults to ``obj["order_id"]``); ``extra`` adds
    context beside the object under ``data`` (e.g. ``{"order": ...}`` on payment events)."""
    spec = EVENT_TYPES[event_type]
    event_id = ids.new_id("event")
    object_id = obj[f"{spec.object_type}_id"]
    payload = {"event_id": event_id, "object": "event", "type": event_type, "created_at": ctx.now.isoformat(),
               "request_id": ctx.request_id, "livemode": ctx.principal is not None and ctx.principal.mode == "live",
               "data": {"object": obj, "previous_attributes": previous_attributes or {}, **(extra or {})}}
    event = Event(event_id=event_id, merchant_id=ctx.merchant_id, env_id=ctx.env_id, type=event_type,
                  object_type=spec.object_type, object_id=object_id, order_id=order_id or obj.get("order_id"),
                  request_id=ctx.request_id, payload=json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
                  created_at=ctx.now)
    ctx.session.add(event)
    endpoints = ctx.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.merchant_id == ctx.merchant_id, WebhookEndpoint.env_id == ctx.env_id,
        WebhookEndpoint.status == ENABLED)).all()
    for endpoint in endpoints:
        if subscribed(endpoint, event_type):
            schedule_delivery(ctx.session, event, endpoint.webhook_endpoint_id, now=ctx.now)
    return event


def schedule_delivery(session: Any, event: Event, endpoint_id: str, *, now: Any) -> WebhookDelivery:
    """A new delivery of ``event`` to one endpoint, due now (also used by redeliver_event)."""
    delivery = WebhookDelivery(webhook_delivery_id=ids.new_id("webhook_delivery"), merchant_id=event.merchant_id,
                               env_id=event.env_id, event_id=event.event_id, webhook_endpoint_id=endpoint_id,
                               status="PENDING", attempts=[], next_attempt_at=now, created_at=now, updated_at=now)
    session.add(delivery)
    queue.enqueue(session, DELIVER_WEBHOOK, {"webhook_delivery_id": delivery.webhook_delivery_id}, run_at=now)
    return delivery
