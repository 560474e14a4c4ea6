"""The job queue: one mechanism for all due work (webhook deliveries and their retries, refund settlement,
checkout session expiry, emails to buyers, and later renewals and dunning). Guide: docs/jobs.md.

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

A kind registered with ``batch=n`` (webhook deliveries) is run up to n jobs at a time: its handler gets a
``Batch`` of claims, does their reads and writes in one transaction each rather than one per job, and its
slow calls side by side (``Batch.parallel``). Its record transaction starts with ``Batch.held``, which locks
the batch's job rows and keeps only the claims still leased to this worker: the fence, for the whole batch
at once.
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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from flint_core.platform.context import utcnow
from flint_core.platform.settings import Settings
from flint_core.store.db import Database
from flint_core.store.tables import Job

log = logging.getLogger("flint.jobs")
T = TypeVar("T")
R = TypeVar("R")
_JOBS = Job.__table__  # plain table statements for the batch fences (one executemany for many rows)

QUEUED, DEAD = "QUEUED", "DEAD"
# Modules whose import registers handlers (explicit, so a worker process knows every kind). More can be
# named in ``Settings.job_modules`` (FLINT_JOB_MODULES, comma-separated): the extension point for your own
# job kinds.
HANDLER_MODULES = ("flint_core.platform.housekeeping", "flint_core.refunds.jobs", "flint_core.checkout.jobs",
                   "flint_core.catalog.jobs", "flint_core.payment_methods.jobs", "flint_core.webhooks.delivery",
                   "flint_core.notifications.jobs")


FIRST_POLL = timedelta(seconds=5)  # the first re-check of polled work (a refund the processor left pending)
MAX_POLL = timedelta(hours=1)
LOOK_AGAIN = timedelta(minutes=1)  # work waiting on something else (a payment still PROCESSING, a processor down)


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
    claimed_at: float = field(default_factory=time.monotonic, compare=False)  # the real clock, monotonic

    @property
    def fresh(self) -> bool:
        """True while under half the lease has passed since the claim: long enough left to start work
        that may take a webhook's whole timeout and still record its outcome within the lease."""
        return time.monotonic() < self.claimed_at + self.settings.job_lease_seconds / 2

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

    def release(self, session: Session) -> None:
        """Give the job back unrun: due again at once, this attempt not counted."""
        self._fenced(session, update(Job).values(locked_by=None, locked_until=None, attempts=Job.attempts - 1))

    def _fenced(self, session: Session, statement: Any) -> None:
        result = session.execute(statement.where(Job.job_id == self.job_id, Job.locked_by == self.token))
        if result.rowcount != 1:
            raise LeaseLost(f"job {self.job_id} ({self.kind}) was taken over")


def in_turn(work: Callable[[T], R], items: list[T]) -> list[R]:
    """``Batch.parallel`` when nothing runs side by side (``run_due``, tests): one item after the other."""
    return [work(item) for item in items]


