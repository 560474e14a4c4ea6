"""The job queue: one mechanism for all due work (webhook deliveries and their retries, refund settlement,
checkout session expiry, and later renewals and dunning). Guide: docs/jobs.md.

A job is a row in ``jobs`` that exists while its work is pending. A worker *claims* due rows with
``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite serialises writers with ``BEGIN IMMEDIATE``),
stamping each with a lease (``locked_by`` = a token unique to this claim, ``locked_until``) and commits at
once, so the work itself runs outside any lock. The handler then ends the job in the transaction that
writes the work's effects: ``finish`` deletes the row, ``retry_at`` reschedules it. Both are fenced on the
claim's token: if the lease lapsed and another worker took the job over, the late worker's transaction is
rolled back (``LeaseLost``), so the effects of a job commit once. A worker that dies leaves a lease that
lapses; the job is claimed again and never lost.

These bookkeeping transactions are run again when the database fails them transiently (a deadlock, a lost
connection: ``Database.run``); a handler that fails that way is retried like any failing job, after its
backoff, since a handler may have called the outside world before it failed.

Handlers register with ``@handler(kind)``; ``run_due`` claims and runs a batch; ``run_forever`` loops
(inside `flint serve`, or alone as `flint worker`).
"""

from __future__ import annotations

import importlib
import logging
import random
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from flint_core.platform.context import utcnow
from flint_core.platform.settings import Settings
from flint_core.store.db import Database
from flint_core.store.tables import Job

log = logging.getLogger("flint.jobs")

QUEUED, DEAD = "QUEUED", "DEAD"
# Modules whose import registers handlers (explicit, so a worker process knows every kind). More can be
# named in ``Settings.job_modules`` (FLINT_JOB_MODULES, comma-separated): the extension point for your own
# job kinds.
HANDLER_MODULES = ("flint_core.platform.housekeeping", "flint_core.refunds.jobs", "flint_core.checkout.jobs",
                   "flint_core.webhooks.delivery")


FIRST_POLL = timedelta(seconds=5)  # the first re-check of polled work (a refund the processor left pending)
MAX_POLL = timedelta(hours=1)


def poll_delay(age: timedelta) -> timedelta:
    """How long to wait before asking again about work that is ``age`` old and still not done: half its
    age, between 5 seconds and an hour (quick for a blip, cheap for a refund pending for days)."""
    return min(MAX_POLL, max(FIRST_POLL, age / 2))


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
    now: datetime  # the worker's clock when it claimed the job (tests move it forward)

    def finish(self, session: Session) -> None:
        """End the job in ``session`` (the transaction holding the work's effects)."""
        self._fenced(session, delete(Job))

    def retry_at(self, session: Session, when: datetime, error: str | None = None, *,
                 reset_attempts: bool = False) -> None:
        """Run the job again at ``when`` (the lease is released). Attempts keep counting toward the
        handler's ``max_attempts``, unless ``reset_attempts``: a job that polls (a refund still pending at
        the processor) made progress, and only failures in a row should make it DEAD."""
        values: dict[str, Any] = dict(run_at=when, locked_by=None, locked_until=None, last_error=error)
        if reset_attempts:
            values["attempts"] = 0
        self._fenced(session, update(Job).values(**values))

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
_loaded = threading.Lock()
_modules_loaded: set[str] = set()


def handler(kind: str, *, max_attempts: int = 20,
            backoff: Callable[[int], float] = default_backoff) -> Callable[[Callable[[Claim], None]], Callable[[Claim], None]]:
    """Register the function that does jobs of ``kind``. It must end each job with ``claim.finish`` or
    ``claim.retry_at`` inside the transaction that writes the job's effects. If it raises, the job is
    retried after ``backoff(attempt)`` seconds, and marked DEAD after ``max_attempts``."""

    def register(run: Callable[[Claim], None]) -> Callable[[Claim], None]:
        known = _HANDLERS.get(kind)
        if known is not None and (known.run.__module__, known.run.__qualname__) != (run.__module__, run.__qualname__):
            raise ValueError(f"duplicate job kind {kind!r}")
        _HANDLERS[kind] = Handler(kind, run, max_attempts, backoff)
        return run

    return register


