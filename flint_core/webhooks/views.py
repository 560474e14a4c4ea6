"""What webhook operations return: endpoints (never with their secret, except where one is issued) and
deliveries with their attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from flint_core.platform.context import Context
from flint_core.platform.schema import Output
from flint_core.store.tables import LIVE, WebhookDelivery, WebhookEndpoint

# Legal on an endpoint in either status (no state machine needed: every action is always allowed).
ACTIONS = ("get_webhook_endpoint", "update_webhook_endpoint", "roll_webhook_endpoint_secret",
           "delete_webhook_endpoint", "list_webhook_deliveries")


class WebhookEndpointOut(Output):
    object: Literal["webhook_endpoint"] = Field("webhook_endpoint", description="Always `webhook_endpoint`.")
    webhook_endpoint_id: str = Field(description="Id, `we_...`.")
    url: str = Field(description="Where events are POSTed.")
    description: str | None = Field(description="Your note about the endpoint.")
    enabled_events: list[str] = Field(description="Event types delivered to it, or [\"*\"] for all.")
    status: str = Field(description="ENABLED or DISABLED.")
    disabled_reason: str | None = Field(description="Why it is DISABLED (by a key, or automatically after "
                                                    "failing for days); null when ENABLED.")
    failing_since: datetime | None = Field(description="First failed attempt since the last success; null when "
                                                       "healthy. An endpoint failing for about 3 days is disabled.")
    secret: str | None = Field(None, description="The `whsec_...` signing secret: present ONLY in the response of "
                                                 "create_webhook_endpoint and roll_webhook_endpoint_secret. "
                                                 "Store it now; it is never shown again.")
    previous_secret_expires_at: datetime | None = Field(description="After a roll: until when deliveries are also "
                                                                    "signed with the previous secret; null if not.")
    livemode: bool = Field(description="True for a live-mode endpoint, false for a sandbox's.")
    metadata: dict[str, str] = Field(description="Your key-value pairs.")
    available_actions: list[str] = Field(description="Operations legal on this endpoint now, for the calling key.")
    created_at: datetime = Field(description="When it was created.")
    updated_at: datetime = Field(description="When it last changed.")


def webhook_endpoint_out(ctx: Context, endpoint: WebhookEndpoint, secret: str | None = None) -> WebhookEndpointOut:
    grace = endpoint.previous_secret_expires_at
    return WebhookEndpointOut(
        webhook_endpoint_id=endpoint.webhook_endpoint_id, url=endpoint.url, description=endpoint.description,
        enabled_events=list(endpoint.enabled_events), status=endpoint.status,
        disabled_reason=endpoint.disabled_reason, failing_since=endpoint.failing_since, secret=secret,
        previous_secret_expires_at=grace if grace is not None and grace > ctx.now else None,
        livemode=endpoint.env_id == LIVE, metadata=endpoint.metadata_,
        available_actions=[a for a in ACTIONS if ctx.can(a)], created_at=endpoint.created_at,
        updated_at=endpoint.updated_at)


class DeletedWebhookEndpointOut(Output):
    object: Literal["webhook_endpoint"] = Field("webhook_endpoint", description="Always `webhook_endpoint`.")
    webhook_endpoint_id: str = Field(description="Id of the deleted endpoint.")
    deleted: bool = Field(description="Always true.")


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


class EventRedeliveryOut(Output):
    object: Literal["event_redelivery"] = Field("event_redelivery", description="Always `event_redelivery`.")
    event_id: str = Field(description="The event being sent again.")
    deliveries: list[WebhookDeliveryOut] = Field(description="The new deliveries, one per endpoint, due now.")
