"""Notifications: the outbox of emails to buyers (payment receipts, refund confirmations), each written
in the transaction of the event that causes it (``triggers``, an outbox subscriber; ``service`` for the
domains that will send their own, such as invoices), what each says (``messages``), and its delivery by
the ``deliver_notification`` job (``jobs``) over SMTP (``smtp``). Guide: docs/notifications.md."""

from flint_core.notifications import events  # noqa: F401  (declares the domain's event types on import)

TITLE = "Notifications"
DESCRIPTION = "Emails to buyers (receipts, refund confirmations): what was sent, to whom, and whether it arrived."
DOCS = "notifications"
