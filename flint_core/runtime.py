"""Running an operation: the one path every face takes (HTTP, MCP, tool calls).

``invoke`` authenticates, checks the scope, validates the arguments with the operation's input model,
claims the idempotency key, runs the handler in one transaction together with its activity rows and the
stored response, and returns the response as JSON text. Faces only translate transport details.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flint_core import idempotency, ids, limits, rate_limits, registry, request_logs
from flint_core.auth import ALL, Principal, authenticate
from flint_core.errors import FlintError
from flint_core.rate_limits import RateLimits
from flint_core.registry import Operation
from flint_core.request_logs import Transport
from flint_core.store.db import Database
from flint_core.store.models import LIVE, Activity
from flint_core.validation import translate

log = logging.getLogger("flint")
PUBLIC_SCOPE = ("public", "public")
# Never stored as an idempotent answer (API.md section 3), even when raised while the operation runs: the
# same request may succeed with another key or once the key's powers change.
UNSTORED = frozenset({"authentication_error", "permission_error", "rate_limit_error"})  # idempotency scope of calls made without a key (create_merchant)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Settings:
    """Server-wide switches (set by `flint serve`)."""

    signup_enabled: bool = True
    default_currency: str = "USD"  # of an order whose request names no currency (docs/money.md)
    stripe_api_key: str | None = None  # live-mode processor; test mode always uses the simulator
    rate_limits: RateLimits = field(default_factory=RateLimits)  # request budgets (docs/rate-limits.md)
    # Webhook retries (seconds before each retry) and how long an endpoint may fail before it is disabled.
    # None: $FLINT_WEBHOOK_RETRY_DELAYS / $FLINT_WEBHOOK_DISABLE_AFTER_SECONDS, else the defaults (docs/webhooks.md).
    webhook_retry_delays: tuple[float, ...] | None = None
    webhook_disable_after_seconds: float | None = None


@dataclass
class Context:
    """What a handler may use: the transaction, the caller, and the request's identity."""

    session: Session
    principal: Principal | None
    operation: Operation
    request_id: str | None
    face: str
    now: datetime
    idempotency_key: str | None = None
    settings: Settings = field(default_factory=Settings)
    db: Database | None = field(default=None, repr=False)
    touched: set[str] = field(default_factory=set)  # ids of the objects this request changed (request logs)

    def checkpoint(self) -> None:
        """Commit what the operation did so far: it survives whatever happens next (a processor call,
        a crash). Operations that call the outside world use this to persist their recovery point first;
        the rest of the operation runs in a new transaction."""
        self.session.commit()

    @property
    def merchant_id(self) -> str:
        assert self.principal is not None
        return self.principal.merchant_id

    @property
    def env_id(self) -> str:
        assert self.principal is not None
        return self.principal.env_id

    def can(self, operation_name: str) -> bool:
        """True when the operation exists and the calling key's scopes allow it."""
        op = registry.get(operation_name)
        return op is not None and (self.principal is None or self.principal.has_scope(op.scope))

    def record(self, object_type: str, object_id: str, activity_type: str, delta: dict[str, Any]) -> None:
        """Write the activity of a mutation, in the mutation's transaction, as the object's next ``sequence``.

        The caller holds the object's row lock (``SELECT ... FOR UPDATE``; on SQLite every write transaction
        holds the database's write lock), taken before it read what it changes. So every earlier activity of
        the object is committed or this transaction's own (flushed by the query below), and no other writer
        can take max + 1 before this one commits: sequence order is the order the changes were applied in,
        and each delta's ``before`` is the previous activity's ``after``. ``occurred_at`` is the request's
        start and cannot order them: a request that waited for the lock started before the one it waited
        for finished. A caller without the lock fails on the unique index instead of forking the chain."""
        self.touched.add(object_id)
        last = self.session.scalar(select(func.max(Activity.sequence)).where(
            Activity.merchant_id == self.merchant_id, Activity.env_id == self.env_id,
            Activity.object_id == object_id, Activity.object_type == object_type))
        self.session.add(Activity(
            activity_id=ids.new_id("activity"), merchant_id=self.merchant_id, env_id=self.env_id,
            object_type=object_type, object_id=object_id, sequence=(last or 0) + 1, type=activity_type,
            occurred_at=self.now, actor=self.principal.api_key_id if self.principal else "system", face=self.face,
            request_id=self.request_id, delta=delta))


