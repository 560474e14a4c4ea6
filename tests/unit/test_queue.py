"""The job queue against the test database (SQLite, or PostgreSQL with FLINT_TEST_DATABASE_URL): dedupe,
due time, fencing (a late finish after its lease lapsed raises LeaseLost and its effects roll back),
failures backing off to DEAD, leases and row locks skipped by claims, graceful stop, and the built-in
jobs being queued when their work becomes due (including migration 0003 for work already pending)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Column, Integer, MetaData, String, Table, delete, func, insert, select

from flint_core.checkout import jobs as checkout_jobs
from flint_core.platform import housekeeping, queue
from flint_core.platform.context import utcnow
from flint_core.platform.settings import Settings
from flint_core.refunds import jobs as refund_jobs
from flint_core.store.db import Database, alembic_config
from flint_core.store.tables import Job
from tests.conftest import WORKED_EXAMPLE, Api

EFFECTS = Table("test_queue_effects", MetaData(), Column("id", Integer, primary_key=True, autoincrement=True),
                Column("tag", String(64)), Column("claim", String(64)))
WORKS, FAILS, BLOCKS = "test_q_works", "test_q_fails", "test_q_blocks"
LEASE = queue.lease(Settings())
KINDS = [WORKS, FAILS, BLOCKS]
gate = threading.Event()
started: list[str] = []


@queue.handler(WORKS)
def _works(claim: queue.Claim) -> None:
    with claim.db.transaction() as session:
        session.execute(insert(EFFECTS).values(tag=claim.payload["tag"], claim=claim.token))
        claim.finish(session)


@queue.handler(FAILS, max_attempts=3, backoff=lambda attempt: 10.0 * attempt)
def _fails(claim: queue.Claim) -> None:
    with claim.db.transaction() as session:
        session.execute(insert(EFFECTS).values(tag=claim.payload["tag"], claim=claim.token))
        raise RuntimeError(f"boom {claim.attempts}")  # its effect rolls back with it


@queue.handler(BLOCKS)
def _blocks(claim: queue.Claim) -> None:
    started.append(claim.payload["tag"])
    assert gate.wait(10)
    _works(claim)


@pytest.fixture
def qdb(db: Database) -> Iterator[Database]:
    EFFECTS.create(db.write_engine, checkfirst=True)
    yield db
    with db.transaction() as session:
        session.execute(delete(Job).where(Job.kind.in_(KINDS)))


def add(db: Database, kind: str = WORKS, *, run_at: datetime | None = None, dedupe_key: str | None = None,
        advance: bool = False, tag: str | None = None) -> str:
    tag = tag or uuid.uuid4().hex
    with db.transaction() as session:
        queue.enqueue(session, kind, {"tag": tag}, run_at=run_at or utcnow(), dedupe_key=dedupe_key, advance=advance)
    return tag


def job_rows(db: Database, **where: Any) -> list[Job]:
    with db.transaction(write=False) as session:
        stmt = select(Job).where(Job.kind.in_(KINDS)).order_by(Job.job_id)
        for column, value in where.items():
            stmt = stmt.where(getattr(Job, column) == value)
        return list(session.scalars(stmt))


def effects(db: Database, tag: str) -> list[str]:
    with db.transaction(write=False) as session:
        return list(session.scalars(select(EFFECTS.c.claim).where(EFFECTS.c.tag == tag)))


def claim(db: Database, now: datetime | None = None, limit: int = 10) -> list[queue.Claim]:
    return queue.claim(db, Settings(), limit=limit, now=now, kinds=KINDS)


def test_dedupe_keeps_one_pending_job_and_advance_only_brings_it_forward(qdb: Database) -> None:
    key, now = f"test:{uuid.uuid4().hex}", utcnow()
    add(qdb, run_at=now + timedelta(hours=1), dedupe_key=key)
    add(qdb, run_at=now, dedupe_key=key)  # plain enqueue: the pending job is left as it is
    [job] = job_rows(qdb, dedupe_key=key)
    assert job.run_at == now + timedelta(hours=1)
    add(qdb, run_at=now + timedelta(hours=2), dedupe_key=key, advance=True)  # later: no change
    add(qdb, run_at=now + timedelta(minutes=1), dedupe_key=key, advance=True)
    [job] = job_rows(qdb, dedupe_key=key)
    assert job.run_at == now + timedelta(minutes=1) and job.payload == {"tag": job.payload["tag"]}
    tag = add(qdb)
    add(qdb, tag=tag)  # no dedupe key: two jobs
    assert len([j for j in job_rows(qdb) if j.payload["tag"] == tag]) == 2
    with qdb.transaction() as session:
        queue.cancel(session, key)
    assert job_rows(qdb, dedupe_key=key) == []


def test_a_job_runs_when_due_and_finishes_with_its_effects(qdb: Database) -> None:
    now = utcnow()
    tag = add(qdb, run_at=now + timedelta(seconds=60))
    assert queue.drain(qdb, kinds=KINDS) == 0 and effects(qdb, tag) == []
    assert queue.drain(qdb, kinds=KINDS, now=now + timedelta(seconds=61)) == 1
    assert len(effects(qdb, tag)) == 1 and job_rows(qdb) == []


def test_a_late_finish_after_the_lease_lapsed_raises_and_rolls_back(qdb: Database) -> None:
    tag, now = add(qdb), utcnow()
    [first] = claim(qdb, now)
    assert claim(qdb, now + LEASE / 2) == []  # leased: nobody else takes it
    [second] = claim(qdb, now + LEASE + timedelta(seconds=1))  # the first worker looks dead
    assert second.job_id == first.job_id and second.attempts == 2 and second.token != first.token
    with pytest.raises(queue.LeaseLost), qdb.transaction() as session:
        session.execute(insert(EFFECTS).values(tag=tag, claim=first.token))
        first.finish(session)
    with pytest.raises(queue.LeaseLost), qdb.transaction() as session:
        first.retry_at(session, now)
    assert effects(qdb, tag) == []  # the late worker's effects never committed
    assert queue.run(second) and effects(qdb, tag) == [second.token] and job_rows(qdb) == []


def test_lease_lost_is_reported_not_retried(qdb: Database) -> None:
    tag, now = add(qdb), utcnow()
    [first] = claim(qdb, now)
    [second] = claim(qdb, now + LEASE + timedelta(seconds=1))
    assert queue.run(first) is False  # LeaseLost: nothing committed, the job untouched
    [job] = job_rows(qdb)
    assert job.locked_by == second.token and job.status == queue.QUEUED and effects(qdb, tag) == []


def test_a_failing_job_backs_off_then_goes_dead(qdb: Database) -> None:
    tag, now = add(qdb, FAILS), utcnow()
    assert queue.run_due(qdb, kinds=KINDS) == 1
    [job] = job_rows(qdb)
    assert (job.status, job.attempts, job.locked_by) == (queue.QUEUED, 1, None)
    assert now + timedelta(seconds=9) < job.run_at < utcnow() + timedelta(seconds=11)  # backoff(1) = 10 s
    assert job.last_error == "RuntimeError: boom 1"
    assert claim(qdb, now + timedelta(seconds=5)) == []  # not due during its backoff
    assert queue.drain(qdb, kinds=KINDS, now=now + timedelta(seconds=15)) == 1  # attempt 2, then 20 s off
    assert queue.drain(qdb, kinds=KINDS, now=now + timedelta(seconds=60)) == 1  # attempt 3 = max_attempts
    [job] = job_rows(qdb)
    assert (job.status, job.attempts, job.last_error) == (queue.DEAD, 3, "RuntimeError: boom 3")
    assert queue.drain(qdb, kinds=KINDS, now=now + timedelta(days=30)) == 0  # DEAD stays for inspection
    assert effects(qdb, tag) == []


def test_retry_at_can_reset_attempts_for_work_that_polls(qdb: Database) -> None:
    add(qdb)
    [c] = claim(qdb)
    with qdb.transaction() as session:
        c.retry_at(session, utcnow() + timedelta(seconds=30), error="still pending")
    [job] = job_rows(qdb)
    assert (job.attempts, job.locked_by, job.last_error) == (1, None, "still pending")
    [c] = claim(qdb, utcnow() + timedelta(seconds=31))
    with qdb.transaction() as session:
        c.retry_at(session, utcnow() + timedelta(seconds=30), reset_attempts=True)
    assert job_rows(qdb)[0].attempts == 0


def test_jobs_of_kinds_without_a_handler_are_not_claimed(qdb: Database) -> None:
    with qdb.transaction() as session:
        queue.enqueue(session, "test_q_nobody", {}, run_at=utcnow())
    try:
        queue.drain(qdb)
        with qdb.transaction(write=False) as session:
            job = session.scalar(select(Job).where(Job.kind == "test_q_nobody"))
        assert job is not None and job.attempts == 0 and job.status == queue.QUEUED
    finally:
        with qdb.transaction() as session:
            session.execute(delete(Job).where(Job.kind == "test_q_nobody"))


def test_claim_skips_rows_locked_by_another_transaction(qdb: Database) -> None:
    if qdb.is_sqlite:
        pytest.skip("SQLite has no row locks: its writers take turns (BEGIN IMMEDIATE), covered by the lease tests")
    first, second = add(qdb), add(qdb)
    with qdb.transaction() as holder:  # another worker's claim transaction, still open
        locked = holder.scalars(select(Job).where(Job.kind == WORKS).order_by(Job.job_id).limit(1)
                                .with_for_update()).one()
        got = claim(qdb)
        assert [c.job_id for c in got] == [j.job_id for j in job_rows(qdb) if j.job_id != locked.job_id]
        assert all(queue.run(c) for c in got)
    assert len(effects(qdb, second)) == 1 and effects(qdb, first) == []
    assert queue.drain(qdb, kinds=KINDS) == 1 and len(effects(qdb, first)) == 1


def test_concurrent_claims_never_share_a_job(qdb: Database) -> None:
    tags = [add(qdb) for _ in range(40)]
    claimed: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(20):
            got = claim(qdb, limit=3)
            with lock:
                claimed.extend(c.job_id for c in got)
            for c in got:
                queue.run(c)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == len(set(claimed)) == 40
    assert all(len(effects(qdb, tag)) == 1 for tag in tags)


def test_run_forever_runs_jobs_and_stops_gracefully(qdb: Database) -> None:
    gate.clear()
    started.clear()
    tags = [add(qdb, BLOCKS) for _ in range(3)]
    stop = threading.Event()
    loop = threading.Thread(target=queue.run_forever, args=(qdb, Settings(), stop),
                            kwargs={"interval": 0.05, "concurrency": 1})
    loop.start()
    deadline = time.monotonic() + 10
    while not started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(started) == 1
    stop.set()  # one job is running, the other two are claimed but not started
    time.sleep(0.2)
    assert loop.is_alive()  # waits for the running job
    gate.set()
    loop.join(10)
    assert not loop.is_alive()
    assert [len(effects(qdb, tag)) for tag in tags] == [1, 0, 0]
    left = job_rows(qdb)
    assert len(left) == 2 and all(j.locked_by is None and j.attempts == 0 for j in left)  # given back unrun
    stop = threading.Event()
    loop = threading.Thread(target=queue.run_forever, args=(qdb, Settings(), stop),
                            kwargs={"interval": 0.05, "concurrency": 2})
    loop.start()
    try:
        deadline = time.monotonic() + 10
        while job_rows(qdb) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        loop.join(10)
    assert [len(effects(qdb, tag)) for tag in tags] == [1, 1, 1]


def _job(db: Database, kind: str, key: str) -> Job | None:
    with db.transaction(write=False) as session:
        return session.scalar(select(Job).where(Job.dedupe_key == f"{kind}:{key}"))


def test_checkout_sessions_get_a_job_at_expiry_brought_forward_when_the_order_leaves_open(api: Api, db: Database) -> None:
    body = {"currency": "USD", "line_items": WORKED_EXAMPLE["line_items"], "success_url": "https://shop.example/ok"}
    cs = api.ok("POST", "/v1/checkout_sessions", body | {"expires_in_seconds": 3600})
    job = _job(db, checkout_jobs.EXPIRE_CHECKOUT_SESSION, cs["checkout_session_id"])
    assert job is not None and job.run_at == datetime.fromisoformat(cs["expires_at"].replace("Z", "+00:00"))
    before = utcnow()
    api.ok("POST", f"/v1/orders/{cs['order_id']}/pay", {"payment_source": "tok_visa"})  # paid elsewhere
    job = _job(db, checkout_jobs.EXPIRE_CHECKOUT_SESSION, cs["checkout_session_id"])
    assert job is not None and before <= job.run_at <= utcnow()
    queue.drain(db, kinds=[checkout_jobs.EXPIRE_CHECKOUT_SESSION])
    assert _job(db, checkout_jobs.EXPIRE_CHECKOUT_SESSION, cs["checkout_session_id"]) is None
    activities = api.ok("GET", f"/v1/orders/{cs['order_id']}/activities")["data"]
    assert activities[0]["type"] == "CHECKOUT_SESSION_CANCELED" and activities[0]["actor"] == "system"


def test_a_refund_settled_at_once_leaves_no_job_and_a_pending_one_keeps_polling(api: Api, db: Database) -> None:
    def paid(source: str) -> str:
        order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
        api.ok("POST", f"/v1/orders/{order['order_id']}/pay", {"payment_source": source})
        return order["order_id"]

    done = api.ok("POST", "/v1/refunds", {"order_id": paid("tok_visa")})
    assert done["status"] == "SUCCEEDED" and _job(db, refund_jobs.SETTLE_REFUND, done["refund_id"]) is None
    pending = api.ok("POST", "/v1/refunds", {"order_id": paid("4000000000005126")})
    job = _job(db, refund_jobs.SETTLE_REFUND, pending["refund_id"])
    assert pending["status"] == "PENDING" and job is not None and job.run_at > utcnow()
    assert queue.poll_delay(timedelta(0)) == queue.FIRST_POLL and queue.poll_delay(timedelta(days=3)) == queue.MAX_POLL
    assert queue.poll_delay(timedelta(minutes=10)) == timedelta(minutes=5)


def test_migration_0003_queues_work_already_pending(api: Api, db: Database, database_url: str) -> None:
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    api.ok("POST", f"/v1/orders/{order['order_id']}/pay", {"payment_source": "4000000000005126"})
    refund = api.ok("POST", "/v1/refunds", {"order_id": order["order_id"], "amount_money": {"amount": 100,
                                                                                            "currency": "USD"}})
    body = {"currency": "USD", "line_items": WORKED_EXAMPLE["line_items"], "success_url": "https://shop.example/ok"}
    cs = api.ok("POST", "/v1/checkout_sessions", body)
    keys = [f"{refund_jobs.SETTLE_REFUND}:{refund['refund_id']}",
            f"{checkout_jobs.EXPIRE_CHECKOUT_SESSION}:{cs['checkout_session_id']}"]
    with db.transaction() as session:  # as if they predated the queue
        session.execute(delete(Job).where(Job.dedupe_key.in_(keys)))
    config = alembic_config(database_url)
    command.downgrade(config, "0002")
    before = utcnow()
    command.upgrade(config, "head")
    settle, expire = _job(db, refund_jobs.SETTLE_REFUND, refund["refund_id"]), _job(
        db, checkout_jobs.EXPIRE_CHECKOUT_SESSION, cs["checkout_session_id"])
    assert settle is not None and before - timedelta(seconds=1) <= settle.run_at <= utcnow()
    assert settle.payload == {"refund_id": refund["refund_id"]} and settle.status == queue.QUEUED
    assert expire is not None and expire.run_at == datetime.fromisoformat(cs["expires_at"].replace("Z", "+00:00"))
    with db.transaction(write=False) as session:
        count = session.scalar(select(func.count()).select_from(Job).where(Job.dedupe_key.in_(keys)))
    command.downgrade(config, "0002")
    command.upgrade(config, "head")  # again: nothing queued twice
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Job).where(Job.dedupe_key.in_(keys))) == count == 2


def test_housekeeping_deletes_what_can_no_longer_matter_and_reschedules_itself(api: Api, db: Database) -> None:
    from flint_core.store.tables import IdempotencyRecord, Preview, RateLimitBucket

    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE, idempotency_key=f"hk-{uuid.uuid4()}")
    preview = api.ok("POST", f"/v1/orders/{order['order_id']}/cancel/preview", {})["preview_id"]
    with db.transaction() as session:
        session.query(Job).filter(Job.kind == housekeeping.HOUSEKEEPING).delete()
        session.add(RateLimitBucket(key=f"key:hk-{uuid.uuid4()}", tat_us=0))
    housekeeping.schedule_housekeeping(db)
    housekeeping.schedule_housekeeping(db)  # queued once, however often workers start

    def counts() -> tuple[int, int, int]:
        with db.transaction(write=False) as session:
            return (session.scalar(select(func.count()).select_from(IdempotencyRecord)) or 0,
                    session.scalar(select(func.count()).where(Preview.preview_id == preview)) or 0,
                    session.scalar(select(func.count()).select_from(RateLimitBucket)
                                   .where(RateLimitBucket.tat_us == 0)) or 0)

    keys, previews, idle = counts()
    assert keys >= 1 and previews == 1 and idle >= 1
    assert queue.drain(db, kinds=[housekeeping.HOUSEKEEPING]) == 1  # today: only the idle bucket can go
    assert counts() == (keys, 1, 0)
    two_days_later = utcnow() + timedelta(days=2)
    assert queue.drain(db, kinds=[housekeeping.HOUSEKEEPING], now=two_days_later) == 1
    assert counts()[:2] == (0, 0)
    with db.transaction(write=False) as session:
        job = session.scalars(select(Job).where(Job.kind == housekeeping.HOUSEKEEPING)).one()
    assert job.run_at >= two_days_later + timedelta(minutes=59) and job.attempts == 0