def lease(settings: Settings) -> timedelta:
    """How long a claim holds a job (``Settings.job_lease_seconds``). A handler must finish well within it
    (webhook calls time out sooner)."""
    return timedelta(seconds=settings.job_lease_seconds)


def handler_modules(settings: Settings) -> list[str]:
    return [*HANDLER_MODULES, *settings.job_modules]


def handlers(settings: Settings) -> dict[str, Handler]:
    """Every registered kind, after importing the handler modules (a bad ``job_modules`` entry fails
    loudly here, at worker start, rather than leaving its jobs queued forever)."""
    modules = handler_modules(settings)
    if not _modules_loaded.issuperset(modules):
        with _loaded:
            for module in modules:
                importlib.import_module(module)
                _modules_loaded.add(module)
    return _HANDLERS


def enqueue(session: Session, kind: str, payload: dict[str, Any], *, run_at: datetime,
            dedupe_key: str | None = None, advance: bool = False) -> None:
    """Queue a job in the caller's transaction: it exists only if that transaction commits. A job with
    the ``dedupe_key`` of one still pending is not queued again; with ``advance`` that pending job's
    ``run_at`` moves to ``run_at`` if that is sooner (work that became due early, e.g. a checkout
    session whose order was just paid)."""
    values = dict(kind=kind, payload=payload, run_at=run_at, status=QUEUED, attempts=0, dedupe_key=dedupe_key,
                  created_at=utcnow())
    postgres = session.bind.dialect.name == "postgresql"  # type: ignore[union-attr]
    stmt = (postgresql.insert if postgres else sqlite.insert)(Job).values(**values)
    if advance and dedupe_key is not None:
        sooner = (func.least if postgres else func.min)(Job.run_at, stmt.excluded.run_at)
        session.execute(stmt.on_conflict_do_update(index_elements=[Job.dedupe_key], set_={"run_at": sooner},
                                                   where=Job.status == QUEUED))
    else:
        session.execute(stmt.on_conflict_do_nothing())


def cancel(session: Session, dedupe_key: str) -> None:
    """Drop the pending job with ``dedupe_key`` in the caller's transaction: its work was done another
    way. A job a worker is running right now is left to end itself (its handler sees the work done)."""
    session.execute(delete(Job).where(Job.dedupe_key == dedupe_key, Job.status == QUEUED,
                                      or_(Job.locked_until.is_(None), Job.locked_until < utcnow())))


def claim(db: Database, settings: Settings, *, limit: int, now: datetime | None = None,
          kinds: list[str] | None = None) -> list[Claim]:
    """Lease up to ``limit`` due jobs for this worker (committed before any of them runs)."""
    now = now or utcnow()
    token = secrets.token_hex(12)
    until = now + lease(settings)

    def take(session: Session) -> list[Claim]:
        stmt = (select(Job).where(Job.status == QUEUED, Job.run_at <= now,
                                  or_(Job.locked_until.is_(None), Job.locked_until < now))
                .order_by(Job.run_at, Job.job_id).limit(limit).with_for_update(skip_locked=True))
        if kinds is not None:
            stmt = stmt.where(Job.kind.in_(kinds))
        jobs = session.scalars(stmt).all()
        claims = []
        for n, job in enumerate(jobs):
            job.locked_by, job.locked_until, job.attempts = f"{token}.{n}", until, job.attempts + 1
            claims.append(Claim(job.job_id, job.kind, dict(job.payload), job.attempts, job.locked_by, db, settings,
                                now))
        return claims

    # rerun-safe: a lease whose commit happened unseen is never run by this worker and lapses
    return db.run(take)


