"""The ``deliver_notification`` job: send one QUEUED notification over SMTP and record what the server
answered (guide: docs/notifications.md, docs/jobs.md).

Read in one transaction, send outside any, record in another that also ends or reschedules the job
(fenced on the claim: a worker whose lease was taken over records nothing). The server's acceptance
makes it SENT; a 5xx refusal of the message makes it FAILED at once; anything else (a 4xx, no answer)
is tried again after ``RETRY_DELAYS``, then FAILED with the last reply.

Delivery is at least once: a worker that dies after the server accepted the message but before SENT was
recorded leaves its job leased; once the lease lapses another worker sends it again, with the same
Message-ID (the notification's id), which is what receivers deduplicate on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from flint_core.notifications import smtp
from flint_core.notifications.lifecycle import NOTIFICATION, NotificationStatus
from flint_core.notifications.service import DELIVER_NOTIFICATION, delivery_refusal
from flint_core.notifications.views import notification_out
from flint_core.platform import outbox, queue
from flint_core.platform.context import system_context, utcnow
from flint_core.store.tables import Merchant, Notification

log = logging.getLogger("flint.notifications")

MINUTE, HOUR = 60.0, 3600.0
# Waits before each retry of a message the server did not take: six attempts over about eight and a half hours.
RETRY_DELAYS: tuple[float, ...] = (1 * MINUTE, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 6 * HOUR)
NO_SMTP = "no SMTP server is configured (set FLINT_SMTP_URL); the message is kept here only"

_N = Notification.__table__
_READ = (select(_N.c.status, _N.c.merchant_id, _N.c.env_id, _N.c.to_address, _N.c.reply_to, _N.c.subject,
                _N.c.text_body, _N.c.html_body, _N.c.message_id, _N.c.created_at, Merchant.name)
         .join(Merchant, Merchant.merchant_id == _N.c.merchant_id))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What to write: the status (QUEUED while retrying), the reply, and the retry's time if any."""

    status: NotificationStatus
    reply: str
    retry_at: datetime | None = None


def next_delay(attempts_made: int) -> timedelta | None:
    """The wait after ``attempts_made`` attempts that did not get the message accepted; None: give up."""
    if attempts_made > len(RETRY_DELAYS):
        return None
    return timedelta(seconds=RETRY_DELAYS[attempts_made - 1])


def judge(reply: smtp.Reply, attempts_made: int, now: datetime) -> Outcome:
    """SENT when accepted; FAILED when refused for good or out of retries; else QUEUED until the next try."""
    if reply.accepted:
        return Outcome(NotificationStatus.SENT, reply.summary())
    wait = None if reply.refused else next_delay(attempts_made)
    if wait is None:
        return Outcome(NotificationStatus.FAILED, reply.summary())
    return Outcome(NotificationStatus.QUEUED, reply.summary(), now + wait)


# The handler raises only when recording fails (the database); the job is then run again after the queue's
# backoff, and DEAD after this many claims: room for a few of those beside the retries of RETRY_DELAYS.
@queue.handler(DELIVER_NOTIFICATION, max_attempts=len(RETRY_DELAYS) + 5)
def deliver_notification(claim: queue.Claim) -> None:
    """Send the notification (or skip it, when nothing may be sent from here) and record the outcome."""
    db, notification_id = claim.db, claim.payload["notification_id"]
    with db.transaction(write=False) as session:
        row = session.execute(_READ.where(_N.c.notification_id == notification_id)).one_or_none()
        refusal = delivery_refusal(session, row.env_id) if row is not None else None
    if row is None or row.status != NotificationStatus.QUEUED:  # gone with a sandbox reset, or already ended
        with db.transaction() as session:
            claim.finish(session)
        return
    server = claim.settings.smtp_server
    if refusal is not None or server is None:  # opted out since it was queued, or nothing to send with
        record(claim, notification_id, Outcome(NotificationStatus.SKIPPED, ""), skip_reason=refusal or NO_SMTP)
        return
    try:
        message = smtp.compose(from_=claim.settings.email_from, sender_name=row.name, to=row.to_address,
                               reply_to=row.reply_to, subject=row.subject, text=row.text_body, html=row.html_body,
                               message_id=row.message_id, date=row.created_at)
    except smtp.Unsendable as exc:
        record(claim, notification_id, Outcome(NotificationStatus.FAILED, str(exc)[:smtp.REPLY_CHARS]))
        return
    reply = smtp.send(server, message)  # outside any transaction: the server may be slow
    now = max(claim.now, utcnow())  # tests move claim.now
    if not reply.accepted:
        log.warning("notification %s: attempt %s not accepted: %s", notification_id, claim.attempts, reply.summary())
    record(claim, notification_id, judge(reply, claim.attempts, now))


def record(claim: queue.Claim, notification_id: str, outcome: Outcome, *, skip_reason: str | None = None) -> None:
    """Write the outcome and end (or reschedule) the job in one transaction; SENT and FAILED emit their event."""
    now = max(claim.now, utcnow())

    def write(session: Session) -> None:
        notification = session.get(Notification, notification_id, with_for_update=True, populate_existing=True)
        if notification is None or notification.status != NotificationStatus.QUEUED:
            claim.finish(session)
            return
        NOTIFICATION.check_transition(notification.status, outcome.status)
        if outcome.status == NotificationStatus.SKIPPED:
            values: dict[str, Any] = dict(status=outcome.status.value, skip_reason=skip_reason, next_attempt_at=None)
        else:
            values = dict(status=outcome.status.value, attempts=claim.attempts, last_attempt_at=now,
                          next_attempt_at=outcome.retry_at, smtp_reply=outcome.reply,
                          sent_at=now if outcome.status == NotificationStatus.SENT else None)
        ctx = system_context(session, notification.merchant_id, notification.env_id, operation="get_notification",
                             settings=claim.settings, now=now, db=claim.db)
        before = notification_out(ctx, notification).model_dump(mode="json")
        for name, value in (values | {"updated_at": now}).items():
            setattr(notification, name, value)
        if outcome.status in (NotificationStatus.SENT, NotificationStatus.FAILED):
            after = notification_out(ctx, notification).model_dump(mode="json")
            outbox.emit(ctx, f"notification.{outcome.status.value.lower()}", after,
                        previous_attributes={k: v for k, v in before.items() if after[k] != v})
        if outcome.retry_at is not None:
            claim.retry_at(session, outcome.retry_at, error=outcome.reply)
        else:
            claim.finish(session)

    claim.db.run(write)

