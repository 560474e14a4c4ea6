"""Webhooks: endpoints and their deliveries (``operations``, ``views``), signing (``signing``), the retry
schedule (``schedule``) and the ``deliver_webhook`` job (``delivery``). Events are written by the outbox
(``flint_core.platform.outbox``); this domain carries them out. Guide: docs/webhooks.md."""

TITLE = "Webhooks"
DOCS = "webhooks"
