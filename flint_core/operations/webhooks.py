"""Webhook endpoints: where Flint POSTs events, signed per Standard Webhooks (flint_core.webhooks).

The signing secret is returned once, by create and by roll; reads never show it. Deliveries and manual
redelivery are in ``webhook_deliveries.py``.
"""

from __future__ import annotations

import difflib
import enum
import ipaddress
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field

from flint_core import ids
from flint_core.errors import FlintError
from flint_core.events import EVENT_TYPES
from flint_core.operations.common import fetch, merge_metadata, scoped
from flint_core.pagination import Page, paginate
from flint_core.registry import DESTRUCTIVE, READ_ONLY, WRITE, operation
from flint_core.runtime import Context
from flint_core.schema import Input, ListInput, Metadata, Output, lenient_enum
from flint_core.store.models import WebhookEndpoint
from flint_core.webhooks import signing

ENABLED, DISABLED = "ENABLED", "DISABLED"
ALL_EVENTS = "*"
MAX_GRACE = timedelta(hours=24)
# Legal on an endpoint in either status (no state machine needed: every action is always allowed).
ACTIONS = ("get_webhook_endpoint", "update_webhook_endpoint", "roll_webhook_endpoint_secret",
           "delete_webhook_endpoint", "list_webhook_deliveries")


class WebhookEndpointStatus(enum.Enum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


StatusIn = lenient_enum(WebhookEndpointStatus, "ENABLED (deliveries are sent) or DISABLED (nothing is sent; new "
                                               "events are not queued for it).")


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
        livemode=endpoint.env_id == "live", metadata=endpoint.metadata_,
        available_actions=[a for a in ACTIONS if ctx.can(a)], created_at=endpoint.created_at,
        updated_at=endpoint.updated_at)


def check_url(ctx: Context, url: str) -> str:
    """http(s) with a host; live mode needs https and a public host (test mode may use http://127.0.0.1)."""
    def bad(detail: str) -> FlintError:
        return FlintError("parameter_invalid", param="url", detail=detail)

    url = url.strip()
    if any(c.isspace() for c in url):
        raise bad("must not contain spaces")
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port
    except ValueError as exc:
        raise bad(f"not a valid URL ({exc})") from None
    live = ctx.principal is not None and ctx.principal.mode == "live"
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise bad("must be an absolute https:// URL" + ("" if live else " (or http:// in test mode)"))
    if parts.fragment:
        raise bad("must not have a #fragment")
    if live:
        if parts.scheme.lower() != "https":
            raise bad("live mode delivers only to https:// URLs")
        if _private_host(host):
            raise bad(f"live mode cannot deliver to {host}, a local or private address")
    return url