def run(claim_: Claim) -> bool:
    """Run one claimed job; returns False when it raised (it is then rescheduled or marked DEAD)."""
    spec = handlers(claim_.settings).get(claim_.kind)
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
        if spec is None or claim_.attempts >= spec.max_attempts:
            values: dict[str, Any] = dict(status=DEAD, locked_by=None, locked_until=None, last_error=error)
        else:
            values = dict(run_at=max(claim_.now, utcnow()) + timedelta(seconds=spec.backoff(claim_.attempts)),
                          locked_by=None, locked_until=None, last_error=error)
        claim_.db.run(lambda session: session.execute(
            update(Job).where(Job.job_id == claim_.job_id, Job.locked_by == claim_.token).values(**values)))
        return False


def release(claim_: Claim) -> None:
    """Give a claimed job back unrun (the worker is stopping): due again at once, attempt not counted."""
    claim_.db.run(lambda session: session.execute(
        update(Job).where(Job.job_id == claim_.job_id, Job.locked_by == claim_.token)
        .values(locked_by=None, locked_until=None, attempts=Job.attempts - 1)))


def run_due(db: Database, settings: Settings = Settings(), *, limit: int = 50,
            pool: ThreadPoolExecutor | None = None, kinds: list[str] | None = None,
            now: datetime | None = None) -> int:
    """Claim and run one batch of due jobs (concurrently on ``pool`` if given); returns how many ran.
    Only kinds this process has a handler for are claimed (all of them unless ``kinds``)."""
    claims = claim(db, settings, limit=limit, kinds=sorted(handlers(settings)) if kinds is None else kinds,
                   now=now)
    if pool is None:
        for c in claims:
            run(c)
    else:
        list(pool.map(run, claims))
    return len(claims)


def drain(db: Database, settings: Settings = Settings(), *, max_rounds: int = 100,
          kinds: list[str] | None = None, now: datetime | None = None) -> int:
    """Run due jobs until none is due (tests and one-shot tools); returns how many ran. ``now`` pretends
    the clock says so (tests: "a minute later")."""
    total = 0
    for _ in range(max_rounds):
        ran = run_due(db, settings, kinds=kinds, now=now)
        total += ran
        if not ran:
            break
    return total


def run_forever(db: Database, settings: Settings, stop: threading.Event, *, interval: float = 0.5,
                concurrency: int = 4) -> None:
    """The worker loop: keep ``concurrency`` jobs running. Claims come in batches (up to twice
    ``concurrency`` in hand, so a thread never waits on a claim); when fewer jobs were due than asked for,
    the next claim waits ``interval``. Once ``stop`` is set, running jobs finish, claimed ones not yet
    started are released, and it returns."""
    kinds = sorted(handlers(settings))
    held = lease(settings)
    in_hand = 2 * concurrency
    pending: set[Future[None]] = set()
    next_claim = 0.0

    def start(c: Claim) -> None:
        try:
            # a claim that waited in hand for half its lease is given back: started later, it could
            # outlive the lease and be taken over while running
            if stop.is_set() or utcnow() > c.now + held / 2:
                release(c)
            else:
                run(c)
        except Exception:  # run() handles job errors; this is the database failing under it
            log.exception("job %s (%s): could not record its outcome; its lease will lapse", c.job_id, c.kind)

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="flint-job") as pool:
        while not stop.is_set():
            now = time.monotonic()
            if len(pending) <= concurrency and now >= next_claim:
                limit = in_hand - len(pending)
                try:
                    claims = claim(db, settings, limit=limit, kinds=kinds)
                except Exception:  # the database went away for a moment: keep the loop alive
                    log.exception("claiming jobs failed")
                    claims = []
                pending.update(pool.submit(start, c) for c in claims)
                next_claim = now if len(claims) == limit else now + interval
            timeout = max(0.0, next_claim - time.monotonic()) if len(pending) <= concurrency else interval
            if pending:
                _, pending = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
            else:
                stop.wait(timeout)
