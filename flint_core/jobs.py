"""The built-in due work, as queue jobs (flint_core.queue; guide: docs/jobs.md):

- ``settle_refund``: a refund left PENDING (the processor answered "pending", or the call failed or never
  returned) is asked about again with its own processor key, at a slowing pace, until it settles.
- ``expire_checkout_session``: a checkout session's job is due at its ``expires_at``, and at once when its
  order leaves OPEN (paid, authorized or canceled), so the session's end is written down promptly with
  its activity on the order.
- ``housekeeping``: hourly, deletes rows that can no longer matter (idempotency keys past their 24-hour
  window, previews a day past expiry, rate-limit buckets that are full again), so those tables stay the
  size of the last day's traffic. `flint serve` and `flint worker` queue it at start.

The operations queue these in the transaction that makes the work due (``schedule_*`` below); each
handler ends its job with ``claim.finish`` / ``claim.retry_at`` in the transaction that writes the
effects, so a job taken over by another worker never commits twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, inspect, select
from sqlalchemy.orm import Session

from flint_core import idempotency, lifecycle, queue, rate_limits, runtime
from flint_core.runtime import Context, Settings, utcnow
from flint_core.store.db import Database
from flint_core.store.models import (
    CheckoutSession,
    IdempotencyRecord,
    Order,
    PaymentIntent,
    Preview,
    RateLimitBucket,
    Refund,
)

log = logging.getLogger("flint.jobs")

SETTLE_REFUND = "settle_refund"
EXPIRE_CHECKOUT_SESSION = "expire_checkout_session"
FIRST_POLL = timedelta(seconds=5)  # a refund's first re-check (a request still calling the processor is harmless)
MAX_POLL = timedelta(hours=1)


def poll_delay(age: timedelta) -> timedelta:
    """How long to wait before asking again about work that is ``age`` old and still not done: half its
    age, between 5 seconds and an hour (quick for a blip, cheap for a refund pending for days)."""
    return min(MAX_POLL, max(FIRST_POLL, age / 2))


def schedule_refund_settlement(session: Session, refund_id: str, now: datetime) -> None:
    """Queue the settlement of a PENDING refund (in the transaction that reserved it)."""
    queue.enqueue(session, SETTLE_REFUND, {"refund_id": refund_id}, run_at=now + FIRST_POLL,
                  dedupe_key=f"{SETTLE_REFUND}:{refund_id}")


def cancel_refund_settlement(session: Session, refund_id: str) -> None:
    """The refund settled in the request itself: its job has nothing left to do."""
    queue.cancel(session, f"{SETTLE_REFUND}:{refund_id}")


def schedule_session_expiry(session: Session, checkout_session_id: str, when: datetime, *,
                            advance: bool = False) -> None:
    """Queue (or, with ``advance``, bring forward) the job that writes down a session's end."""
    queue.enqueue(session, EXPIRE_CHECKOUT_SESSION, {"checkout_session_id": checkout_session_id}, run_at=when,
                  dedupe_key=f"{EXPIRE_CHECKOUT_SESSION}:{checkout_session_id}", advance=advance)


@event.listens_for(Session, "before_flush")
def _sessions_of_orders_leaving_open(session: Session, _flush: Any, _instances: Any) -> None:
    """An order that leaves OPEN (paid here or elsewhere, authorized, canceled) ends its OPEN checkout
    sessions: their jobs become due now, in the transaction that changed the order. Whatever path
    changed the order (pay_order, the hosted page, cancel_order, a capture), none needs to know."""
    ended = [o.order_id for o in session.dirty if isinstance(o, Order) and o.status != lifecycle.OPEN
             and lifecycle.OPEN in inspect(o).attrs.status.history.deleted]
    if not ended:
        return
    open_sessions = session.scalars(select(CheckoutSession.checkout_session_id).where(
        CheckoutSession.order_id.in_(ended), CheckoutSession.status == lifecycle.OPEN)).all()
    for checkout_session_id in open_sessions:
        schedule_session_expiry(session, checkout_session_id, utcnow(), advance=True)


def system_context(db: Database, session: Session, merchant_id: str, env_id: str, settings: Settings,
                   now: datetime | None = None) -> Context:
    return runtime.system_context(session, merchant_id, env_id, operation="create_refund", settings=settings, now=now,
                                  db=db)


@queue.handler(SETTLE_REFUND)
def settle_refund(claim: queue.Claim) -> None:
    """Ask the processor about one PENDING refund and record the answer; ask again later while it is
    still pending or the processor cannot be reached (that never makes the job DEAD: the refund's
    money stays reserved until it settles)."""
    # imported here: the operations import this module to queue their jobs
    from flint_core.operations.payment_views import processor_for
    from flint_core.operations.refunds import settle
    from flint_core.processors.base import ProcessorError

    db, refund_id, now = claim.db, claim.payload["refund_id"], max(claim.now, utcnow())  # tests move claim.now
    with db.transaction(write=False) as session:
        row = session.execute(select(Refund.status, Refund.merchant_id, Refund.env_id, Refund.amount,
                                     Refund.created_at, Refund.processor_reference, PaymentIntent.processor_reference)
                              .join(PaymentIntent, PaymentIntent.payment_intent_id == Refund.payment_intent_id)
                              .where(Refund.refund_id == refund_id)).one_or_none()
    if row is None or row[0] != lifecycle.PENDING:
        with db.transaction() as session:
            claim.finish(session)
        return
    _, merchant_id, env_id, amount, created_at, refund_ref, charge_ref = row
    again = now + poll_delay(now - created_at)
    with db.transaction(write=False) as session:
        processor = processor_for(system_context(db, session, merchant_id, env_id, claim.settings, now))
    try:  # outside any transaction: the processor may be slow
        result = (processor.refund_status(reference=refund_ref) if refund_ref else
                  processor.refund(key=f"{refund_id}:refund", reference=charge_ref or "", amount=amount))
    except ProcessorError as exc:
        log.warning("refund %s: processor unavailable (%s); asking again at %s", refund_id, exc, again)
        with db.transaction() as session:
            claim.retry_at(session, again, error=f"ProcessorError: {exc}"[:2000], reset_attempts=True)
        return
    with db.transaction() as session:
        refund = settle(system_context(db, session, merchant_id, env_id, claim.settings, now), refund_id, result)
        if refund.status == lifecycle.PENDING:
            claim.retry_at(session, again, reset_attempts=True)
        else:
            claim.finish(session)


