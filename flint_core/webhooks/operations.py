"""Webhooks: endpoints where Flint POSTs events, signed per Standard Webhooks (flint_core.webhooks), the
deliveries of events to them with every attempt, and manual redelivery.

The signing secret is returned once, by create and by roll; reads never show it. A delivery is one event to
one endpoint, retried on its own schedule (flint_core.webhooks.schedule) until a 2xx answer (SUCCEEDED) or
the schedule runs out (FAILED). Every delivery of an event, redeliveries included, carries the same
``webhook-id`` (the event id), so receivers deduplicate on it. Guide: docs/webhooks.md.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError
from flint_core.platform import outbox
from flint_core.platform.context import Context
from flint_core.platform.pagination import Page, paginate
from flint_core.platform.queries import fetch, merge_metadata, scoped
from flint_core.platform.registry import CREATE, DELIVERS, DESTRUCTIVE, READ_ONLY, WRITE, operation
from flint_core.store.tables import Event, WebhookDelivery, WebhookEndpoint
from flint_core.webhooks import fanout, signing
from flint_core.webhooks.inputs import (
    CreateWebhookEndpointInput,
    DeleteWebhookEndpointInput,
    GetWebhookEndpointInput,
    ListWebhookDeliveriesInput,
    ListWebhookEndpointsInput,
    RedeliverEventInput,
    RollWebhookEndpointSecretInput,
    UpdateWebhookEndpointInput,
)
from flint_core.webhooks.lifecycle import WebhookEndpointStatus
from flint_core.webhooks.rules import check_events, check_url
from flint_core.webhooks.service import event_types
from flint_core.webhooks.views import (
    DeletedWebhookEndpointOut,
    EventRedeliveryOut,
    WebhookDeliveryOut,
    WebhookEndpointOut,
    delivery_out,
    webhook_endpoint_out,
)


def _live(ctx: Context) -> bool:
    """Whether the caller acts in live mode, where check_url accepts only https:// and public hosts."""
    return ctx.principal is not None and ctx.principal.mode == "live"


@operation("create_webhook_endpoint", http="POST /v1/webhook_endpoints", scope="webhooks:write", safety=CREATE,
           summary="Subscribe a URL to events; returns its whsec_ signing secret once.")
def create_webhook_endpoint(ctx: Context, params: CreateWebhookEndpointInput) -> WebhookEndpointOut:
    """Register a URL that receives events as signed POSTs (Standard Webhooks: headers `webhook-id`,
    `webhook-timestamp`, `webhook-signature`). Only events created after this call are delivered to it; use
    redeliver_event for older ones. The response carries `secret` (`whsec_...`) ONCE: store it to verify
    signatures; get/list never show it (roll_webhook_endpoint_secret makes a new one). Errors:
    `parameter_invalid` (param `url`: not http(s), or http/private host in live mode), `unknown_event_type`
    (param `enabled_events`). Not retryable: fix the input."""
    url = check_url(params.url, live=_live(ctx))
    enabled = check_events(params.enabled_events, outbox.EVENT_TYPES)
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        webhook_endpoint_id=ids.new_id("webhook_endpoint"), merchant_id=ctx.merchant_id, env_id=ctx.env_id,
        url=url, description=params.description or None, enabled_events=enabled, status=WebhookEndpointStatus.ENABLED,
        disabled_reason=None, secret=secret, previous_secret=None, previous_secret_expires_at=None,
        failing_since=None, metadata_=params.metadata, created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(endpoint)
    ctx.record("webhook_endpoint", endpoint.webhook_endpoint_id, "WEBHOOK_ENDPOINT_CREATED",
               {"url": [None, url], "enabled_events": [None, enabled]})
    return webhook_endpoint_out(ctx, endpoint, secret)


@operation("list_webhook_endpoints", http="GET /v1/webhook_endpoints", scope="webhooks:read", safety=READ_ONLY,
           summary="List webhook endpoints, newest first (never their secrets).")
def list_webhook_endpoints(ctx: Context, params: ListWebhookEndpointsInput) -> Page[WebhookEndpointOut]:
    """List the webhook endpoints of this sandbox (or live mode), newest first, optionally only ENABLED or
    DISABLED ones. `failing_since` shows endpoints in trouble. Secrets are never included."""
    status = params.status.value if params.status else None
    stmt = scoped(ctx, WebhookEndpoint)
    if status:
        stmt = stmt.where(WebhookEndpoint.status == status)
    rows, token = paginate(ctx.session, stmt, WebhookEndpoint.webhook_endpoint_id, params, {"status": status})
    return Page[WebhookEndpointOut](data=[webhook_endpoint_out(ctx, e) for e in rows], next_page_token=token)


