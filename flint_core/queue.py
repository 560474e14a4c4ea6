"""The job queue: one mechanism for all due work (webhook deliveries and their retries, refund settlement,
checkout session expiry, and later renewals and dunning).

A job is a row in ``jobs`` that exists while its work is pending. A worker *claims* due rows with
``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite serialises writers with ``BEGIN IMMEDIATE``),
stamping each with a lease (``locked_by`` = a token unique to this claim, ``locked_until``) and commits at
once, so the work itself runs outside any lock. The handler then ends the job in the transaction that
writes the work's effects: ``finish`` deletes the row, ``retry_at`` reschedules it. Both are fenced on the
claim's token: if the lease lapsed and another worker took the job over, the late worker's transaction is
rolled back (``LeaseLost``), so the effects of a job commit once. A worker that dies leaves a lease that
lapses; the job is claimed again and never lost.

Handlers register with ``@handler(kind)``; ``run_due`` claims and runs a batch; ``run_forever`` loops
(inside `flint serve`, or alone as `flint worker`).
"""

from __future__ import annotations

import importlib
import logging
import os
import random
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from flint_core.runtime import Settings, utcnow
from flint_core.store.db import Database
from flint_core.store.models import Job

log = logging.getLogger("flint.jobs")

QUEUED, DEAD = "QUEUED", "DEAD"
# How long a claim holds a job. A handler must finish well within it (webhook calls time out sooner).
LEASE = timedelta(seconds=float(os.environ.get("FLINT_JOB_LEASE_SECONDS", "60")))
# Modules whose import registers handlers (explicit, so a worker process knows every kind).
HANDLER_MODULES = ("flint_core.jobs",)


class LeaseLost(Exception):
    """The job was taken over by another worker after this claim's lease lapsed."""


@dataclass(frozen=True, slots=True)
class Claim:
    """One claimed job, as its handler sees it."""

    job_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int  # including this one
    token: str
    db: Database
    settings: Settings
    now: datetime

    def finish(self, session: Session) -> None:
        """End the job in ``session`` (the transaction holding the work's effects)."""
        self._fenced(session, delete(Job))

    def retry_at(self, session: Session, when: datetime, error: str | None = None) -> None:
        """Run the job again at ``when`` (the lease is released; attempts keep counting)."""
        self._fenced(session, update(Job).values(run_at=when, locked_by=None, locked_until=None,
                                                 last_error=error))

    def _fenced(self, session: Session, statement: Any) -> None:
        result = session.execute(statement.where(Job.job_id == self.job_id, Job.locked_by == self.token))
        if result.rowcount != 1:
            raise LeaseLost(f"job {self.job_id} ({self.kind}) was taken over")


@dataclass(frozen=True, slots=True)
class Handler:
    kind: str
    run: Callable[[Claim], None]
    max_attempts: int
    backoff: Callable[[int], float]  # seconds before attempt n+1 after attempt n raised


def default_backoff(attempt: int) -> float:
    """Exponential with full jitter, capped at an hour: 2 s, 4 s, 8 s ... for jobs that raised."""
    return random.uniform(0.5, 1.0) * min(3600.0, 2.0 ** attempt)


_HANDLERS: dict[str, Handler] = {}


def handler(kind: str, *, max_attempts: int = 20,
            backoff: Callable[[int], float] = default_backoff) -> Callable[[Callable[[Claim], None]], Callable[[Claim], None]]:
    """Register the function that does jobs of ``kind``. It must end each job with ``claim.finish`` or
    ``claim.retry_at`` inside the transaction that writes the job's effects. If it raises, the job is
    retried after ``backoff(attempt)`` seconds, and marked DEAD after ``max_attempts``."""

    def register(run: Callable[[Claim], None]) -> Callable[[Claim], None]:
        if kind in _HANDLERS and _HANDLERS[kind].run is not run:
            raise ValueError(f"duplicate job kind {kind!r}")
        _HANDLERS[kind] = Handler(kind, run, max_attempts, backoff)
        return run

    return register


def handlers() -> dict[str, Handler]:
    for module in HANDLER_MODULES:
        importlib.import_module(module)
    return _HANDLERS


