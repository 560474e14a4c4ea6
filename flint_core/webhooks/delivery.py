"""The ``deliver_webhook`` job: POST events to endpoints, record the attempts, retry or give up.

Deliveries run in batches (``queue.handler(..., batch=BATCH)``): one read transaction for the whole
batch (the deliveries with their endpoints, then their events' bodies, one query each), the HTTP calls
outside any transaction, side by side up to the worker's concurrency on one pooled keep-alive client,
then one write transaction that records every attempt and ends or reschedules every job. That write
starts by locking the batch's job rows and keeping only the jobs still leased to this worker (the
fence): a delivery whose job another worker took over meanwhile gets nothing written, so an attempt is
recorded once. The receiver may still see a request twice in that rare case, with the same
``webhook-id``: that id is its dedupe key. A post is only started while under half the lease has
passed since the claim; the rest of a slow batch is given back unsent, so recording always fits in the
lease.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from flint_core.platform import context, outbox, queue
from flint_core.platform.context import Context, utcnow
from flint_core.platform.settings import Settings
from flint_core.store.tables import Event, WebhookDelivery, WebhookEndpoint
from flint_core.webhooks import fanout, schedule, signing
from flint_core.webhooks.lifecycle import WebhookDeliveryStatus, WebhookEndpointStatus

log = logging.getLogger("flint.webhooks")

TIMEOUT = 10.0  # seconds for the whole request; well inside the job lease
SNIPPET_CHARS = 500  # of the response body kept on the attempt
_READ_LIMIT = 4 * SNIPPET_CHARS  # bytes read from a response at most (a huge body is never buffered)

_client: httpx.Client | None = None
_client_lock = threading.Lock()


def client() -> httpx.Client:
    """One pooled client per process (thread-safe), so repeated deliveries reuse connections."""
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(timeout=TIMEOUT, follow_redirects=False,
                                   limits=httpx.Limits(max_connections=100, max_keepalive_connections=20))
        return _client


@dataclass(frozen=True, slots=True)
class Attempt:
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    response_snippet: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def as_json(self) -> dict[str, Any]:
        return {"attempted_at": self.attempted_at.isoformat(), "status_code": self.status_code,
                "latency_ms": self.latency_ms, "response_snippet": self.response_snippet, "error": self.error}

    def summary(self) -> str:
        return f"HTTP {self.status_code}" if self.status_code is not None else (self.error or "no response")


def post(url: str, headers: dict[str, str], body: bytes, now: datetime) -> Attempt:
    """One HTTP attempt; never raises for the receiver's failures (they are the attempt's outcome)."""
    started = time.monotonic()
    status, snippet, error = None, None, None
    try:
        with client().stream("POST", url, content=body, headers=headers) as response:
            status = response.status_code
            raw = b""
            for chunk in response.iter_bytes():
                raw += chunk
                if len(raw) >= _READ_LIMIT:
                    break
            snippet = raw.decode(response.encoding or "utf-8", errors="replace")[:SNIPPET_CHARS]
            if response.is_redirect:
                error = f"redirect to {response.headers.get('location', '?')} not followed; use the final URL"
    except httpx.TimeoutException:
        error = f"timed out after {TIMEOUT:g} s"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:SNIPPET_CHARS]
    latency = int((time.monotonic() - started) * 1000)
    return Attempt(now, status, latency, snippet, error)


@dataclass(frozen=True, slots=True)
class Plan:
    """What one delivery sends, read before the call (with the attempts so far: only its job's holder
    writes a delivery, and every write is fenced on the claim, so they cannot change meanwhile)."""

    claim: queue.Claim
    delivery_id: str
    endpoint_id: str
    event_id: str
    url: str
    secrets: tuple[str, ...]
    body: bytes
    attempts: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Ended:
    """A delivery that ends without a request: its endpoint was disabled or deleted (``reason``), or
    there is nothing to do (``reason`` None: the delivery is gone with a sandbox reset, or already ended)."""

    claim: queue.Claim
    delivery_id: str
    attempts: list[dict[str, Any]]
    reason: str | None


@dataclass(frozen=True, slots=True)
class Sent:
    """One delivery's HTTP call: its ``attempt``, or None when it was not started (the claim too old)."""

    plan: Plan
    attempt: Attempt | None
    done: float = 0.0  # time.monotonic() when the call ended: the order of one endpoint's outcomes

    @property
    def claim(self) -> queue.Claim:
        return self.plan.claim


