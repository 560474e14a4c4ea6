"""Webhooks: endpoints and their deliveries (``operations``), the events-to-deliveries fan-out (``fanout``,
an outbox subscriber), signing (``signing``), the retry schedule (``schedule``) and the ``deliver_webhook``
job (``delivery``). Events are written by the outbox (``flint_core.platform.outbox``); this domain carries
them out. Guide: docs/webhooks.md."""

from flint_core.webhooks import errors, events  # noqa: F401  (declare the domain's error codes and event types)

TITLE = "Webhooks"
DESCRIPTION = "Webhook endpoints, their secrets and deliveries; redeliver an event."
DOCS = "webhooks"