@dataclass(slots=True)
class Batch:
    """Claimed jobs of one kind registered with ``batch=n``, run together by its handler.

    The handler reads for all of them at once, does their outside calls with ``parallel`` (side by side,
    up to the worker's concurrency; never inside a transaction) and writes every outcome in one
    transaction that starts with ``held``. Claims whose lease was lost meanwhile are left out of that
    transaction's writes, so a batch's effects commit once per job, as a single job's do."""

    claims: list[Claim]
    parallel: Callable[[Callable[[Any], Any], list[Any]], list[Any]] = in_turn
    lost: list[Claim] = field(default_factory=list)  # noted by held(): taken over by another worker
    failed: list[Claim] = field(default_factory=list)  # noted by fail(): their own work raised

    @property
    def db(self) -> Database:
        return self.claims[0].db

    @property
    def settings(self) -> Settings:
        return self.claims[0].settings

    def held(self, session: Session) -> list[Claim]:
        """Lock the batch's job rows (``FOR UPDATE``, in job_id order so batches never deadlock each
        other; SQLite's write transaction already excludes every other writer) and return the claims
        still leased to this worker. The others are noted in ``lost``: their effects must not be
        written. Call it first in the transaction that records the batch: until it commits, nobody
        can take the held jobs over."""
        by_id = {c.job_id: c for c in self.claims}
        rows = session.execute(select(Job.job_id, Job.locked_by).where(Job.job_id.in_(by_id))
                               .order_by(Job.job_id).with_for_update()).all()
        mine = {job_id for job_id, locked_by in rows if locked_by == by_id[job_id].token}
        self.lost, self.failed = [c for c in self.claims if c.job_id not in mine], []
        return [c for c in self.claims if c.job_id in mine]

    def finish(self, session: Session, claims: list[Claim]) -> None:
        """End these jobs (held ones) in ``session``: ``Claim.finish`` for many, in one statement."""
        if claims:
            result = session.execute(delete(Job).where(Job.job_id.in_([c.job_id for c in claims]),
                                                       Job.locked_by.in_([c.token for c in claims])))
            _check_fence(result.rowcount, claims)

    def retry_at(self, session: Session, retries: list[tuple[Claim, datetime, str | None]]) -> None:
        """``Claim.retry_at`` for many (claim, when, error), in one executemany."""
        if retries:
            stmt = (update(_JOBS).where(_JOBS.c.job_id == bindparam("b_job_id"),
                                        _JOBS.c.locked_by == bindparam("b_token"))
                    .values(run_at=bindparam("b_run_at", type_=_JOBS.c.run_at.type), locked_by=None,
                            locked_until=None, last_error=bindparam("b_error", type_=_JOBS.c.last_error.type)))
            result = session.execute(stmt, [{"b_job_id": c.job_id, "b_token": c.token, "b_run_at": when,
                                             "b_error": error} for c, when, error in retries])
            _check_fence(result.rowcount, [c for c, _, _ in retries])

    def fail(self, session: Session, failures: list[tuple[Claim, BaseException]]) -> None:
        """Jobs of the batch whose own work raised while the rest went on: each is retried after the
        kind's backoff, or DEAD after ``max_attempts``, exactly as a job whose handler raised."""
        spec = handlers(self.settings).get(self.claims[0].kind)
        for c, exc in failures:
            session.execute(update(Job).where(Job.job_id == c.job_id, Job.locked_by == c.token)
                            .values(**_failure(c, spec, exc)))
            self.failed.append(c)

    def release(self, session: Session, claims: list[Claim]) -> None:
        """``Claim.release`` for many: given back unrun, their attempts not counted."""
        if claims:
            stmt = (update(_JOBS).where(_JOBS.c.job_id == bindparam("b_job_id"),
                                        _JOBS.c.locked_by == bindparam("b_token"))
                    .values(locked_by=None, locked_until=None, attempts=_JOBS.c.attempts - 1))
            result = session.execute(stmt, [{"b_job_id": c.job_id, "b_token": c.token} for c in claims])
            _check_fence(result.rowcount, claims)


def _check_fence(rowcount: int, claims: list[Claim]) -> None:
    if rowcount != len(claims):  # only if a caller skipped held(): roll the whole batch back
        raise LeaseLost(f"{len(claims) - rowcount} of jobs {[c.job_id for c in claims]} were taken over")


@dataclass(frozen=True, slots=True)
class Handler:
    kind: str
    run: Callable[[Any], None]  # takes a Claim, or a Batch when ``batch``
    max_attempts: int
    backoff: Callable[[int], float]  # seconds before attempt n+1 after attempt n raised
    batch: int = 0  # > 0: up to this many jobs run together, the handler taking a Batch


def default_backoff(attempt: int) -> float:
    """Exponential with full jitter, capped at an hour: 2 s, 4 s, 8 s ... for jobs that raised."""
    return random.uniform(0.5, 1.0) * min(3600.0, 2.0 ** attempt)


_HANDLERS: dict[str, Handler] = {}
_loaded = threading.Lock()
_modules_loaded: set[str] = set()


def handler(kind: str, *, max_attempts: int = 20, backoff: Callable[[int], float] = default_backoff,
            batch: int = 0) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    """Register the function that does jobs of ``kind``. It must end each job with ``claim.finish`` or
    ``claim.retry_at`` inside the transaction that writes the job's effects. If it raises, the job is
    retried after ``backoff(attempt)`` seconds, and marked DEAD after ``max_attempts``.

    With ``batch=n`` the function takes a ``Batch`` of up to n claims instead, and ends each held job
    with ``Batch.finish``, ``retry_at`` or ``release`` in the transaction that records them; if it
    raises, every job of the batch is retried (or DEAD) as above."""

    def register(run: Callable[[Any], None]) -> Callable[[Any], None]:
        known = _HANDLERS.get(kind)
        if known is not None and (known.run.__module__, known.run.__qualname__) != (run.__module__, run.__qualname__):
            raise ValueError(f"duplicate job kind {kind!r}")
        _HANDLERS[kind] = Handler(kind, run, max_attempts, backoff, batch)
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


def _due(session: Session, now: datetime, limit: int, kinds: list[str] | None) -> list[Job]:
    stmt = (select(Job).where(Job.status == QUEUED, Job.run_at <= now,
                              or_(Job.locked_until.is_(None), Job.locked_until < now))
            .order_by(Job.run_at, Job.job_id).limit(limit).with_for_update(skip_locked=True))
    if kinds is not None:
        stmt = stmt.where(Job.kind.in_(kinds))
    return list(session.scalars(stmt).all())


