"""Events to deliveries: when the outbox records an event, every ENABLED endpoint of its environment
subscribed to its type gets a delivery row and a delivery job, in the event's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from flint_core.kernel import ids
from flint_core.platform import outbox, queue
from flint_core.store.tables import Event, WebhookDelivery, WebhookEndpoint
from flint_core.webhooks.lifecycle import WebhookDeliveryStatus, WebhookEndpointStatus

DELIVER_WEBHOOK = "deliver_webhook"  # the job kind (flint_core.webhooks.delivery)


_endpoints = WebhookEndpoint.__table__
# Every event a request emits asks this: a Core statement, built once (an ORM query cost more than the rest
# of the fan-out).
_ENABLED = (select(_endpoints.c.webhook_endpoint_id, _endpoints.c.enabled_events)
            .where(_endpoints.c.merchant_id == bindparam("merchant_id"), _endpoints.c.env_id == bindparam("env_id"),
                   _endpoints.c.status == WebhookEndpointStatus.ENABLED)
            .order_by(_endpoints.c.webhook_endpoint_id))


def subscribed_endpoints(session: Session, merchant_id: str, env_id: str, event_type: str) -> list[str]:
    """Ids of the environment's ENABLED endpoints subscribed to ``event_type``, in creation order, including
    changes this transaction made to them (flushed first, as an ORM query would)."""
    session.flush()
    rows = session.execute(_ENABLED, {"merchant_id": merchant_id, "env_id": env_id})
    return [endpoint_id for endpoint_id, events in rows if "*" in events or event_type in events]


def schedule_delivery(session: Session, event: Event, endpoint_id: str, *, now: Any) -> WebhookDelivery:
    """A new delivery of ``event`` to one endpoint, due now (also used by redeliver_event)."""
    delivery = WebhookDelivery(webhook_delivery_id=ids.new_id("webhook_delivery"), merchant_id=event.merchant_id,
                               env_id=event.env_id, event_id=event.event_id, webhook_endpoint_id=endpoint_id,
                               status=WebhookDeliveryStatus.PENDING, attempts=[], next_attempt_at=now, created_at=now,
                               updated_at=now)
    session.add(delivery)
    queue.enqueue(session, DELIVER_WEBHOOK, {"webhook_delivery_id": delivery.webhook_delivery_id}, run_at=now)
    return delivery


def fan_out(session: Session, event: Event, now: datetime) -> None:
    """One delivery of a new event per subscribed endpoint (an outbox subscriber)."""
    for endpoint_id in subscribed_endpoints(session, event.merchant_id, event.env_id, event.type):
        schedule_delivery(session, event, endpoint_id, now=now)


outbox.SUBSCRIBERS.append(fan_out)