def enqueue(session: Session, kind: str, payload: dict[str, Any], *, run_at: datetime,
            dedupe_key: str | None = None) -> None:
    """Queue a job in the caller's transaction: it exists only if that transaction commits. A job with
    the ``dedupe_key`` of one still pending is not queued again."""
    values = dict(kind=kind, payload=payload, run_at=run_at, status=QUEUED, attempts=0, dedupe_key=dedupe_key,
                  created_at=utcnow())
    insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert  # type: ignore[union-attr]
    session.execute(insert(Job).values(**values).on_conflict_do_nothing())


def claim(db: Database, settings: Settings, *, limit: int, now: datetime | None = None,
          kinds: list[str] | None = None) -> list[Claim]:
    """Lease up to ``limit`` due jobs for this worker (committed before any of them runs)."""
    now = now or utcnow()
    token = secrets.token_hex(12)
    with db.transaction() as session:
        stmt = (select(Job).where(Job.status == QUEUED, Job.run_at <= now,
                                  or_(Job.locked_until.is_(None), Job.locked_until < now))
                .order_by(Job.run_at, Job.job_id).limit(limit).with_for_update(skip_locked=True))
        if kinds is not None:
            stmt = stmt.where(Job.kind.in_(kinds))
        jobs = session.scalars(stmt).all()
        claims = []
        for n, job in enumerate(jobs):
            job.locked_by, job.locked_until, job.attempts = f"{token}.{n}", now + LEASE, job.attempts + 1
            claims.append(Claim(job.job_id, job.kind, dict(job.payload), job.attempts, job.locked_by, db, settings,
                                now))
    return claims


def run(claim_: Claim) -> bool:
    """Run one claimed job; returns False when it raised (it is then rescheduled or marked DEAD)."""
    spec = handlers().get(claim_.kind)
    try:
        if spec is None:
            raise LookupError(f"no handler for job kind {claim_.kind!r}")
        spec.run(claim_)
        return True
    except LeaseLost:
        log.warning("job %s (%s): lease lost to another worker; its effects were rolled back",
                    claim_.job_id, claim_.kind)
        return False
    except Exception as exc:
        log.exception("job %s (%s) failed on attempt %s", claim_.job_id, claim_.kind, claim_.attempts)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        with claim_.db.transaction() as session:
            if spec is None or claim_.attempts >= spec.max_attempts:
                values: dict[str, Any] = dict(status=DEAD, locked_by=None, locked_until=None, last_error=error)
            else:
                values = dict(run_at=utcnow() + timedelta(seconds=spec.backoff(claim_.attempts)), locked_by=None,
                              locked_until=None, last_error=error)
            session.execute(update(Job).where(Job.job_id == claim_.job_id, Job.locked_by == claim_.token)
                            .values(**values))
        return False


def run_due(db: Database, settings: Settings = Settings(), *, limit: int = 50,
            pool: ThreadPoolExecutor | None = None, kinds: list[str] | None = None) -> int:
    """Claim and run one batch of due jobs (concurrently on ``pool`` if given); returns how many ran."""
    claims = claim(db, settings, limit=limit, kinds=kinds)
    if pool is None:
        for c in claims:
            run(c)
    else:
        list(pool.map(run, claims))
    return len(claims)


def drain(db: Database, settings: Settings = Settings(), *, max_rounds: int = 100,
          kinds: list[str] | None = None) -> int:
    """Run due jobs until none is due (tests and one-shot tools); returns how many ran."""
    total = 0
    for _ in range(max_rounds):
        ran = run_due(db, settings, kinds=kinds)
        total += ran
        if not ran:
            break
    return total


def run_forever(db: Database, settings: Settings, stop: threading.Event, *, interval: float = 0.5,
                concurrency: int = 4) -> None:
    """The worker loop: run due jobs, sleep ``interval`` when none is due. A full batch loops at once."""
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="flint-job") as pool:
        while not stop.is_set():
            try:
                ran = run_due(db, settings, limit=concurrency * 4, pool=pool)
            except Exception:  # the database went away for a moment: keep the loop alive
                log.exception("claiming jobs failed")
                ran = 0
            if ran < concurrency * 4:
                stop.wait(interval)