def _stamp(jobs: list[Job], db: Database, settings: Settings, now: datetime) -> list[Claim]:
    """Lease ``jobs`` (rows locked by this transaction) to a new claim token, one per job."""
    token = secrets.token_hex(12)
    until = now + lease(settings)
    claimed_at = time.monotonic()
    claims = []
    for n, job in enumerate(jobs):
        job.locked_by, job.locked_until, job.attempts = f"{token}.{n}", until, job.attempts + 1
        claims.append(Claim(job.job_id, job.kind, dict(job.payload), job.attempts, job.locked_by, db, settings, now,
                            claimed_at))
    return claims


def _batch_sizes(settings: Settings) -> dict[str, int]:
    return {kind: spec.batch for kind, spec in handlers(settings).items() if spec.batch > 0}


def _group(items: list[T], kind_of: Callable[[T], str], sizes: dict[str, int],
           units: int | None = None) -> list[list[T]]:
    """Items in their order as units of work: each alone, or up to ``sizes[kind]`` of a batch kind
    together; at most ``units`` of them (the items that fit in none are left out)."""
    groups: list[list[T]] = []
    open_: dict[str, list[T]] = {}
    for item in items:
        kind = kind_of(item)
        group = open_.get(kind)
        if group is not None and len(group) < sizes[kind]:
            group.append(item)
            continue
        if units is not None and len(groups) >= units:
            continue
        groups.append([item])
        if kind in sizes:
            open_[kind] = groups[-1]
    return groups


def claim(db: Database, settings: Settings, *, limit: int, now: datetime | None = None,
          kinds: list[str] | None = None) -> list[Claim]:
    """Lease up to ``limit`` due jobs for this worker (committed before any of them runs)."""
    at = now or utcnow()
    # rerun-safe: a lease whose commit happened unseen is never run by this worker and lapses
    return db.run(lambda session: _stamp(_due(session, at, limit, kinds), db, settings, at))


def claim_units(db: Database, settings: Settings, *, units: int, now: datetime | None = None,
                kinds: list[str] | None = None) -> list[list[Claim]]:
    """Lease up to ``units`` units of due work, in due order, in one transaction: a unit is one job, or
    up to ``batch`` jobs of a kind registered with ``batch`` (``run_forever``'s claims)."""
    at = now or utcnow()
    sizes = _batch_sizes(settings)
    widest = max(sizes.values(), default=1)

    def take(session: Session) -> list[list[Claim]]:
        # rows looked at but left out of every unit stay unleased (their row locks end at commit)
        groups = _group(_due(session, at, units * widest, kinds), lambda job: job.kind, sizes, units)
        claims = iter(_stamp([job for group in groups for job in group], db, settings, at))
        return [[next(claims) for _ in group] for group in groups]

    return db.run(take)


def run(claim_: Claim) -> bool:
    """Run one claimed job; returns False when it raised (it is then rescheduled or marked DEAD) or its
    lease was lost. A job of a batch kind runs as a batch of one."""
    spec = handlers(claim_.settings).get(claim_.kind)
    if spec is not None and spec.batch:
        return run_batch([claim_])[0]
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
        _failed([claim_], spec, exc)
        return False


def run_batch(claims: list[Claim], parallel: Callable[[Callable[[Any], Any], list[Any]], list[Any]] = in_turn,
              ) -> list[bool]:
    """Run claimed jobs of one batch kind together (one ``Batch``, its outside calls side by side through
    ``parallel``); returns, per claim, whether it ran: False when its lease was lost (nothing of it was
    written) or the handler raised (every job of the batch is then rescheduled, or DEAD)."""
    spec = handlers(claims[0].settings).get(claims[0].kind)
    if spec is None or not spec.batch:
        return [run(c) for c in claims]
    batch = Batch(list(claims), parallel)
    ids = [c.job_id for c in claims]
    try:
        spec.run(batch)
    except LeaseLost:
        log.warning("jobs %s (%s): lease lost to another worker; the batch's effects were rolled back", ids,
                    spec.kind)
        return [False] * len(claims)
    except Exception as exc:
        log.exception("jobs %s (%s) failed as a batch", ids, spec.kind)
        _failed(claims, spec, exc)
        return [False] * len(claims)
    lost = {c.job_id for c in batch.lost}
    for c in batch.lost:
        log.warning("job %s (%s): lease lost to another worker; its effects were not written", c.job_id, c.kind)
    failed = {c.job_id for c in batch.failed}
    return [c.job_id not in lost and c.job_id not in failed for c in claims]


