"""The event types about webhook endpoints: declared in the outbox's catalog when the domain is imported;
docs/events.md documents each."""

from __future__ import annotations

from functools import partial

from flint_core.platform import outbox

define = partial(outbox.define_event, domain="webhooks")

define("webhook_endpoint.disabled", "webhook_endpoint", "An endpoint kept failing for days and was disabled. "
       "Re-enable it with update_webhook_endpoint.", "`status` (was `ENABLED`) and the fields that changed with it")