@dataclass(frozen=True, slots=True)
class Broken:
    """A delivery whose own preparation or call raised (a bug, corrupt data): its job backs off alone."""

    claim: queue.Claim
    error: Exception


Outcome = Ended | Sent | Broken


def signing_secrets(secret: str, previous: str | None, previous_expires_at: datetime | None,
                    now: datetime) -> tuple[str, ...]:
    """The current secret, plus the previous one while its rotation grace period lasts."""
    if previous and previous_expires_at is not None and previous_expires_at > now:
        return (secret, previous)
    return (secret,)


BATCH = 25  # deliveries claimed, read, sent and recorded together

# The batch's deliveries with their endpoints (if they still exist); the events' bodies are read apart,
# once per event however many endpoints it goes to.
_READ = (select(WebhookDelivery.webhook_delivery_id, WebhookDelivery.status, WebhookDelivery.webhook_endpoint_id,
                WebhookDelivery.attempts, WebhookDelivery.event_id, WebhookEndpoint.status, WebhookEndpoint.url,
                WebhookEndpoint.secret, WebhookEndpoint.previous_secret, WebhookEndpoint.previous_secret_expires_at)
         .outerjoin(WebhookEndpoint, WebhookEndpoint.webhook_endpoint_id == WebhookDelivery.webhook_endpoint_id))
_DELIVERIES = WebhookDelivery.__table__
_ENDPOINTS = WebhookEndpoint.__table__
# every delivery the batch ends or moves on, in one executemany
_WRITE = (update(_DELIVERIES).where(_DELIVERIES.c.webhook_delivery_id == bindparam("b_id"))
          .values(status=bindparam("b_status", type_=_DELIVERIES.c.status.type),
                  attempts=bindparam("b_attempts", type_=_DELIVERIES.c.attempts.type),
                  next_attempt_at=bindparam("b_next", type_=_DELIVERIES.c.next_attempt_at.type),
                  failure_reason=bindparam("b_reason", type_=_DELIVERIES.c.failure_reason.type),
                  updated_at=bindparam("b_updated", type_=_DELIVERIES.c.updated_at.type)))


@queue.handler(fanout.DELIVER_WEBHOOK, batch=BATCH)
def deliver(batch: queue.Batch) -> None:
    """Read the batch, send it (outside any transaction), record it. If recording the batch together
    fails for a reason other than a lost lease, each delivery is recorded alone, so one delivery whose
    outcome cannot be written never makes the others of its batch be sent again."""
    plans, outcomes = read(batch)
    outcomes += batch.parallel(send, plans)
    try:
        batch.db.run(lambda session: record(session, batch, outcomes))
        return
    except queue.LeaseLost:
        raise
    except Exception:
        if len(outcomes) == 1:
            raise
        log.exception("recording %s webhook deliveries together failed; recording them one at a time",
                      len(outcomes))
    lost, failed, broken = [], [], []
    for outcome in outcomes:
        alone = queue.Batch([outcome.claim], batch.parallel)
        try:
            batch.db.run(lambda session: record(session, alone, [outcome]))
        except Exception as exc:  # noqa: BLE001 - its job backs off alone (below)
            log.exception("recording webhook delivery job %s failed", outcome.claim.job_id)
            broken.append(Broken(outcome.claim, exc))
            continue
        lost += alone.lost
        failed += alone.failed
    if broken:
        rest = queue.Batch([b.claim for b in broken], batch.parallel)
        batch.db.run(lambda session: record(session, rest, broken))
        lost += rest.lost
        failed += rest.failed
    batch.lost, batch.failed = lost, failed


def read(batch: queue.Batch) -> tuple[list[Plan], list[Outcome]]:
    """What the batch sends, in one read transaction: its deliveries with their endpoints in one query,
    the bodies of their events in another. Deliveries with nothing to send are outcomes already."""
    wanted = [c.payload["webhook_delivery_id"] for c in batch.claims]
    with batch.db.transaction(write=False) as session:
        rows = {row[0]: row for row in session.execute(_READ.where(WebhookDelivery.webhook_delivery_id.in_(wanted)))}
        events = {row[4] for row in rows.values()
                  if row[1] == WebhookDeliveryStatus.PENDING and row[5] == WebhookEndpointStatus.ENABLED}
        bodies: dict[str, str] = {}
        if events:
            bodies = {event_id: payload for event_id, payload in
                      session.execute(select(Event.event_id, Event.payload).where(Event.event_id.in_(events)))}
    plans: list[Plan] = []
    outcomes: list[Outcome] = []
    for claim in batch.claims:
        try:
            plan_or_end = _plan(claim, rows.get(claim.payload["webhook_delivery_id"]), bodies)
        except Exception as exc:  # noqa: BLE001 - corrupt data: this delivery backs off, the others go on
            log.exception("webhook delivery job %s: could not prepare the request", claim.job_id)
            outcomes.append(Broken(claim, exc))
            continue
        (plans if isinstance(plan_or_end, Plan) else outcomes).append(plan_or_end)  # type: ignore[arg-type]
    return plans, outcomes