def _failure(c: Claim, spec: Handler | None, exc: BaseException) -> dict[str, Any]:
    """What a job whose work raised becomes: due again after its backoff, or DEAD after ``max_attempts``."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if spec is None or c.attempts >= spec.max_attempts:
        return dict(status=DEAD, locked_by=None, locked_until=None, last_error=error)
    return dict(run_at=max(c.now, utcnow()) + timedelta(seconds=spec.backoff(c.attempts)), locked_by=None,
                locked_until=None, last_error=error)


def _failed(claims: list[Claim], spec: Handler | None, exc: Exception) -> None:
    """Jobs whose handler raised: retried after its backoff, or DEAD after ``max_attempts`` (fenced)."""

    def write(session: Session) -> None:
        for c in claims:
            session.execute(update(Job).where(Job.job_id == c.job_id, Job.locked_by == c.token)
                            .values(**_failure(c, spec, exc)))

    claims[0].db.run(write)


def release(*claims: Claim) -> None:
    """Give claimed jobs back unrun (the worker is stopping): due again at once, attempts not counted."""
    if not claims:
        return

    def give_back(session: Session) -> None:
        for c in claims:
            session.execute(update(Job).where(Job.job_id == c.job_id, Job.locked_by == c.token)
                            .values(locked_by=None, locked_until=None, attempts=Job.attempts - 1))

    claims[0].db.run(give_back)


def _run_unit(unit: list[Claim], parallel: Callable[[Callable[[Any], Any], list[Any]], list[Any]] = in_turn,
              ) -> None:
    spec = handlers(unit[0].settings).get(unit[0].kind)
    if spec is not None and spec.batch:
        run_batch(unit, parallel)
    else:
        for c in unit:
            run(c)


def run_due(db: Database, settings: Settings = Settings(), *, limit: int = 50,
            pool: ThreadPoolExecutor | None = None, kinds: list[str] | None = None,
            now: datetime | None = None) -> int:
    """Claim and run one batch of due jobs (concurrently on ``pool`` if given); returns how many ran.
    Only kinds this process has a handler for are claimed (all of them unless ``kinds``). Jobs of a
    batch kind run in batches of up to its size, their outside calls one after the other."""
    claims = claim(db, settings, limit=limit, kinds=sorted(handlers(settings)) if kinds is None else kinds,
                   now=now)
    units = _group(claims, lambda c: c.kind, _batch_sizes(settings))
    if pool is None:
        for unit in units:
            _run_unit(unit)
    else:
        list(pool.map(_run_unit, units))
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
    """The worker loop: keep ``concurrency`` units of work running, a unit being one job or a batch of
    a batch kind (up to its size of jobs). Claims come in groups (up to twice ``concurrency`` units in
    hand, so a thread never waits on a claim); when fewer were due than asked for, the next claim waits
    ``interval``. A batch's outside calls run side by side on ``concurrency`` more threads shared by
    every batch (so at most ``concurrency`` webhook POSTs at once). Once ``stop`` is set, running work
    finishes, claimed units not yet started are released, and it returns."""
    kinds = sorted(handlers(settings))
    held = lease(settings)
    in_hand = 2 * concurrency
    pending: set[Future[None]] = set()
    next_claim = 0.0
    io = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="flint-io") if concurrency > 1 else None

    def parallel(work: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        if io is None or len(items) < 2:
            return in_turn(work, items)
        return list(io.map(work, items))

    def start(unit: list[Claim]) -> None:
        try:
            # a claim that waited in hand for half its lease is given back: started later, it could
            # outlive the lease and be taken over while running
            if stop.is_set() or utcnow() > unit[0].now + held / 2:
                release(*unit)
            else:
                _run_unit(unit, parallel)
        except Exception:  # run() handles job errors; this is the database failing under it
            log.exception("jobs %s (%s): could not record their outcome; their leases will lapse",
                          [c.job_id for c in unit], unit[0].kind)

    try:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="flint-job") as pool:
            while not stop.is_set():
                now = time.monotonic()
                if len(pending) <= concurrency and now >= next_claim:
                    free = in_hand - len(pending)
                    try:
                        units = claim_units(db, settings, units=free, kinds=kinds)
                    except Exception:  # the database went away for a moment: keep the loop alive
                        log.exception("claiming jobs failed")
                        units = []
                    pending.update(pool.submit(start, u) for u in units)
                    next_claim = now if len(units) == free else now + interval
                timeout = max(0.0, next_claim - time.monotonic()) if len(pending) <= concurrency else interval
                if pending:
                    _, pending = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
                else:
                    stop.wait(timeout)
    finally:
        if io is not None:
            io.shutdown(wait=True)
