"""A real `flint worker` killed with SIGKILL in the middle of a batch of webhook deliveries (SQLite, and
PostgreSQL when FLINT_TEST_DATABASE_URL names one, in a schema of its own): the receiver has accepted
the first deliveries of the batch and holds the next one when the worker dies, so nothing of the batch
was recorded. The jobs stay leased until the lease lapses; then every delivery is sent again with the
same webhook-id and recorded exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from flint_core.platform import queue
from flint_core.platform.context import utcnow
from flint_core.platform.runtime import invoke
from flint_core.platform.settings import Settings
from flint_core.store.db import Database, migrate
from flint_core.store.tables import Job, WebhookDelivery
from flint_core.webhooks import fanout
from tests.e2e.processes import postgres_schema_url
from tests.webhook_receiver import receiver

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = "flint_webhook_crash_test"
LEASE = 30.0  # long enough that "still leased" never depends on the machine's speed
ORDERS = 6
ACCEPTED_BEFORE_KILL = 2


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url = postgres_schema_url(SCHEMA) if request.param == "postgresql" else f"sqlite:///{tmp_path / 'flint.db'}"
    migrate(url)
    yield url


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def setup(db: Database, receiver_url: str) -> None:
    """A merchant with an endpoint subscribed to `*`, then orders whose events queue deliveries."""
    created = invoke(db, "create_merchant", {"name": "crash", "email": "c@example.com"}, api_key=None, face="test")
    key = json.loads(created.body)["api_key"]["secret"]

    def call(name: str, args: dict[str, Any]) -> None:
        assert invoke(db, name, args, api_key=key, face="test").status == 200

    call("create_webhook_endpoint", {"url": receiver_url, "enabled_events": ["*"]})
    for _ in range(ORDERS):
        call("create_order", {"currency": "USD", "line_items": [
            {"name": "Jacket", "quantity": 1, "unit_price_money": {"amount": 9900, "currency": "USD"}}]})


def recorded(db: Database) -> list[tuple[str, str, int]]:
    with db.transaction(write=False) as session:
        rows = session.execute(select(WebhookDelivery.event_id, WebhookDelivery.status, WebhookDelivery.attempts))
        return sorted((event_id, status, len(attempts)) for event_id, status, attempts in rows)


def test_a_worker_killed_mid_batch_leaves_its_deliveries_to_be_sent_again_after_the_lease(
        url: str, tmp_path: Path) -> None:
    db = Database(url)
    release = threading.Event()
    arrived: list[str] = []

    def decide(headers: dict[str, str], body: bytes) -> int:
        arrived.append(headers["webhook-id"])
        if len(arrived) == ACCEPTED_BEFORE_KILL + 1:
            release.wait(30)  # held while the worker is killed
        return 200

    log = tmp_path / "worker.log"
    proc: subprocess.Popen[bytes] | None = None
    try:
        with receiver() as rec:
            rec.decide = decide
            setup(db, rec.url)
            due = recorded(db)
            assert len(due) >= ORDERS and all(status == "PENDING" for _, status, _ in due)
            env = os.environ | {"FLINT_JOB_LEASE_SECONDS": str(LEASE), "PYTHONUNBUFFERED": "1"}
            with log.open("w") as out:
                proc = subprocess.Popen([sys.executable, "-m", "flint_cli.main", "worker", "--database-url", url,
                                         "--concurrency", "1", "--interval", "0.05"], cwd=ROOT, env=env,
                                        stdout=subprocess.DEVNULL, stderr=out)
            wait_for(lambda: len(arrived) > ACCEPTED_BEFORE_KILL or proc.poll() is not None, 60,
                     "the worker to send the batch")
            assert proc.poll() is None, log.read_text()
            proc.kill()  # mid-batch: two deliveries accepted, the third in flight, the rest not sent
            assert proc.wait(timeout=10) == -signal.SIGKILL
            release.set()

            assert recorded(db) == due  # nothing of the batch was recorded ...
            settings = Settings(job_lease_seconds=LEASE)
            kinds = [fanout.DELIVER_WEBHOOK]
            assert queue.claim(db, settings, limit=50, kinds=kinds) == []  # ... and its jobs are still leased
            with db.transaction(write=False) as session:
                leased = session.scalars(select(Job).where(Job.kind == fanout.DELIVER_WEBHOOK)).all()
            assert len(leased) == len(due) and all(j.locked_by is not None for j in leased)

            lapsed = utcnow() + timedelta(seconds=LEASE + 1)
            assert queue.drain(db, settings, kinds=kinds, now=lapsed) == len(due)  # another worker, later
            wait_for(lambda: len(rec.requests) == len(arrived), 10, "the receiver to answer")
        resent = Counter(arrived)
        assert set(resent) == {event_id for event_id, _, _ in due}  # every delivery arrived ...
        assert sorted(resent.values()) == [1] * (len(due) - 3) + [2] * 3  # ... those sent before the kill twice
        assert recorded(db) == [(event_id, "SUCCEEDED", 1) for event_id, _, _ in due]  # ... each recorded once
        with db.transaction(write=False) as session:
            assert session.scalars(select(Job).where(Job.kind == fanout.DELIVER_WEBHOOK)).all() == []
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
        release.set()
        db.dispose()