def _plan(claim: queue.Claim, row: Any, bodies: dict[str, str]) -> Plan | Ended:
    delivery_id = claim.payload["webhook_delivery_id"]
    if row is None or row[1] != WebhookDeliveryStatus.PENDING:  # gone (sandbox reset) or already ended
        return Ended(claim, delivery_id, [], None)
    _, _, endpoint_id, attempts, event_id, endpoint_status, url, secret, previous, previous_expires = row
    if endpoint_status != WebhookEndpointStatus.ENABLED:
        reason = (f"webhook endpoint {endpoint_id} was deleted; not sent" if endpoint_status is None else
                  f"webhook endpoint {endpoint_id} is DISABLED; not sent (re-enable it, then redeliver_event)")
        return Ended(claim, delivery_id, list(attempts), reason)
    if event_id not in bodies:  # its event went with a sandbox reset between the two reads
        return Ended(claim, delivery_id, [], None)
    now = max(claim.now, utcnow())  # tests may run the queue "three days later"
    secrets = signing_secrets(secret, previous, previous_expires, now)
    return Plan(claim, delivery_id, endpoint_id, event_id, url, secrets, bodies[event_id].encode(), list(attempts))


def send(plan: Plan) -> Sent | Broken:
    """One delivery's HTTP call, unless its claim is too old to start one (it is then given back)."""
    if not plan.claim.fresh:
        return Sent(plan, None)
    try:
        now = max(plan.claim.now, utcnow())
        timestamp = int(time.time())  # always the real clock: receivers reject stale timestamps
        headers = signing.headers(plan.secrets, plan.event_id, timestamp, plan.body)
        attempt = post(plan.url, headers, plan.body, now)
    except Exception as exc:  # noqa: BLE001 - post() turns the receiver's failures into attempts; this is a bug
        log.exception("webhook delivery job %s: could not send", plan.claim.job_id)
        return Broken(plan.claim, exc)
    return Sent(plan, attempt, time.monotonic())


def record(session: Session, batch: queue.Batch, outcomes: list[Outcome]) -> None:
    """Write every outcome of the batch and end, reschedule or give back its jobs, in one transaction
    (run again from the start if the database fails it transiently: it writes nothing else). Rows are
    locked in one order by every batch: jobs, deliveries, then endpoints, each by id."""
    held = {c.job_id for c in batch.held(session)}  # first: locks the job rows, drops lost claims
    writes: list[dict[str, Any]] = []
    finished: list[queue.Claim] = []
    retries: list[tuple[queue.Claim, datetime, str | None]] = []
    unsent: list[queue.Claim] = []
    broken: list[tuple[queue.Claim, BaseException]] = []
    attempted: dict[str, list[tuple[float, Attempt]]] = {}  # per endpoint, in the order the calls ended
    gave_up: dict[str, list[datetime]] = {}
    for outcome in outcomes:
        claim = outcome.claim
        if claim.job_id not in held:
            continue
        if isinstance(outcome, Broken):
            broken.append((claim, outcome.error))
        elif isinstance(outcome, Ended):
            finished.append(claim)
            if outcome.reason is not None:
                writes.append(_values(outcome.delivery_id, WebhookDeliveryStatus.FAILED, outcome.attempts, None,
                                      outcome.reason, max(claim.now, utcnow())))
        elif outcome.attempt is None:
            unsent.append(claim)
        else:
            plan, attempt = outcome.plan, outcome.attempt
            attempts = [*plan.attempts, attempt.as_json()]
            attempted.setdefault(plan.endpoint_id, []).append((outcome.done, attempt))
            at = attempt.attempted_at
            wait = None if attempt.ok else schedule.next_delay(batch.settings, len(attempts))
            if attempt.ok:
                writes.append(_values(plan.delivery_id, WebhookDeliveryStatus.SUCCEEDED, attempts, None, None, at))
                finished.append(claim)
            elif wait is not None:
                writes.append(_values(plan.delivery_id, WebhookDeliveryStatus.PENDING, attempts, at + wait, None, at))
                retries.append((claim, at + wait, attempt.summary()))
            else:
                reason = f"no 2xx response after {len(attempts)} attempts (last: {attempt.summary()})"
                writes.append(_values(plan.delivery_id, WebhookDeliveryStatus.FAILED, attempts, None, reason, at))
                finished.append(claim)
                gave_up.setdefault(plan.endpoint_id, []).append(at)
    if writes:
        session.execute(_WRITE, sorted(writes, key=lambda w: w["b_id"]))
    for endpoint_id in sorted(attempted.keys() | gave_up.keys()):
        _update_health(session, endpoint_id, attempted.get(endpoint_id, []))
        for at in sorted(gave_up.get(endpoint_id, [])):
            _disable_if_failing_too_long(session, batch.settings, endpoint_id, at)
    batch.finish(session, finished)
    batch.retry_at(session, retries)
    batch.release(session, unsent)
    batch.fail(session, broken)


