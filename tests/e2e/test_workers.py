"""Two real `flint worker` processes sharing one database (PostgreSQL when FLINT_TEST_DATABASE_URL names
one, in a schema of its own; SQLite always): 300 jobs are each done exactly once and both workers do
some; a worker killed with SIGKILL in the middle of a job (its effects written but not committed) loses
nothing: once its lease lapses the other worker does the job, and the effect is recorded once.

The workers load this module through FLINT_JOB_MODULES (the documented extension point) to register the
test job kinds below; the effect of a job is a row inserted in the transaction that finishes it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from flint_core.platform import housekeeping, queue
from flint_core.platform.context import utcnow
from flint_core.store.db import Database, migrate
from flint_core.store.tables import Job
from tests.e2e.processes import free_port, postgres_schema_url, start, stop, wait_for

ROOT = Path(__file__).resolve().parents[2]
EFFECT, BLOCKING = "test_worker_effect", "test_worker_blocking"
EFFECTS = Table("test_worker_effects", MetaData(), Column("id", Integer, primary_key=True, autoincrement=True),
                Column("n", Integer), Column("pid", Integer), Column("attempt", Integer), Column("note", String(40)))
LEASE_SECONDS = "2"
SCHEMA = "flint_workers_test"


@queue.handler(EFFECT)
def _effect(claim: queue.Claim) -> None:
    time.sleep(claim.payload.get("sleep", 0))
    with claim.db.transaction() as session:
        session.execute(insert(EFFECTS).values(n=claim.payload["n"], pid=os.getpid(), attempt=claim.attempts))
        claim.finish(session)


@queue.handler(BLOCKING)
def _blocking(claim: queue.Claim) -> None:
    """Writes its effect, then waits (transaction open) until the test creates the release file."""
    release = Path(claim.payload["release"])
    with claim.db.transaction() as session:
        session.execute(insert(EFFECTS).values(n=claim.payload["n"], pid=os.getpid(), attempt=claim.attempts))
        release.with_suffix(".started").write_text(str(os.getpid()))
        while not release.exists():
            time.sleep(0.05)
        claim.finish(session)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url = postgres_schema_url(SCHEMA) if request.param == "postgresql" else f"sqlite:///{tmp_path / 'flint.db'}"
    migrate(url)
    database = Database(url)
    EFFECTS.create(database.write_engine)
    database.dispose()
    yield url


class Worker:
    def __init__(self, url: str, log: Path) -> None:
        self.log = log
        env = os.environ | {"FLINT_JOB_MODULES": "tests.e2e.test_workers", "FLINT_JOB_LEASE_SECONDS": LEASE_SECONDS,
                            "PYTHONUNBUFFERED": "1"}
        with log.open("w") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "flint_cli.main", "worker", "--database-url", url,
                                          "--concurrency", "4", "--interval", "0.05"], cwd=ROOT, env=env,
                                         stdout=subprocess.DEVNULL, stderr=out)
        wait_for(lambda: f"worker {self.proc.pid} started" in log.read_text() or self.proc.poll() is not None, 30,
                 "the worker to start")
        assert self.proc.poll() is None, log.read_text()
        assert EFFECT in log.read_text()  # the kinds it claims include the module's

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> str:
        """SIGTERM: the worker finishes its jobs in progress and exits 0."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            assert self.proc.wait(timeout=30) == 0, self.log.read_text()
        return self.log.read_text()

    def kill(self) -> None:
        self.proc.kill()
        assert self.proc.wait(timeout=10) == -signal.SIGKILL


def enqueue(db: Database, kind: str, payloads: list[dict[str, object]]) -> None:
    with db.transaction() as session:
        for payload in payloads:
            queue.enqueue(session, kind, payload, run_at=utcnow())


def jobs_left(db: Database) -> int:
    """Jobs still queued, but the housekeeping job, which every worker queues and which never ends."""
    with db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(Job).where(Job.kind != housekeeping.HOUSEKEEPING)) or 0)


def effects(db: Database) -> list[tuple[int, int, int]]:
    with db.transaction(write=False) as session:
        return [tuple(row) for row in session.execute(select(EFFECTS.c.n, EFFECTS.c.pid, EFFECTS.c.attempt))]


def test_two_workers_do_every_job_exactly_once(url: str, tmp_path: Path) -> None:
    db = Database(url)
    workers = [Worker(url, tmp_path / "a.log"), Worker(url, tmp_path / "b.log")]
    try:
        n = 300
        enqueue(db, EFFECT, [{"n": i, "sleep": 0.01} for i in range(n)])
        wait_for(lambda: jobs_left(db) == 0, 120, "the queue to drain")
        done = effects(db)
        assert sorted(row[0] for row in done) == list(range(n))  # every job, each exactly once
        by_worker = {w.pid: sum(1 for row in done if row[1] == w.pid) for w in workers}
        assert all(count > 0 for count in by_worker.values()), by_worker
        assert sum(by_worker.values()) == n
    finally:
        logs = [w.stop() for w in workers]
        db.dispose()
    assert all("stopped" in log and "Traceback" not in log for log in logs), logs


def test_a_job_of_a_killed_worker_is_done_by_the_other_once(url: str, tmp_path: Path) -> None:
    db = Database(url)
    release = tmp_path / "release"
    workers = {w.pid: w for w in (Worker(url, tmp_path / "a.log"), Worker(url, tmp_path / "b.log"))}
    try:
        enqueue(db, BLOCKING, [{"n": 7, "release": str(release)}])
        started = release.with_suffix(".started")
        wait_for(started.exists, 30, "a worker to start the job")
        claimed_at = time.monotonic()
        victim = workers.pop(int(started.read_text()))
        [survivor] = workers.values()
        victim.kill()  # mid-job: its effect was written in a transaction that never commits
        release.touch()
        wait_for(lambda: jobs_left(db) == 0, 60, "the other worker to take the job over")
        assert time.monotonic() - claimed_at >= float(LEASE_SECONDS) - 0.2  # not before the lease lapsed
        assert effects(db) == [(7, survivor.pid, 2)]  # done once, by the survivor, on the second attempt
    finally:
        for w in workers.values():
            log = w.stop()
        db.dispose()
    assert "Traceback" not in log, log


def test_serve_runs_the_jobs_unless_told_not_to(url: str, tmp_path: Path) -> None:
    db = Database(url)
    env = {"FLINT_JOB_MODULES": "tests.e2e.test_workers"}
    try:
        proc, _ = start(url, free_port(), "--no-jobs", env=env)
        try:
            enqueue(db, EFFECT, [{"n": i} for i in range(5)])
            time.sleep(1.5)
            assert jobs_left(db) == 5 and effects(db) == []  # an API-only process leaves them to workers
        finally:
            stop(proc)
        proc, _ = start(url, free_port(), env=env)
        try:
            wait_for(lambda: jobs_left(db) == 0, 30, "flint serve to run the jobs")
            assert sorted(row[0] for row in effects(db)) == list(range(5))
        finally:
            stop(proc)
    finally:
        db.dispose()
