"""The ``deliver_webhook`` job: POST one event to one endpoint, record the attempt, retry or give up.

Each run reads what it needs in a short read transaction, makes the HTTP call outside any transaction
(a slow receiver never holds a lock), then writes the attempt together with ending or rescheduling the job
in one transaction fenced by the job's claim: if another worker took the job over meanwhile, that write
is rolled back, so an attempt is recorded once. The receiver may still see a request twice in that rare
case, with the same ``webhook-id``: that id is its dedupe key.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select, update
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
    """What one run sends, read before the call (with the attempts so far: only this job's holder
    writes its delivery, and every write is fenced on the claim, so they cannot change meanwhile)."""

    delivery_id: str
    endpoint_id: str
    event_id: str
    url: str
    secrets: tuple[str, ...]
    body: bytes
    attempts: list[dict[str, Any]]


def signing_secrets(secret: str, previous: str | None, previous_expires_at: datetime | None,
                    now: datetime) -> tuple[str, ...]:
    """The current secret, plus the previous one while its rotation grace period lasts."""
    if previous and previous_expires_at is not None and previous_expires_at > now:
        return (secret, previous)
    return (secret,)


# One read for everything a run needs: the delivery, its event's payload and its endpoint (if it still exists).
_READ = (select(WebhookDelivery.status, WebhookDelivery.webhook_endpoint_id, WebhookDelivery.attempts,
                Event.event_id, Event.payload, WebhookEndpoint.status, WebhookEndpoint.url, WebhookEndpoint.secret,
                WebhookEndpoint.previous_secret, WebhookEndpoint.previous_secret_expires_at)
         .join(Event, Event.event_id == WebhookDelivery.event_id)
         .outerjoin(WebhookEndpoint, WebhookEndpoint.webhook_endpoint_id == WebhookDelivery.webhook_endpoint_id))


@queue.handler(fanout.DELIVER_WEBHOOK)
def deliver(claim: queue.Claim) -> None:
    delivery_id = claim.payload["webhook_delivery_id"]
    now = max(claim.now, utcnow())  # tests may run the queue "three days later"
    with claim.db.transaction(write=False) as session:
        row = session.execute(_READ.where(WebhookDelivery.webhook_delivery_id == delivery_id)).one_or_none()
    if row is None or row[0] != WebhookDeliveryStatus.PENDING:  # gone (sandbox reset) or already ended: nothing to send
        with claim.db.transaction() as session:
            claim.finish(session)
        return
    _, endpoint_id, attempts, event_id, payload, endpoint_status, url, secret, previous, previous_expires = row
    if endpoint_status != WebhookEndpointStatus.ENABLED:
        reason = (f"webhook endpoint {endpoint_id} was deleted; not sent" if endpoint_status is None else
                  f"webhook endpoint {endpoint_id} is DISABLED; not sent (re-enable it, then redeliver_event)")
        with claim.db.transaction() as session:
            _end(session, delivery_id, WebhookDeliveryStatus.FAILED, now, failure_reason=reason)
            claim.finish(session)
        return
    plan = Plan(delivery_id, endpoint_id, event_id, url, signing_secrets(secret, previous, previous_expires, now),
                payload.encode(), list(attempts))
    timestamp = int(time.time())  # always the real clock: receivers reject stale timestamps
    attempt = post(plan.url, signing.headers(plan.secrets, plan.event_id, timestamp, plan.body), plan.body, now)
    with claim.db.transaction() as session:
        record(session, claim, plan, attempt)


def record(session: Session, claim: queue.Claim, plan: Plan, attempt: Attempt) -> None:
    """Write the attempt and end or reschedule the job, in the caller's (fenced) transaction."""
    attempts = [*plan.attempts, attempt.as_json()]
    values: dict[str, Any] = {"attempts": attempts, "updated_at": attempt.attempted_at}
    endpoint_col = WebhookEndpoint.webhook_endpoint_id
    # Conditional updates: the endpoint row is only written (and locked) when its health changes.
    if attempt.ok:
        _update_delivery(session, plan.delivery_id,
                         values | {"status": WebhookDeliveryStatus.SUCCEEDED, "next_attempt_at": None})
        session.execute(update(WebhookEndpoint).where(endpoint_col == plan.endpoint_id,
                                                      WebhookEndpoint.failing_since.is_not(None))
                        .values(failing_since=None))
        claim.finish(session)
        return
    session.execute(update(WebhookEndpoint).where(endpoint_col == plan.endpoint_id,
                                                  WebhookEndpoint.failing_since.is_(None))
                    .values(failing_since=attempt.attempted_at))
    wait = schedule.next_delay(claim.settings, len(attempts))
    if wait is not None:
        _update_delivery(session, plan.delivery_id, values | {"next_attempt_at": attempt.attempted_at + wait})
        claim.retry_at(session, attempt.attempted_at + wait, error=attempt.summary())
        return
    reason = f"no 2xx response after {len(attempts)} attempts (last: {attempt.summary()})"
    _update_delivery(session, plan.delivery_id, values | {
        "status": WebhookDeliveryStatus.FAILED, "next_attempt_at": None, "failure_reason": reason})
    _disable_if_failing_too_long(session, claim.settings, plan.endpoint_id, attempt.attempted_at)
    claim.finish(session)


def _update_delivery(session: Session, delivery_id: str, values: dict[str, Any]) -> None:
    session.execute(update(WebhookDelivery).where(WebhookDelivery.webhook_delivery_id == delivery_id).values(**values)
                    .execution_options(synchronize_session=False))


def _end(session: Session, delivery_id: str, status: str, now: datetime, *, failure_reason: str) -> None:
    delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    assert delivery is not None
    delivery.status, delivery.next_attempt_at, delivery.failure_reason = status, None, failure_reason
    delivery.updated_at = now


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