@queue.handler(EXPIRE_CHECKOUT_SESSION)
def expire_checkout_session(claim: queue.Claim) -> None:
    """Write down a session's end (EXPIRED past ``expires_at``, COMPLETE or CANCELED once its order left
    OPEN) with its activity. Reads already derive the status; this makes it queryable and audited. A
    session still OPEN is looked at again: at ``expires_at``, or, while the buyer is in the middle of
    paying past it (3D Secure), after a short wait."""
    from flint_core.operations import checkout  # imported here: checkout imports this module

    db, session_id, now = claim.db, claim.payload["checkout_session_id"], max(claim.now, utcnow())
    with db.transaction() as session:
        cs = session.get(CheckoutSession, session_id)
        order = None if cs is None else session.scalar(  # the order first, as payments lock it
            select(Order).where(Order.order_id == cs.order_id).with_for_update())
        cs = session.get(CheckoutSession, session_id, with_for_update=True, populate_existing=True)
        if cs is None or order is None or cs.status != lifecycle.OPEN:
            claim.finish(session)
            return
        ctx = checkout.system_context(db, session, cs, operation_name="expire_checkout_session", face="system",
                                      settings=claim.settings, now=now)
        if checkout.settle(ctx, cs, order) != lifecycle.OPEN:
            claim.finish(session)
        elif now < cs.expires_at:
            claim.retry_at(session, cs.expires_at, reset_attempts=True)
        else:
            claim.retry_at(session, now + poll_delay(now - cs.expires_at), reset_attempts=True)


HOUSEKEEPING = "housekeeping"
HOUSEKEEPING_EVERY = timedelta(hours=1)
HOUSEKEEPING_BATCH = 5000  # rows per table per run; a backlog is worked off in runs a minute apart
HOUSEKEEPING_CHUNK = 500  # rows per delete transaction: row locks are held for milliseconds, not a whole run
PREVIEW_GRACE = timedelta(days=1)  # an expired preview still answers preview_stale (not 404) for a day


def schedule_housekeeping(db: Database) -> None:
    """Queue the housekeeping job unless it is already queued (at every `flint serve` / `flint worker` start)."""
    db.run(lambda session: queue.enqueue(session, HOUSEKEEPING, {}, run_at=utcnow(), dedupe_key=HOUSEKEEPING))


def _delete_chunk(session: Session, key: Any, *conditions: Any) -> int:
    """Delete up to HOUSEKEEPING_CHUNK rows matching ``conditions`` (by primary key ``key``), locking them
    in key order and skipping rows a request holds (``FOR UPDATE SKIP LOCKED``; SQLite has no row locks
    and serialises writers). Housekeeping thus never waits for a request, so it cannot close a deadlock
    cycle with one (a request spends its key's bucket, then its merchant's, in one statement: a delete
    that locked rows in table order while waiting on one of them could hold the second and want the
    first). A skipped row is deleted by a later run. The lock re-checks ``conditions``: a bucket a
    request spent from since the row was read is no longer full and stays."""
    doomed = (select(key).where(*conditions).order_by(key).limit(HOUSEKEEPING_CHUNK)
              .with_for_update(skip_locked=True).scalar_subquery())
    return session.execute(delete(key.class_).where(key.in_(doomed), *conditions)).rowcount or 0


def _delete_expired(db: Database, key: Any, *conditions: Any) -> int:
    """Delete up to HOUSEKEEPING_BATCH rows in short transactions of HOUSEKEEPING_CHUNK; the count."""
    deleted = 0
    while deleted < HOUSEKEEPING_BATCH:
        chunk = db.run(lambda session: _delete_chunk(session, key, *conditions))
        deleted += chunk
        if chunk < HOUSEKEEPING_CHUNK:
            break
    return deleted


@queue.handler(HOUSEKEEPING)
def housekeeping(claim: queue.Claim) -> None:
    """Delete what can no longer change an answer, then run again in an hour (in a minute while a backlog
    remains). Idempotency keys older than the window are treated as new anyway; a bucket whose theoretical
    arrival time has passed is full, exactly like a missing one. The deletes commit in chunks of their own
    before the job is rescheduled: deleting them twice (a worker that lost its lease) changes nothing."""
    now = max(claim.now, utcnow())
    deleted = [
        _delete_expired(claim.db, IdempotencyRecord.id, IdempotencyRecord.created_at <= now - idempotency.WINDOW),
        _delete_expired(claim.db, Preview.preview_id, Preview.expires_at <= now - PREVIEW_GRACE),
        _delete_expired(claim.db, RateLimitBucket.key, RateLimitBucket.tat_us <= rate_limits.epoch_us(now)),
    ]
    backlog = max(deleted) >= HOUSEKEEPING_BATCH
    if any(deleted):
        log.info("housekeeping deleted %s idempotency keys, %s previews, %s rate-limit buckets", *deleted)
    again = now + (timedelta(minutes=1) if backlog else HOUSEKEEPING_EVERY)
    claim.db.run(lambda session: claim.retry_at(session, again, reset_attempts=True))
