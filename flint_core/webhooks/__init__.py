"""Webhooks: endpoints and their deliveries (``operations``, ``views``), signing (``signing``), the retry
schedule (``schedule``) and the ``deliver_webhook`` job (``delivery``). Events are written by the outbox
(``flint_core.platform.outbox``); this domain carries them out. Guide: docs/webhooks.md."""

from flint_core.webhooks import errors  # noqa: F401  (declares the domain's error codes on import)

TITLE = "Webhooks"
DOCS = "webhooks"
