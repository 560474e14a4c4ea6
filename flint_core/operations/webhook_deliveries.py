"""Webhook deliveries: what was sent where, every attempt's outcome, and manual redelivery.

A delivery is one event to one endpoint; it is retried on its own schedule (flint_core.webhooks.schedule)
until a 2xx answer (SUCCEEDED) or the schedule runs out (FAILED). Every delivery of an event, redeliveries
included, carries the same ``webhook-id`` (the event id), so receivers deduplicate on it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Literal

from pydantic import Field
from sqlalchemy import select

from flint_core import events
from flint_core.errors import FlintError
from flint_core.operations.common import fetch, scoped
from flint_core.pagination import Page, paginate
from flint_core.registry import READ_ONLY, WRITE, operation
from flint_core.runtime import Context
from flint_core.schema import Input, ListInput, Output, lenient_enum
from flint_core.store.models import Event, WebhookDelivery, WebhookEndpoint


class WebhookDeliveryStatus(enum.Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


DeliveryStatusIn = lenient_enum(WebhookDeliveryStatus, "PENDING (queued or waiting to retry), SUCCEEDED (a 2xx "
                                                       "answer) or FAILED (gave up).")


class AttemptOut(Output):
    attempted_at: datetime = Field(description="When the request was sent.")
    status_code: int | None = Field(description="The receiver's HTTP status; null if no response arrived.")
    latency_ms: int = Field(description="Milliseconds until the response (or the error).")
    response_snippet: str | None = Field(description="The first 500 characters of the response body.")
    error: str | None = Field(description="What went wrong without a usable response: timeout, connection "
                                          "refused, redirect not followed; null otherwise.")


class WebhookDeliveryOut(Output):
    object: Literal["webhook_delivery"] = Field("webhook_delivery", description="Always `webhook_delivery`.")
    webhook_delivery_id: str = Field(description="Id, `whd_...`.")
    event_id: str = Field(description="The event delivered; also the `webhook-id` header of every attempt.")
    event_type: str = Field(description="The event's type, e.g. `order.paid`.")
    webhook_endpoint_id: str = Field(description="The endpoint it was sent to (it may since have been deleted).")
    status: str = Field(description="PENDING, SUCCEEDED or FAILED.")
    attempts: list[AttemptOut] = Field(description="Every attempt, oldest first.")
    next_attempt_at: datetime | None = Field(description="When the next attempt is due, while PENDING.")
    failure_reason: str | None = Field(description="Why it ended FAILED; null otherwise.")
    created_at: datetime = Field(description="When it was queued.")
    updated_at: datetime = Field(description="When it last changed.")


def delivery_out(delivery: WebhookDelivery, event_type: str) -> WebhookDeliveryOut:
    return WebhookDeliveryOut(
        webhook_delivery_id=delivery.webhook_delivery_id, event_id=delivery.event_id, event_type=event_type,
        webhook_endpoint_id=delivery.webhook_endpoint_id, status=delivery.status,
        attempts=[AttemptOut.model_validate(a) for a in delivery.attempts], next_attempt_at=delivery.next_attempt_at,
        failure_reason=delivery.failure_reason, created_at=delivery.created_at, updated_at=delivery.updated_at)


def _event_types(ctx: Context, event_ids: set[str]) -> dict[str, str]:
    rows = ctx.session.execute(select(Event.event_id, Event.type).where(
        Event.merchant_id == ctx.merchant_id, Event.env_id == ctx.env_id, Event.event_id.in_(event_ids)))
    return {event_id: type_ for event_id, type_ in rows}


class ListWebhookDeliveriesInput(ListInput):
    webhook_endpoint_id: str | None = Field(None, max_length=40, description="Only deliveries to this endpoint, "
                                                                             "`we_...` (deleted ones too).")
    event_id: str | None = Field(None, max_length=40, description="Only deliveries of this event, `evt_...`.")
    status: DeliveryStatusIn | None = Field(None, description="Only deliveries with this status: PENDING, "
                                                              "SUCCEEDED or FAILED.")


@operation("list_webhook_deliveries", http="GET /v1/webhook_deliveries", scope="webhooks:read", safety=READ_ONLY,
           summary="List webhook deliveries with every attempt, newest first; filter by endpoint, event, status.")
def list_webhook_deliveries(ctx: Context, params: ListWebhookDeliveriesInput) -> Page[WebhookDeliveryOut]:
    """List deliveries (one event to one endpoint each), newest first, with every attempt: when, HTTP
    status, latency, the start of the response body, and the error if no response came. Use it to debug
    a receiver ("why did my endpoint not get order.paid?"): filter by webhook_endpoint_id, event_id or
    status FAILED, then fix the receiver and call redeliver_event."""
    status = params.status.value if params.status else None
    stmt = scoped(ctx, WebhookDelivery)
    if params.webhook_endpoint_id:
        stmt = stmt.where(WebhookDelivery.webhook_endpoint_id == params.webhook_endpoint_id)
    if params.event_id:
        stmt = stmt.where(WebhookDelivery.event_id == params.event_id)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    filters = {"webhook_endpoint_id": params.webhook_endpoint_id, "event_id": params.event_id, "status": status}
    rows, token = paginate(ctx.session, stmt, WebhookDelivery.webhook_delivery_id, params, filters)
    types = _event_types(ctx, {d.event_id for d in rows}) if rows else {}
    return Page[WebhookDeliveryOut](data=[delivery_out(d, types.get(d.event_id, "")) for d in rows],
                                    next_page_token=token)


class RedeliverEventInput(Input):
    event_id: str = Field(description="The event to send again, `evt_...`.")
    webhook_endpoint_id: str | None = Field(None, max_length=40,
                                            description="Send only to this ENABLED endpoint, `we_...` (even if not "
                                                        "subscribed to the type). Default: every ENABLED endpoint "
                                                        "subscribed to the event's type.")


class EventRedeliveryOut(Output):
    object: Literal["event_redelivery"] = Field("event_redelivery", description="Always `event_redelivery`.")
    event_id: str = Field(description="The event being sent again.")
    deliveries: list[WebhookDeliveryOut] = Field(description="The new deliveries, one per endpoint, due now.")


@operation("redeliver_event", http="POST /v1/events/{event_id}/redeliver", scope="webhooks:write", safety=WRITE,
           summary="Send an event again now, as a new delivery with the same webhook-id.")
def redeliver_event(ctx: Context, params: RedeliverEventInput) -> EventRedeliveryOut:
    """Queue a new delivery of an existing event, due now, to one endpoint or to every ENABLED endpoint
    subscribed to its type: to replay what a receiver missed (after a bug fix, or after re-enabling an
    endpoint). The body is the event's stored payload, byte for byte, and the `webhook-id` is the event id
    as before, so a receiver that already processed it can recognise and skip it. Earlier deliveries are
    untouched. Follow it with list_webhook_deliveries(event_id=...). Errors: `resource_missing` (param
    `event_id` or `webhook_endpoint_id`), `webhook_endpoint_disabled`, `no_subscribed_webhook_endpoint`."""
    event = fetch(ctx, Event, params.event_id, resource="event")
    if params.webhook_endpoint_id:
        endpoint = fetch(ctx, WebhookEndpoint, params.webhook_endpoint_id, resource="webhook_endpoint")
        if endpoint.status != events.ENABLED:
            raise FlintError("webhook_endpoint_disabled", param="webhook_endpoint_id",
                             webhook_endpoint_id=endpoint.webhook_endpoint_id,
                             reason=f" ({endpoint.disabled_reason})" if endpoint.disabled_reason else "",
                             suggested_actions=["update_webhook_endpoint"])
        targets = [endpoint.webhook_endpoint_id]
    else:
        endpoints = ctx.session.scalars(scoped(ctx, WebhookEndpoint).where(WebhookEndpoint.status == events.ENABLED)
                                        .order_by(WebhookEndpoint.webhook_endpoint_id)).all()
        targets = [e.webhook_endpoint_id for e in endpoints if events.subscribed(e, event.type)]
        if not targets:
            raise FlintError("no_subscribed_webhook_endpoint", param="event_id", event_type=event.type,
                             suggested_actions=["list_webhook_endpoints", "create_webhook_endpoint"])
    deliveries = [events.schedule_delivery(ctx.session, event, endpoint_id, now=ctx.now) for endpoint_id in targets]
    ctx.record("event", event.event_id, "EVENT_REDELIVERED",
               {"webhook_delivery_ids": [None, [d.webhook_delivery_id for d in deliveries]]})
    return EventRedeliveryOut(event_id=event.event_id, deliveries=[delivery_out(d, event.type) for d in deliveries])
