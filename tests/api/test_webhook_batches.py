"""Webhook deliveries run in batches (one read, the calls, one write for many jobs), against real local
receivers: each delivery of a batch is recorded by its own outcome (a failing endpoint beside a healthy
one), a job of the batch taken over by another worker gets nothing written while the rest are recorded,
a delivery that breaks backs off alone, a batch whose claim is too old to start a call gives its jobs
back unsent, and deliveries sent by a worker that died before recording them are sent again (same
webhook-id) and recorded once after the lease lapses."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update

from flint_core.platform import queue
from flint_core.platform.context import utcnow
from flint_core.platform.settings import Settings
from flint_core.store.tables import Job, WebhookDelivery, WebhookEndpoint
from flint_core.webhooks import delivery, fanout
from tests.api.test_webhooks import create, deliveries, emit
from tests.conftest import Api
from tests.webhook_receiver import receiver

SLOW = Settings(webhook_retry_delays=(300.0,))  # a failed attempt is retried five minutes later


def claim_all(db: Any, expected: int, **kw: Any) -> list[queue.Claim]:
    claims = queue.claim(db, SLOW, limit=50, kinds=[fanout.DELIVER_WEBHOOK], **kw)
    assert len(claims) == expected
    return claims


def flush_others(db: Any) -> None:
    """Deliveries other tests left due (their receivers are gone): tried now, retried much later."""
    queue.drain(db, SLOW, kinds=[fanout.DELIVER_WEBHOOK])


def jobs_of(db: Any, claims: list[queue.Claim]) -> dict[int, Job]:
    with db.transaction(write=False) as session:
        return {j.job_id: j for j in session.scalars(select(Job).where(Job.job_id.in_([c.job_id for c in claims])))}


def by_endpoint(api: Api, endpoint: dict[str, Any]) -> list[dict[str, Any]]:
    return deliveries(api, webhook_endpoint_id=endpoint["webhook_endpoint_id"])


def test_each_delivery_of_a_batch_is_recorded_by_its_own_outcome(api: Api, merchant: dict[str, Any],
                                                                   db: Any) -> None:
    flush_others(db)
    with receiver() as good, receiver() as bad:
        bad.default = 500
        healthy, failing = create(api, good.url), create(api, bad.url)
        events = [emit(db, merchant) for _ in range(3)]
        claims = claim_all(db, 6)
        assert queue.run_batch(claims) == [True] * 6  # one batch: one read, six calls, one write
        assert len(good.requests) == len(bad.requests) == 3
    done, pending = by_endpoint(api, healthy), by_endpoint(api, failing)
    assert sorted(d["event_id"] for d in done) == sorted(events) == sorted(d["event_id"] for d in pending)
    assert all(d["status"] == "SUCCEEDED" and [a["status_code"] for a in d["attempts"]] == [200] for d in done)
    assert all(d["status"] == "PENDING" and [a["status_code"] for a in d["attempts"]] == [500] for d in pending)
    assert all(d["next_attempt_at"] is not None for d in pending)
    jobs = jobs_of(db, claims)
    assert len(jobs) == 3  # the healthy endpoint's jobs ended, the failing one's wait for their retry
    assert all(j.locked_by is None and j.last_error == "HTTP 500" and j.run_at > utcnow() + timedelta(minutes=4)
               for j in jobs.values())
    assert api.ok("GET", f"/v1/webhook_endpoints/{healthy['webhook_endpoint_id']}")["failing_since"] is None
    assert api.ok("GET", f"/v1/webhook_endpoints/{failing['webhook_endpoint_id']}")["failing_since"] is not None


def test_a_job_of_the_batch_taken_over_gets_nothing_written_the_others_are_recorded(
        api: Api, merchant: dict[str, Any], db: Any) -> None:
    flush_others(db)
    with receiver() as rec:
        endpoint = create(api, rec.url)
        for _ in range(3):
            emit(db, merchant)
        claims = claim_all(db, 3)
        with db.transaction() as session:  # another worker took the second job over
            session.execute(update(Job).where(Job.job_id == claims[1].job_id).values(locked_by="other"))
        assert queue.run_batch(claims) == [True, False, True]
        assert len(rec.requests) == 3  # all were sent (receivers dedupe on webhook-id) ...
    taken = claims[1].payload["webhook_delivery_id"]
    recorded = {d["webhook_delivery_id"]: d for d in by_endpoint(api, endpoint)}
    assert recorded[taken]["status"] == "PENDING" and recorded[taken]["attempts"] == []  # ... that one not recorded
    assert all(d["status"] == "SUCCEEDED" for i, d in recorded.items() if i != taken)
    assert list(jobs_of(db, claims)) == [claims[1].job_id]  # left to the worker that holds it
    with db.transaction() as session:  # the other worker is imaginary: its job goes with the test
        session.execute(delete(Job).where(Job.job_id == claims[1].job_id))


def test_a_delivery_that_breaks_backs_off_alone(api: Api, merchant: dict[str, Any], db: Any) -> None:
    flush_others(db)
    with receiver() as rec:
        fine, broken = create(api, rec.url), create(api, rec.url + "/broken")
        with db.transaction() as session:  # a secret that cannot be decoded: signing raises
            session.execute(update(WebhookEndpoint).values(secret="whsec_not base64!")
                            .where(WebhookEndpoint.webhook_endpoint_id == broken["webhook_endpoint_id"]))
        emit(db, merchant)
        emit(db, merchant)
        claims = claim_all(db, 4)
        ran = queue.run_batch(claims)
        assert len(rec.requests) == 2 and {r.headers["webhook-id"] for r in rec.requests} == {
            d["event_id"] for d in by_endpoint(api, fine)}
    sent = {d["webhook_delivery_id"] for d in by_endpoint(api, fine)}
    assert ran == [c.payload["webhook_delivery_id"] in sent for c in claims]
    assert all(d["status"] == "SUCCEEDED" for d in by_endpoint(api, fine))
    assert all(d["status"] == "PENDING" and d["attempts"] == [] for d in by_endpoint(api, broken))
    jobs = jobs_of(db, claims)
    assert len(jobs) == 2 and all(j.locked_by is None and j.attempts == 1 and j.run_at > utcnow()
                                  and (j.last_error or "").startswith("Error") for j in jobs.values())
    with db.transaction() as session:  # others' drains must not trip on it
        session.execute(update(Job).where(Job.job_id.in_(list(jobs))).values(run_at=utcnow() + timedelta(days=30)))


def test_a_claim_too_old_to_start_a_call_gives_its_jobs_back_unsent(api: Api, merchant: dict[str, Any],
                                                                    db: Any) -> None:
    flush_others(db)
    with receiver() as rec:
        endpoint = create(api, rec.url)
        emit(db, merchant)
        emit(db, merchant)
        lease = SLOW.job_lease_seconds
        claims = [dataclasses.replace(c, claimed_at=time.monotonic() - lease / 2 - 1) for c in claim_all(db, 2)]
        assert queue.run_batch(claims) == [True, True]
        assert rec.requests == []  # a call started now could outlive the lease
        assert all(j.locked_by is None and j.attempts == 0 for j in jobs_of(db, claims).values())  # given back
        assert all(d["status"] == "PENDING" and d["attempts"] == [] for d in by_endpoint(api, endpoint))
        flush_others(db)  # due again at once
        assert len(rec.requests) == 2
    assert all(d["status"] == "SUCCEEDED" for d in by_endpoint(api, endpoint))


def test_deliveries_sent_by_a_worker_that_died_are_sent_again_after_the_lease(
        api: Api, merchant: dict[str, Any], db: Any) -> None:
    """The worker claimed, read and sent a batch, then died before its write: nothing was recorded and
    the jobs stay leased; once the lease lapses they are sent again, same webhook-id, recorded once."""
    flush_others(db)
    with receiver() as rec:
        endpoint = create(api, rec.url)
        events = [emit(db, merchant) for _ in range(3)]
        claims = claim_all(db, 3)
        batch = queue.Batch(claims)
        plans, _ = delivery.read(batch)
        [delivery.send(plan) for plan in plans]  # ... and the process is killed here
        assert len(rec.requests) == 3
        assert all(d["attempts"] == [] for d in by_endpoint(api, endpoint))
        assert queue.claim(db, SLOW, limit=50, kinds=[fanout.DELIVER_WEBHOOK]) == []  # still leased
        lapsed = utcnow() + queue.lease(SLOW) + timedelta(seconds=1)
        assert queue.drain(db, SLOW, kinds=[fanout.DELIVER_WEBHOOK], now=lapsed) >= 3  # (and others' retries)
        assert len(rec.requests) == 6 and sorted(r.headers["webhook-id"] for r in rec.requests) == sorted(events * 2)
    recorded = by_endpoint(api, endpoint)
    assert all(d["status"] == "SUCCEEDED" and len(d["attempts"]) == 1 for d in recorded)
    with db.transaction(write=False) as session:
        assert session.scalars(select(WebhookDelivery.status).where(WebhookDelivery.event_id.in_(events))).all() \
            == ["SUCCEEDED"] * 3
    assert jobs_of(db, claims) == {}