def _private_host(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def check_events(enabled_events: list[str]) -> list[str]:
    """Known event types (deduplicated, in the given order), or exactly ["*"]."""
    if ALL_EVENTS in enabled_events:
        if len(set(enabled_events)) > 1:
            raise FlintError("parameter_invalid", param="enabled_events",
                             detail='"*" already means every type; pass ["*"] alone')
        return [ALL_EVENTS]
    for name in enabled_events:
        if name not in EVENT_TYPES:
            close = difflib.get_close_matches(name, list(EVENT_TYPES), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else " See /docs/events for every type."
            raise FlintError("unknown_event_type", param="enabled_events", value=name, hint=hint)
    return list(dict.fromkeys(enabled_events))


Url = Field(min_length=1, max_length=2048, description="HTTPS URL that receives the POSTs. Test mode also accepts "
                                                       "http://, e.g. http://127.0.0.1:4242/webhooks for a local "
                                                       "receiver; live mode needs https:// and a public host.")
Events = Field(min_length=1, max_length=100, description="Event types to deliver, e.g. [\"order.paid\", "
                                                         "\"refund.succeeded\"], or [\"*\"] for every type "
                                                         "(see /docs/events for the catalog).")


class CreateWebhookEndpointInput(Input):
    url: str = Url
    enabled_events: list[str] = Events
    description: str | None = Field(None, max_length=500, description="Your note, e.g. `fulfilment service`.")
    metadata: Metadata = Field(default_factory=dict)


@operation("create_webhook_endpoint", http="POST /v1/webhook_endpoints", scope="webhooks:write", safety=WRITE,
           summary="Subscribe a URL to events; returns its whsec_ signing secret once.")
def create_webhook_endpoint(ctx: Context, params: CreateWebhookEndpointInput) -> WebhookEndpointOut:
    """Register a URL that receives events as signed POSTs (Standard Webhooks: headers `webhook-id`,
    `webhook-timestamp`, `webhook-signature`). Only events created after this call are delivered to it; use
    redeliver_event for older ones. The response carries `secret` (`whsec_...`) ONCE: store it to verify
    signatures; get/list never show it (roll_webhook_endpoint_secret makes a new one). Errors:
    `parameter_invalid` (param `url`: not http(s), or http/private host in live mode), `unknown_event_type`
    (param `enabled_events`). Not retryable: fix the input."""
    url = check_url(ctx, params.url)
    enabled = check_events(params.enabled_events)
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        webhook_endpoint_id=ids.new_id("webhook_endpoint"), merchant_id=ctx.merchant_id, env_id=ctx.env_id,
        url=url, description=params.description or None, enabled_events=enabled, status=ENABLED,
        disabled_reason=None, secret=secret, previous_secret=None, previous_secret_expires_at=None,
        failing_since=None, metadata_=params.metadata, created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(endpoint)
    ctx.record("webhook_endpoint", endpoint.webhook_endpoint_id, "WEBHOOK_ENDPOINT_CREATED",
               {"url": [None, url], "enabled_events": [None, enabled]})
    return webhook_endpoint_out(ctx, endpoint, secret)


class ListWebhookEndpointsInput(ListInput):
    status: StatusIn | None = Field(None, description="Only endpoints with this status: ENABLED or DISABLED.")


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


class GetWebhookEndpointInput(Input):
    webhook_endpoint_id: str = Field(description="Id of the endpoint, `we_...`.")


@operation("get_webhook_endpoint", http="GET /v1/webhook_endpoints/{webhook_endpoint_id}", scope="webhooks:read",
           safety=READ_ONLY, summary="Fetch one webhook endpoint (without its secret).")
def get_webhook_endpoint(ctx: Context, params: GetWebhookEndpointInput) -> WebhookEndpointOut:
    """Fetch an endpoint: its URL, subscribed types, status, `disabled_reason` and `failing_since`. The
    secret is not shown (only create and roll return it). To see what was sent to it, use
    list_webhook_deliveries(webhook_endpoint_id=...)."""
    return webhook_endpoint_out(ctx, fetch(ctx, WebhookEndpoint, params.webhook_endpoint_id,
                                           resource="webhook_endpoint"))


class UpdateWebhookEndpointInput(Input):
    webhook_endpoint_id: str = Field(description="Id of the endpoint, `we_...`.")
    url: str | None = Field(None, min_length=1, max_length=2048, description="New URL (same rules as on create).")
    enabled_events: list[str] | None = Field(None, min_length=1, max_length=100,
                                             description="Replaces the subscribed types: event types, or [\"*\"].")
    description: str | None = Field(None, max_length=500, description="New note; an empty string removes it.")
    metadata: Metadata = Field(default_factory=dict, description="Keys to set (up to 50; keys up to 40 "
                                                                 "characters, values up to 500); an empty string "
                                                                 "value deletes a key.")
    status: StatusIn | None = Field(None, description="DISABLED stops deliveries; ENABLED resumes them and clears "
                                                      "`failing_since` and `disabled_reason`.")


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
    before = {"url": endpoint.url, "enabled_events": list(endpoint.enabled_events),
              "description": endpoint.description, "metadata": dict(endpoint.metadata_), "status": endpoint.status}
    if params.url is not None:
        endpoint.url = check_url(ctx, params.url)
    if params.enabled_events is not None:
        endpoint.enabled_events = check_events(params.enabled_events)
    if params.description is not None:
        endpoint.description = params.description or None
    endpoint.metadata_ = merge_metadata(endpoint.metadata_, params.metadata)
    if params.status is not None and params.status.value != endpoint.status:
        endpoint.status = params.status.value
        if endpoint.status == ENABLED:
            endpoint.disabled_reason, endpoint.failing_since = None, None
        else:
            endpoint.disabled_reason = f"disabled with update_webhook_endpoint by {ctx.principal.api_key_id}"  # type: ignore[union-attr]
    after = {"url": endpoint.url, "enabled_events": list(endpoint.enabled_events),
             "description": endpoint.description, "metadata": dict(endpoint.metadata_), "status": endpoint.status}
    delta = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if delta:
        endpoint.updated_at = ctx.now
        ctx.record("webhook_endpoint", endpoint.webhook_endpoint_id, "WEBHOOK_ENDPOINT_UPDATED", delta)
    return webhook_endpoint_out(ctx, endpoint)


class DeletedWebhookEndpointOut(Output):
    object: Literal["webhook_endpoint"] = Field("webhook_endpoint", description="Always `webhook_endpoint`.")
    webhook_endpoint_id: str = Field(description="Id of the deleted endpoint.")
    deleted: bool = Field(description="Always true.")


class DeleteWebhookEndpointInput(Input):
    webhook_endpoint_id: str = Field(description="Id of the endpoint to delete, `we_...`.")


@operation("delete_webhook_endpoint", http="DELETE /v1/webhook_endpoints/{webhook_endpoint_id}",
           scope="webhooks:write", safety=DESTRUCTIVE, summary="Delete an endpoint for good; nothing more is sent to it.")
def delete_webhook_endpoint(ctx: Context, params: DeleteWebhookEndpointInput) -> DeletedWebhookEndpointOut:
    """Delete an endpoint. Cannot be undone: its secret is gone, and its pending deliveries end FAILED
    without a request. Its delivery history stays listable (list_webhook_deliveries with its id). To pause
    deliveries instead, use update_webhook_endpoint(status=DISABLED). Errors: `resource_missing`."""
    endpoint = fetch(ctx, WebhookEndpoint, params.webhook_endpoint_id, resource="webhook_endpoint", lock=True)
    ctx.session.delete(endpoint)
    ctx.record("webhook_endpoint", endpoint.webhook_endpoint_id, "WEBHOOK_ENDPOINT_DELETED",
               {"url": [endpoint.url, None]})
    return DeletedWebhookEndpointOut(webhook_endpoint_id=endpoint.webhook_endpoint_id, deleted=True)


class RollWebhookEndpointSecretInput(Input):
    webhook_endpoint_id: str = Field(description="Id of the endpoint, `we_...`.")
    grace_period_seconds: int = Field(int(MAX_GRACE.total_seconds()), ge=0, le=int(MAX_GRACE.total_seconds()),
                                      description="How long deliveries stay signed with the old secret too "
                                                  "(0 to 86400 seconds, default 86400 = 24 h; 0 retires it now).")


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
