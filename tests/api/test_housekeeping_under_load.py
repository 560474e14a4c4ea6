"""Housekeeping against live traffic (PostgreSQL only: SQLite's writers take turns, so they cannot
deadlock). The job deletes rate-limit buckets while requests spend from the same buckets; neither side
may fail: no request answers 5xx, and every housekeeping run ends normally. It never waits for a row a
request holds (it skips it), so it can never be one side of a deadlock."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update

from flint_core.platform import housekeeping, queue
from flint_core.platform.context import utcnow
from flint_core.platform.runtime import invoke
from flint_core.platform.settings import Settings
from flint_core.store.db import Database
from flint_core.store.tables import Job, RateLimitBucket
from tests.conftest import TEST_RATE_LIMITS, WORKED_EXAMPLE, signup

SECONDS = 6.0
THREADS = 6


def _idle_buckets(db: Database, count: int) -> None:
    """Buckets no request uses any more (full again): what housekeeping is for."""
    with db.transaction() as session:
        session.execute(insert(RateLimitBucket), [{"key": f"key:idle-{uuid.uuid4()}", "tat_us": 0}
                                                  for _ in range(count)])


def _run_housekeeping(db: Database, settings: Settings) -> bool:
    """One housekeeping run, due now (not in an hour); False if it failed."""
    with db.transaction() as session:
        session.execute(update(Job).where(Job.kind == housekeeping.HOUSEKEEPING).values(run_at=utcnow()))
    claims = queue.claim(db, settings, limit=1, kinds=[housekeeping.HOUSEKEEPING])
    assert len(claims) == 1
    return queue.run(claims[0])


@pytest.fixture
def housekeeping_job(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite has no row locks: its writers take turns (BEGIN IMMEDIATE) and cannot deadlock")
    with db.transaction() as session:
        session.query(Job).filter(Job.kind == housekeeping.HOUSEKEEPING).delete()
    housekeeping.schedule_housekeeping(db)


def test_housekeeping_skips_a_bucket_a_request_holds_instead_of_waiting_for_it(db: Database,
                                                                               housekeeping_job: None) -> None:
    busy, idle = f"key:busy-{uuid.uuid4()}", f"key:idle-{uuid.uuid4()}"
    with db.transaction() as session:
        session.execute(insert(RateLimitBucket), [{"key": busy, "tat_us": 0}, {"key": idle, "tat_us": 0}])
    finished = threading.Event()
    outcome: list[bool] = []

    def run() -> None:
        outcome.append(_run_housekeeping(db, Settings()))
        finished.set()

    with db.transaction() as request:  # a request in the middle of spending from `busy` (row locked)
        request.execute(update(RateLimitBucket).where(RateLimitBucket.key == busy).values(tat_us=0))
        thread = threading.Thread(target=run)
        thread.start()
        waited = not finished.wait(5)
    thread.join()
    assert not waited, "housekeeping waited for a row lock a request held"
    assert outcome == [True]
    with db.transaction(write=False) as session:
        left = set(session.scalars(select(RateLimitBucket.key).where(RateLimitBucket.key.in_([busy, idle]))))
    assert left == {busy}  # deleted by a later run
    assert _run_housekeeping(db, Settings())
    with db.transaction(write=False) as session:
        assert session.get(RateLimitBucket, busy) is None


def test_housekeeping_in_a_loop_never_fails_a_request_or_itself(db: Database, client: TestClient,
                                                                 housekeeping_job: None) -> None:
    settings = Settings(rate_limits=TEST_RATE_LIMITS)
    # several keys per merchant: each request spends its key's bucket and its merchant's, in that order
    merchants = [signup(client, f"Load shop {n}") for n in range(3)]
    keys = [m["api_key"]["secret"] for m in merchants]
    for m in merchants:
        for _ in range(3):
            keys.append(client.post("/v1/api_keys", json={"scopes": ["orders:read", "orders:write"]},
                                    headers={"Authorization": f"Bearer {m['api_key']['secret']}"}).json()["secret"])
    _idle_buckets(db, 2000)

    stop = threading.Event()
    failures: list[Any] = []
    served = [0]

    def traffic(n: int) -> None:
        while not stop.is_set():
            key = keys[(n + served[0]) % len(keys)]
            for name, arguments, idempotency_key in (
                    ("whoami", {}, None),
                    ("create_order", dict(WORKED_EXAMPLE), f"load-{uuid.uuid4()}")):
                try:
                    outcome = invoke(db, name, arguments, api_key=key, face="http", settings=settings,
                                     idempotency_key=idempotency_key)
                except Exception as exc:  # noqa: BLE001 - any escape is a failure to report
                    failures.append((name, repr(exc)))
                    continue
                served[0] += 1
                if outcome.status != 200:
                    failures.append((name, outcome.status, outcome.body))

    threads = [threading.Thread(target=traffic, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    runs = 0
    try:
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline and not failures:
            _idle_buckets(db, 1000)  # a long delete: plenty of time to meet the requests' locks
            if not _run_housekeeping(db, settings):
                with db.transaction(write=False) as session:
                    job = session.scalars(select(Job).where(Job.kind == housekeeping.HOUSEKEEPING)).one()
                    failures.append(("housekeeping", job.last_error))
            runs += 1
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == []
    assert runs >= 5 and served[0] >= 50, (runs, served[0])
