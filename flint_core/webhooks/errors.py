"""The webhooks domain's error codes, registered in the one catalog of
flint_core.kernel.errors when the domain is imported; docs/errors.md documents every code."""

from __future__ import annotations

from functools import partial

from flint_core.kernel import errors
from flint_core.kernel.errors import CONFLICT, INVALID

define = partial(errors.define, domain="webhooks")

define("unknown_event_type", INVALID, 400, "Unknown event type {value!r} in {param}.{hint}",
       "Webhook endpoints subscribe to event types from the catalog (/docs/events), such as `order.paid`, or to "
       "`[\"*\"]` for every type.")
define("webhook_endpoint_disabled", CONFLICT, 409,
       "Webhook endpoint {webhook_endpoint_id} is DISABLED{reason}; nothing is delivered to it.",
       "Re-enable it with update_webhook_endpoint (status ENABLED), which also clears its failing state, then "
       "redeliver the events it missed (redeliver_event).")
define("no_subscribed_webhook_endpoint", CONFLICT, 409,
       "No ENABLED webhook endpoint is subscribed to {event_type}; nothing to redeliver to.",
       "Pass webhook_endpoint_id to redeliver to one endpoint, or create or enable an endpoint subscribed to the "
       "event's type first (list_webhook_endpoints).")
