"""Events: every state change, written to the outbox (``events``) in the transaction that causes it.

``emit`` renders the payload once (the full resource as the API returns it, plus what changed), stores it,
and in the same transaction creates one ``webhook_deliveries`` row and one delivery job per endpoint
subscribed to the type. Delivery happens after commit, by the job runner; if the process dies in between,
the committed jobs are still there. A rolled-back mutation leaves no event behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter
from sqlalchemy import select

from flint_core import ids, queue
from flint_core.store.models import Event, WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from flint_core.runtime import Context

DELIVER_WEBHOOK = "deliver_webhook"  # the job kind (handled in flint_core.webhooks)
ENABLED = "ENABLED"
_DATETIME = TypeAdapter(datetime)


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    object_type: str
    trigger: str
    previous: str = ""  # what data.previous_attributes holds (docs/events.md)

    @property
    def with_order(self) -> bool:
        """Events about something that belongs to an order carry that order as ``data.order``."""
        return self.object_type in ORDER_AWARE


ORDER_AWARE = frozenset({"payment_intent", "refund", "checkout_session"})
CREATED = "empty (`{}`): the object is new"
STATUS = "the fields that changed: always `status`, `updated_at` and `available_actions`"


def _catalog(*rows: tuple[str, ...]) -> dict[str, EventType]:
    return {row[0]: EventType(*row) for row in rows}


# Every event type Flint emits: the source of docs/events.md and of the subscription check.
EVENT_TYPES = _catalog(
    ("order.created", "order", "An order was created: create_order, or create_checkout_session given line items "
     "instead of an order.", CREATED),
    ("order.updated", "order", "An order changed without a more specific order event: update_order, "
     "apply_coupon or remove_coupon on an OPEN order; a voided hold putting an AUTHORIZED order back to OPEN; a "
     "FAILED refund giving its money back (the status may step back, e.g. PARTIALLY_REFUNDED -> PAID).",
     "the fields that changed, e.g. `line_items`, `pricing_amounts`, `coupons`, `metadata`, `status`, "
     "`settlement_amounts`, plus `version` and `updated_at`"),
    ("order.authorized", "order", "A manual-capture payment placed a hold covering the balance: the order is "
     "AUTHORIZED (pay_order or confirm_payment with capture_method MANUAL).",
     f"{STATUS} (`OPEN`), `settlement_amounts`, `version`"),
    ("order.paid", "order", "The order's balance was collected (an automatic payment succeeded, or a hold was "
     "captured): the order is PAID.", f"{STATUS} (`OPEN` or `AUTHORIZED`), `settlement_amounts`, `version`"),
    ("order.canceled", "order", "cancel_order: the order is CANCELED (an AUTHORIZED order's hold is voided "
     "first, which emits payment.voided and order.updated before this).",
     f"{STATUS} (`OPEN`), `version`"),
    ("order.closed", "order", "close_order: the order is CLOSED and accepts nothing more but refunds.",
     f"{STATUS} (`PAID` or `PARTIALLY_REFUNDED`), `version`"),
    ("order.refunded", "order", "A refund was created against the order: its money is reserved at once, so "
     "`refunded_money` grows and the order becomes PARTIALLY_REFUNDED or REFUNDED (a CLOSED order stays "
     "CLOSED). Emitted with refund.created, before the processor settles the refund.",
     "`settlement_amounts`, `refund_ids`, `line_items` (refunded quantities), `version`, `updated_at`, and "
     "`status` when it moved"),
    ("payment.succeeded", "payment_intent", "A payment collected its amount at once: automatic capture, "
     "from pay_order, confirm_payment (after 3D Secure) or retry_payment.", f"{STATUS} (`PROCESSING` or "
     "`REQUIRES_ACTION`), `amount_captured_money`, `attempts`, `order_status`, `processor_reference`"),
    ("payment.failed", "payment_intent", "A payment was declined or failed; `failure` says whether and how "
     "to recover. The order stays OPEN with `last_payment_failure`.",
     f"{STATUS} (`PROCESSING` or `REQUIRES_ACTION`), `failure`, `attempts`"),
    ("payment.requires_action", "payment_intent", "A payment needs the buyer to authenticate (3D Secure): "
     "send them to `next_action.url`, then call confirm_payment.", f"{STATUS} (`PROCESSING`), `next_action`, "
     "`attempts`"),
    ("payment.authorized", "payment_intent", "A manual-capture payment is authorized: it holds funds until "
     "capture_payment or void_payment.", f"{STATUS} (`PROCESSING` or `REQUIRES_ACTION`), `attempts`, "
     "`order_status`"),
    ("payment.captured", "payment_intent", "An authorized payment was captured (capture_payment), fully or "
     "partially.", f"{STATUS} (`REQUIRES_CAPTURE`), `amount_captured_money`, `attempts`, `order_status`"),
    ("payment.voided", "payment_intent", "An uncaptured payment was voided: a hold released (void_payment, "
     "or cancel_order on an AUTHORIZED order) or a 3D Secure payment abandoned. Its status is CANCELED.",
     f"{STATUS} (`REQUIRES_CAPTURE` or `REQUIRES_ACTION`), `attempts`, `order_status`"),
    ("refund.created", "refund", "A refund was created (create_refund). It is usually still PENDING: "
     "refund.succeeded or refund.failed follows when the processor answers.", CREATED),
    ("refund.succeeded", "refund", "A refund reached SUCCEEDED: the money is on its way back to the buyer.",
     f"{STATUS} (`PENDING`)"),
    ("refund.failed", "refund", "The processor failed a refund (`failure_reason` says why); its amount is "
     "refundable again on the order, which also gets order.updated.", f"{STATUS} (`PENDING`), "
     "`failure_reason`, `order_status`"),
    ("checkout_session.completed", "checkout_session", "The buyer paid on the hosted page: the session is "
     "COMPLETE and its order PAID (or AUTHORIZED for capture_method MANUAL).",
     f"{STATUS} (`OPEN`), `checkout_session_url`, `payment_intent_id`, `order_status`, `amount_due_money`"),
    ("checkout_session.expired", "checkout_session", "A session ended unpaid: `expires_at` passed (written by "
     "the expiry job within seconds) or expire_checkout_session was called.",
     f"{STATUS} (`OPEN`), `checkout_session_url`"),
    ("checkout_session.canceled", "checkout_session", "A session can collect nothing more because its order "
     "was canceled or paid some other way (written when the page is next used or by the expiry job).",
     f"{STATUS} (`OPEN`), `checkout_session_url`, `order_status`, `amount_due_money`"),
    ("webhook_endpoint.disabled", "webhook_endpoint",
     "An endpoint kept failing for days and was disabled; re-enable it with update_webhook_endpoint.",
     "`status` (`ENABLED`) and the fields that changed with it"),
)


def timestamp(moment: datetime) -> str:
    """RFC 3339 exactly as every API object writes its times (pydantic's JSON form)."""
    return _DATETIME.dump_python(moment, mode="json")


def subscribed(endpoint: WebhookEndpoint, event_type: str) -> bool:
    return endpoint.status == ENABLED and ("*" in endpoint.enabled_events or event_type in endpoint.enabled_events)


def emit(ctx: Context, event_type: str, obj: dict[str, Any], *, previous_attributes: dict[str, Any] | None = None,
         order_id: str | None = None, extra: dict[str, Any] | None = None) -> Event:
    """Record ``event_type`` about ``obj`` (the resource exactly as the API returns it) in ctx's transaction.

    ``order_id`` links the event to an order's timeline (defaults to ``obj["order_id"]``); ``extra`` adds
    context beside the object under ``data`` (e.g. ``{"order": ...}`` on payment events)."""
    spec = EVENT_TYPES[event_type]
    if spec.with_order != ("order" in (extra or {})):  # the catalog promises data.order on exactly these
        raise ValueError(f"{event_type}: data.order is {'required' if spec.with_order else 'not expected'}")
    event_id = ids.new_id("event")
    object_id = obj[f"{spec.object_type}_id"]
    payload = {"event_id": event_id, "object": "event", "type": event_type, "created_at": timestamp(ctx.now),
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