def _values(delivery_id: str, status: str, attempts: list[dict[str, Any]], next_attempt_at: datetime | None,
            failure_reason: str | None, now: datetime) -> dict[str, Any]:
    return {"b_id": delivery_id, "b_status": status, "b_attempts": attempts, "b_next": next_attempt_at,
            "b_reason": failure_reason, "b_updated": now}


def _update_health(session: Session, endpoint_id: str, attempted: list[tuple[float, Attempt]]) -> None:
    """The endpoint's ``failing_since`` after the batch's attempts to it, taken in the order they ended:
    cleared if the last one succeeded, else the time of the first failure since the last success (or
    kept from before the batch when none succeeded and it was already failing). The row is only
    written (and locked) when that changes, as one delivery at a time would have left it."""
    if not attempted:
        return
    attempted = sorted(attempted, key=lambda pair: pair[0])
    oks = [i for i, (_, attempt) in enumerate(attempted) if attempt.ok]
    failures = attempted[oks[-1] + 1:] if oks else attempted
    row = _ENDPOINTS.c.webhook_endpoint_id == endpoint_id
    if not failures:
        session.execute(update(_ENDPOINTS).where(row, _ENDPOINTS.c.failing_since.is_not(None))
                        .values(failing_since=None))
    elif oks:  # a success in the batch cleared it, then these failed
        session.execute(update(_ENDPOINTS).where(row).values(failing_since=failures[0][1].attempted_at))
    else:
        session.execute(update(_ENDPOINTS).where(row, _ENDPOINTS.c.failing_since.is_(None))
                        .values(failing_since=failures[0][1].attempted_at))


def _disable_if_failing_too_long(session: Session, settings: Settings, endpoint_id: str, now: datetime) -> None:
    """A delivery gave up: disable its endpoint if it has failed without a success for ``disable_after``."""
    endpoint = session.get(WebhookEndpoint, endpoint_id, with_for_update=True, populate_existing=True)
    if endpoint is None or endpoint.status != WebhookEndpointStatus.ENABLED or endpoint.failing_since is None:
        return
    if now - endpoint.failing_since < schedule.disable_after(settings):
        return
    from flint_core.webhooks.views import webhook_endpoint_out  # the object exactly as the API shows it

    ctx = system_context(session, endpoint, settings, now)
    before = webhook_endpoint_out(ctx, endpoint).model_dump(mode="json")
    endpoint.status, endpoint.updated_at = WebhookEndpointStatus.DISABLED, now
    endpoint.disabled_reason = (f"every delivery failed since {endpoint.failing_since.isoformat()}; "
                                "disabled automatically")[:200]
    ctx.record("webhook_endpoint", endpoint_id, "WEBHOOK_ENDPOINT_DISABLED",
               {"status": [WebhookEndpointStatus.ENABLED, WebhookEndpointStatus.DISABLED],
                "disabled_reason": [None, endpoint.disabled_reason]})
    after = webhook_endpoint_out(ctx, endpoint).model_dump(mode="json")
    outbox.emit(ctx, "webhook_endpoint.disabled", after,
                previous_attributes={k: v for k, v in before.items() if after[k] != v})
    log.warning("webhook endpoint %s disabled: %s", endpoint_id, endpoint.disabled_reason)


def system_context(session: Session, endpoint: WebhookEndpoint, settings: Settings, now: datetime) -> Context:
    """Act for the system (actor and face ``system``) in the endpoint's environment."""
    return context.system_context(session, endpoint.merchant_id, endpoint.env_id, operation="update_webhook_endpoint",
                                  settings=settings, now=now)