@operation("get_webhook_endpoint", http="GET /v1/webhook_endpoints/{webhook_endpoint_id}", scope="webhooks:read",
           safety=READ_ONLY, summary="Fetch one webhook endpoint (without its secret).")
def get_webhook_endpoint(ctx: Context, params: GetWebhookEndpointInput) -> WebhookEndpointOut:
    """Fetch an endpoint: its URL, subscribed types, status, `disabled_reason` and `failing_since`. The
    secret is not shown (only create and roll return it). To see what was sent to it, use
    list_webhook_deliveries(webhook_endpoint_id=...)."""
    return webhook_endpoint_out(ctx, fetch(ctx, WebhookEndpoint, params.webhook_endpoint_id,
                                           resource="webhook_endpoint"))


def _audited(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """The fields an update can change, as its activity's delta compares them."""
    return {"url": endpoint.url, "enabled_events": list(endpoint.enabled_events), "description": endpoint.description,
            "metadata": dict(endpoint.metadata_), "status": endpoint.status}


@operation("update_webhook_endpoint", http="PATCH /v1/webhook_endpoints/{webhook_endpoint_id}",
           scope="webhooks:write", safety=WRITE, summary="Change an endpoint's URL, events, note, metadata or status.")
def update_webhook_endpoint(ctx: Context, params: UpdateWebhookEndpointInput) -> WebhookEndpointOut:
    """Change what is given and leave the rest. `status: DISABLED` stops deliveries (pending retries end
    FAILED without a request); `status: ENABLED` turns an endpoint back on, including one Flint disabled
    after days of failures, and clears its failing state. Events that happened while it was disabled are
    not queued for it: replay them with redeliver_event. The secret is unchanged (see
    roll_webhook_endpoint_secret). Errors: `resource_missing`, `parameter_invalid` (param `url`),
    `unknown_event_type` (param `enabled_events`)."""
    endpoint = fetch(ctx, WebhookEndpoint, params.webhook_endpoint_id, resource="webhook_endpoint", lock=True)
    before = _audited(endpoint)
    if params.url is not None:
        endpoint.url = check_url(params.url, live=_live(ctx))
    if params.enabled_events is not None:
        endpoint.enabled_events = check_events(params.enabled_events, outbox.EVENT_TYPES)
    if params.description is not None:
        endpoint.description = params.description or None
    endpoint.metadata_ = merge_metadata(endpoint.metadata_, params.metadata)
    if params.status is not None and params.status.value != endpoint.status:
        endpoint.status = params.status.value
        if endpoint.status == WebhookEndpointStatus.ENABLED:
            endpoint.disabled_reason, endpoint.failing_since = None, None
        else:
            actor = ctx.principal.api_key_id if ctx.principal else "system"
            endpoint.disabled_reason = f"disabled with update_webhook_endpoint by {actor}"
    after = _audited(endpoint)
    delta = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if delta:
        endpoint.updated_at = ctx.now
        ctx.record("webhook_endpoint", endpoint.webhook_endpoint_id, "WEBHOOK_ENDPOINT_UPDATED", delta)
    return webhook_endpoint_out(ctx, endpoint)


@operation("delete_webhook_endpoint", http="DELETE /v1/webhook_endpoints/{webhook_endpoint_id}",
           scope="webhooks:write", safety=DESTRUCTIVE,
           summary="Delete an endpoint for good; nothing more is sent to it.")
def delete_webhook_endpoint(ctx: Context, params: DeleteWebhookEndpointInput) -> DeletedWebhookEndpointOut:
    """Delete an endpoint. Cannot be undone: its secret is gone, and its pending deliveries end FAILED
    without a request. Its delivery history stays listable (list_webhook_deliveries with its id). To pause
    deliveries instead, use update_webhook_endpoint(status=DISABLED). Errors: `resource_missing`."""
    endpoint = fetch(ctx, WebhookEndpoint, params.webhook_endpoint_id, resource="webhook_endpoint", lock=True)
    ctx.session.delete(endpoint)
    ctx.record("webhook_endpoint", endpoint.webhook_endpoint_id, "WEBHOOK_ENDPOINT_DELETED",
               {"url": [endpoint.url, None]})
    return DeletedWebhookEndpointOut(webhook_endpoint_id=endpoint.webhook_endpoint_id, deleted=True)


@operation("roll_webhook_endpoint_secret", http="POST /v1/webhook_endpoints/{webhook_endpoint_id}/roll_secret",
           scope="webhooks:write", safety=WRITE,
           summary="Replace an endpoint's signing secret; the old one keeps signing for a grace period.")
def roll_webhook_endpoint_secret(ctx: Context, params: RollWebhookEndpointSecretInput) -> WebhookEndpointOut:
    """Make a new `whsec_` secret (returned ONCE in `secret`). Until `previous_secret_expires_at` every
    delivery carries two signatures in `webhook-signature`, one per secret, so receivers verifying with
    either keep working while you deploy the new one. Rolling again during a grace period retires the
    oldest secret at once. Use it when a secret may have leaked (with grace_period_seconds 0) or routinely.
    Errors: `resource_missing`, `parameter_invalid` (param `grace_period_seconds`)."""
    endpoint = fetch(ctx, WebhookEndpoint, params.webhook_endpoint_id, resource="webhook_endpoint", lock=True)
    secret = signing.new_secret()
    grace = params.grace_period_seconds
    endpoint.previous_secret = endpoint.secret if grace else None
    endpoint.previous_secret_expires_at = ctx.now + timedelta(seconds=grace) if grace else None
    endpoint.secret, endpoint.updated_at = secret, ctx.now
    ctx.record("webhook_endpoint", endpoint.webhook_endpoint_id, "WEBHOOK_ENDPOINT_SECRET_ROLLED",
               {"previous_secret_expires_at": [None, endpoint.previous_secret_expires_at and
                                               endpoint.previous_secret_expires_at.isoformat()]})
    return webhook_endpoint_out(ctx, endpoint, secret)


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
    types = event_types(ctx, {d.event_id for d in rows}) if rows else {}
    return Page[WebhookDeliveryOut](data=[delivery_out(d, types.get(d.event_id, "")) for d in rows],
                                    next_page_token=token)


@operation("redeliver_event", http="POST /v1/events/{event_id}/redeliver", scope="webhooks:write", safety=DELIVERS,
           summary="Send an event again now, as a new delivery with the same webhook-id.")
def redeliver_event(ctx: Context, params: RedeliverEventInput) -> EventRedeliveryOut:
    """Queue a new delivery of an existing event, due now, to one endpoint or to every ENABLED endpoint
    subscribed to its type: to replay what a receiver missed (after a bug fix, or after re-enabling an
    endpoint). The body is the event's stored payload, byte for byte, and the `webhook-id` is the event id
    as before, so a receiver that already processed it can recognise and skip it. Earlier deliveries are
    untouched. Follow it with list_webhook_deliveries(event_id=...). Errors: `resource_missing` (param
    `event_id` or `webhook_endpoint_id`), `webhook_endpoint_disabled`, `no_subscribed_webhook_endpoint`."""
    event = fetch(ctx, Event, params.event_id, resource="event", lock=True)  # its activity's sequence
    if params.webhook_endpoint_id:
        endpoint = fetch(ctx, WebhookEndpoint, params.webhook_endpoint_id, resource="webhook_endpoint")
        if endpoint.status != WebhookEndpointStatus.ENABLED:
            raise FlintError("webhook_endpoint_disabled", param="webhook_endpoint_id",
                             webhook_endpoint_id=endpoint.webhook_endpoint_id,
                             reason=f" ({endpoint.disabled_reason})" if endpoint.disabled_reason else "",
                             suggested_actions=["update_webhook_endpoint"])
        targets = [endpoint.webhook_endpoint_id]
    else:
        targets = fanout.subscribed_endpoints(ctx.session, ctx.merchant_id, ctx.env_id, event.type)
        if not targets:
            raise FlintError("no_subscribed_webhook_endpoint", param="event_id", event_type=event.type,
                             suggested_actions=["list_webhook_endpoints", "create_webhook_endpoint"])
    deliveries = [fanout.schedule_delivery(ctx.session, event, endpoint_id, now=ctx.now) for endpoint_id in targets]
    ctx.record("event", event.event_id, "EVENT_REDELIVERED",
               {"webhook_delivery_ids": [None, [d.webhook_delivery_id for d in deliveries]]})
    return EventRedeliveryOut(event_id=event.event_id, deliveries=[delivery_out(d, event.type) for d in deliveries])