def system_context(session: Session, merchant_id: str, env_id: str, *, operation: str, settings: Settings,
                   face: str = "system", request_id: str | None = None, now: datetime | None = None,
                   db: Database | None = None) -> Context:
    """Act for the system in one merchant's environment (actor ``system``, every scope): the jobs, and the
    hosted pages, whose buyer has no key (the checkout session is the merchant's authorization)."""
    principal = Principal(api_key_id="system", merchant_id=merchant_id, env_id=env_id,
                          mode="live" if env_id == LIVE else "test", kind="system", scopes=frozenset({ALL}))
    op = registry.get(operation)
    assert op is not None, operation
    return Context(session=session, principal=principal, operation=op, request_id=request_id, face=face,
                   now=now or utcnow(), settings=settings, db=db)


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    body: str  # JSON text, replayed byte for byte
    replayed: bool = False
    quota: rate_limits.Quota | None = None  # the tightest rate-limit budget, for the RateLimit-* headers

    @property
    def should_retry(self) -> bool:
        if self.status < 400:
            return False
        return bool(json.loads(self.body).get("error", {}).get("retryable"))


def _error(exc: FlintError, request_id: str) -> Outcome:
    return Outcome(exc.http_status, dumps(exc.envelope(request_id)))


def dumps(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def serialize(result: BaseModel) -> str:
    return dumps(result.model_dump(mode="json"))


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def parse(op: Operation, arguments: dict[str, Any]) -> BaseModel:
    """Validate arguments with the operation's input model; a ``null`` field, at any depth, means the
    same as an absent one (OpenAI strict mode sends null for every optional argument)."""
    try:
        return op.input_model.model_validate(_drop_nulls(arguments))
    except ValidationError as exc:
        raise translate(exc) from None


def invoke(db: Database, name: str | None, arguments: dict[str, Any], *, api_key: str | None, face: str,
           request_id: str | None = None, idempotency_key: str | None = None,
           settings: Settings = Settings(), transport: Transport | None = None,
           rejected: FlintError | None = None) -> Outcome:
    """Run operation ``name`` for a caller and log the request. ``transport`` is what the face knows (method,
    path, client address); ``rejected`` is an error the face already found (bad JSON, unknown tool,
    schema violation): it is the answer, but the request is still authenticated, budgeted and logged."""
    request_id = request_id or ids.new_id("request")
    entry = request_logs.Entry(request_id=request_id, face=face, operation=name, transport=transport,
                               arguments=arguments, idempotency_key=idempotency_key, now=utcnow())
    outcome = _invoke(db, entry, arguments, api_key=api_key, idempotency_key=idempotency_key, settings=settings,
                      rejected=rejected)
    if not entry.logged:
        request_logs.write(db, entry, outcome.status, outcome.body, outcome.replayed)
    return replace(outcome, quota=entry.quota) if entry.quota is not None else outcome


def _admit(db: Database, entry: request_logs.Entry, api_key: str | None, settings: Settings) -> Principal | None:
    """Authenticate the key and spend its rate-limit budgets in ONE write transaction (a refusal rolls
    it back). Calls without a key are budgeted per client address when the face knows it."""
    budgets = settings.rate_limits
    client = entry.transport.client if entry.transport else None
    if api_key is None and (client is None or not budgets.per_client.enabled):
        return None
    try:
        with db.transaction() as session:
            if api_key is None:
                entry.quota = rate_limits.take(session, rate_limits.client_buckets(budgets, client or ""), entry.now)
                return None
            principal = entry.principal = authenticate(session, api_key, entry.now)
            entry.quota = rate_limits.take(session, rate_limits.key_buckets(
                budgets, api_key_id=principal.api_key_id, merchant_id=principal.merchant_id, mode=principal.mode),
                entry.now)
            return principal
    except rate_limits.RateLimited as exc:
        entry.quota = exc.quota
        raise exc.error() from None


def _invoke(db: Database, entry: request_logs.Entry, arguments: dict[str, Any], *, api_key: str | None,
            idempotency_key: str | None, settings: Settings, rejected: FlintError | None) -> Outcome:
    request_id, now, name = entry.request_id, entry.now, entry.operation
    op = registry.get(name) if name else None
    try:
        if op is None and rejected is None:
            raise FlintError("route_not_found", method="CALL", path=name)
        principal = None
        try:
            if api_key:
                principal = _admit(db, entry, api_key, settings)
            elif op is not None and op.auth == "key":
                raise FlintError("missing_api_key")
            elif rejected is None:
                _admit(db, entry, None, settings)  # keyless (create_merchant, public docs): the client's budget
        except FlintError as exc:
            # an error the face found wins over the key's, except a refusal for being over budget
            if rejected is None or exc.spec.type == "rate_limit_error":
                raise
        # The scope before any judgement of the arguments, on every face: a key never learns how to call
        # an operation it may not call (docs/authentication.md).
        if principal is not None and op is not None and not principal.has_scope(op.scope):
            raise FlintError("missing_scope", scope=op.scope, operation=op.name)
        if rejected is not None:
            raise rejected
        assert op is not None
        if principal is not None:
            limits.check_operation(principal.limits, op, arguments)
        params = parse(op, arguments)
        if idempotency_key is not None and not op.safety.read_only:
            idempotency.validate_key(idempotency_key)
    except FlintError as exc:
        return _error(exc, request_id)

    key = idempotency_key if not op.safety.read_only else None
    scope = (principal.merchant_id, principal.env_id) if principal else PUBLIC_SCOPE
    claim = dict(merchant_id=scope[0], env_id=scope[1], key=key, request_id=request_id)
    if key is not None:
        try:
            replay = idempotency.claim(db, operation=op.name, now=now, fingerprint=idempotency.fingerprint(
                op.name, params.model_dump(mode="json")), **claim)
        except FlintError as exc:
            return _error(exc, request_id)
        if replay is not None:
            entry.attribute_signup(replay.body)
            return Outcome(replay.status, replay.body, replayed=True)

    try:
        with db.session(write=not op.safety.read_only) as session:
            ctx = Context(session=session, principal=principal, operation=op, request_id=request_id, face=entry.face,
                          now=now, idempotency_key=key, settings=settings, db=db, touched=entry.touched)
            outcome = Outcome(200, serialize(op.handler(ctx, params)))
            if key is not None and not idempotency.complete(session, status=outcome.status, body=outcome.body,
                                                            **claim):
                raise FlintError("idempotency_request_in_progress", param="idempotency_key")
            entry.attribute_signup(outcome.body)
            if not op.safety.read_only:
                request_logs.add(session, entry, outcome.status, outcome.body)
            elif not db.is_sqlite:  # a SQLite read transaction must not write; on PostgreSQL it can
                request_logs.relax_commit(session)
                request_logs.add(session, entry, outcome.status, outcome.body)
            session.commit()
            return outcome
    except FlintError as exc:
        entry.logged = False  # the operation's transaction (and any log in it) rolled back
        outcome = _error(exc, request_id)
        if key is not None and exc.http_status < 500 and exc.spec.type not in UNSTORED:
            # Execution began: its (rolled back) failure is the key's answer from now on.
            with db.transaction() as session:
                idempotency.complete(session, status=outcome.status, body=outcome.body, **claim)
                request_logs.add(session, entry, outcome.status, outcome.body)
        elif key is not None:
            idempotency.release(db, **claim)
        return outcome
    except Exception:
        entry.logged = False
        log.exception("operation %s failed (request %s)", name, request_id)
        if key is not None:
            idempotency.release(db, **claim)
        return _error(FlintError("internal_error", request_id=request_id), request_id)
