"""The housekeeping job: hourly, deletes rows that can no longer matter (idempotency keys past their
24-hour window, previews a day past expiry, rate-limit buckets that are full again, MCP sessions idle for
a day), so those tables stay the size of the last day's traffic. `flint serve` and `flint worker` queue it at start (docs/jobs.md)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from flint_core.platform import idempotency, mcp_sessions, queue, rate_limits
from flint_core.platform.context import utcnow
from flint_core.store.db import Database
from flint_core.store.tables import IdempotencyRecord, McpSession, Preview, RateLimitBucket

log = logging.getLogger("flint.jobs")

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
        _delete_expired(claim.db, McpSession.session_id, McpSession.updated_at <= now - mcp_sessions.IDLE),
    ]
    backlog = max(deleted) >= HOUSEKEEPING_BATCH
    if any(deleted):
        log.info("housekeeping deleted %s idempotency keys, %s previews, %s rate-limit buckets, %s MCP sessions",
                 *deleted)
    again = now + (timedelta(minutes=1) if backlog else HOUSEKEEPING_EVERY)
    claim.db.run(lambda session: claim.retry_at(session, again, reset_attempts=True))
