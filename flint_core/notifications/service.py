"""Writing a notification: who it goes to, who a reply reaches, whether it will ever be delivered, and its
delivery job, all in the caller's transaction (the one of the event that causes it).

``queue_notification`` is the door for every domain that tells a buyer something: the triggers here
(receipts, refund confirmations) and, later, invoices and subscriptions. It always stores the message,
so sandboxes, tests and agents can read exactly what the buyer would receive; only its delivery depends
on where it happens. A sandbox that has not opted in to email delivery writes it SKIPPED, with no job;
otherwise it is QUEUED with a ``deliver_notification`` job due now, which sends it over SMTP (or skips it
when the server has no SMTP server configured).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from flint_core.kernel import ids
from flint_core.notifications.lifecycle import NotificationStatus, NotificationType
from flint_core.notifications.messages import Message
from flint_core.platform import queue
from flint_core.store.tables import LIVE, Customer, Merchant, Notification, Sandbox

DELIVER_NOTIFICATION = "deliver_notification"  # the job kind (flint_core.notifications.jobs)
SUBJECT_CHARS = 300  # the column's size

_INSERT = insert(Notification.__table__)  # a notification is written once, then only its delivery changes
_merchants, _sandboxes, _customers = Merchant.__table__, Sandbox.__table__, Customer.__table__
_SENDER = select(_merchants.c.name, _merchants.c.email).where(_merchants.c.merchant_id == bindparam("merchant_id"))
_OPTED_IN = select(_sandboxes.c.email_delivery).where(_sandboxes.c.sandbox_id == bindparam("sandbox_id"))
_CUSTOMER_EMAIL = select(_customers.c.email).where(
    _customers.c.customer_id == bindparam("customer_id"), _customers.c.merchant_id == bindparam("merchant_id"),
    _customers.c.env_id == bindparam("env_id"))


@dataclass(frozen=True, slots=True)
class Sender:
    """The merchant a message speaks for: its name (in the message and the From) and its email (Reply-To)."""

    name: str
    email: str


def sender_of(session: Session, merchant_id: str) -> Sender:
    name, email = session.execute(_SENDER, {"merchant_id": merchant_id}).one()
    return Sender(name, email)


def message_id(notification_id: str) -> str:
    """The Message-ID header: derived from the notification's id, so every attempt to send it carries the
    same one and a receiver that got it twice (after a worker crash) can tell."""
    return f"<{notification_id}@flint>"


def recipient(session: Session, merchant_id: str, env_id: str, *emails: str | None,
              customer_id: str | None = None) -> str | None:
    """The first of ``emails`` given (the payment's buyer_email, then the order's), else the customer's
    email; None when there is no address at all (then nothing is written)."""
    for email in emails:
        if email:
            return email
    if customer_id is None:
        return None
    return session.scalar(_CUSTOMER_EMAIL, {"customer_id": customer_id, "merchant_id": merchant_id,
                                            "env_id": env_id}) or None


def delivery_refusal(session: Session, env_id: str) -> str | None:
    """Why this environment's notifications are not to be delivered, or None: live mode always delivers
    (when an SMTP server is configured); a sandbox only once it opted in (update_sandbox)."""
    if env_id == LIVE or session.scalar(_OPTED_IN, {"sandbox_id": env_id}):
        return None
    return (f"sandbox {env_id} has not opted in to email delivery (update_sandbox with email_delivery: true); "
            "the message is kept here only")


def queue_notification(session: Session, *, merchant_id: str, env_id: str, now: datetime,
                       kind: NotificationType, to_address: str, sender: Sender, message: Message,
                       customer_id: str | None = None, order_id: str | None = None,
                       payment_intent_id: str | None = None, refund_id: str | None = None) -> str:
    """Store one message to ``to_address`` in the caller's transaction, QUEUED with its delivery job, or
    SKIPPED when its environment does not deliver email; returns its id."""
    notification_id = ids.new_id("notification")
    refusal = delivery_refusal(session, env_id)
    session.execute(_INSERT, dict(
        notification_id=notification_id, merchant_id=merchant_id, env_id=env_id, type=kind.value,
        customer_id=customer_id, order_id=order_id, payment_intent_id=payment_intent_id, refund_id=refund_id,
        to_address=to_address, reply_to=sender.email, subject=message.subject[:SUBJECT_CHARS],
        text_body=message.text, html_body=message.html, message_id=message_id(notification_id),
        status=(NotificationStatus.SKIPPED if refusal else NotificationStatus.QUEUED).value, skip_reason=refusal,
        attempts=0, last_attempt_at=None, next_attempt_at=None if refusal else now, smtp_reply=None, sent_at=None,
        created_at=now, updated_at=now))
    if refusal is None:
        queue.enqueue(session, DELIVER_NOTIFICATION, {"notification_id": notification_id}, run_at=now,
                      dedupe_key=f"{DELIVER_NOTIFICATION}:{notification_id}")
    return notification_id
