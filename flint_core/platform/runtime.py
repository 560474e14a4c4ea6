"""Running an operation: the one path every face takes (HTTP, MCP, tool calls).

``invoke`` authenticates, checks the scope, validates the arguments with the operation's input model,
claims the idempotency key, runs the handler in one transaction together with its activity rows and the
stored response, and returns the response as JSON text. Faces only translate transport details.

Each of those transactions runs again when the database fails it transiently (a deadlock, a serialization
failure, a lost connection: ``store.db.is_transient``), except an operation that already committed a
checkpoint (it may have called the card processor, which a rerun must not repeat). A failure that is not
a FlintError is answered by ``unexpected_error``: retryable only when it is transient or not the database's.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError
from flint_core.platform import idempotency, limits, rate_limits, registry, request_logs, schema
from flint_core.platform.auth import Principal, authenticate
from flint_core.platform.context import Context, utcnow
from flint_core.platform.registry import Operation
from flint_core.platform.request_logs import Transport
from flint_core.platform.settings import Settings
from flint_core.platform.validation import translate
from flint_core.store.db import Database, is_transient, retry_transient

log = logging.getLogger("flint")
PUBLIC_SCOPE = ("public", "public")  # idempotency scope of calls made without a key (create_merchant)
# How long a client is asked to wait after database_busy: Flint's own retries already took a moment, and
# deadlocks and failovers clear within seconds.
BUSY_RETRY_AFTER_SECONDS = 1
# Never stored as an idempotent answer (API.md section 3), even when raised while the operation runs: the
# same request may succeed with another key or once the key's powers change.
UNSTORED = frozenset({"authentication_error", "permission_error", "rate_limit_error"})


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

    @property
    def retry_after_seconds(self) -> int | None:
        """The error's ``retry_after_seconds`` (a 429, a 503): the ``Retry-After`` header."""
        if self.status < 400:
            return None
        return json.loads(self.body).get("error", {}).get("retry_after_seconds")


def error_outcome(exc: FlintError, request_id: str | None, settings: Settings) -> Outcome:
    """The error envelope as an outcome: how every face answers a FlintError (its doc_url absolute)."""
    return Outcome(exc.http_status, dumps(exc.envelope(request_id, public_url=settings.public_url)))


def unexpected_error(exc: Exception, request_id: str | None, *, checkpointed: bool = False) -> FlintError:
    """The answer to a failure that is not a FlintError. A transient database failure that outlasted its
    retries (``database_busy``, 503) and a bug outside the database (``internal_error``, 500) may well
    pass if the request is sent again; any other database error (bad data, a constraint, a broken
    query) fails the same way every time and is ``database_error``, not retryable. After a checkpoint
    (the operation committed part of its work and may have called the card processor) the effect is
    ``unknown``: only the same idempotency key may be used again, which resumes that work."""
    effect = "unknown" if checkpointed else None
    if is_transient(exc):
        return FlintError("database_busy", request_id=request_id, retry_after_seconds=BUSY_RETRY_AFTER_SECONDS,
                          retry_after=BUSY_RETRY_AFTER_SECONDS, effect=effect)
    if isinstance(exc, DBAPIError):
        return FlintError("database_error", request_id=request_id, effect=effect)
    return FlintError("internal_error", request_id=request_id, effect=effect)


def dumps(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def serialize(result: BaseModel) -> str:
    return dumps(result.model_dump(mode="json"))


def parse(op: Operation, arguments: dict[str, Any]) -> BaseModel:
    """Validate arguments with the operation's input model; a ``null`` field, at any depth, means the
    same as an absent one (OpenAI strict mode sends null for every optional argument)."""
    try:
        return op.input_model.model_validate(schema.drop_nulls(arguments))
    except ValidationError as exc:
        raise translate(exc) from None


def run_as_system(ctx: Context, arguments: dict[str, Any]) -> tuple[BaseModel | None, FlintError | None]:
    """Run ``ctx.operation`` for the system actor (``context.system_context``: a hosted page acting for the
    merchant whose page it is) inside the caller's transaction, its arguments validated as ``invoke``
    validates them. On a FlintError, what the operation did since its last checkpoint is rolled back
    (what it committed before calling the processor stays) and the error is returned, for the page to
    show; the caller commits the rest."""
    try:
        return ctx.operation.handler(ctx, parse(ctx.operation, arguments)), None
    except FlintError as exc:
        ctx.session.rollback()
        return None, exc


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

    def admit(session: Session) -> Principal | None:
        if api_key is None:
            entry.quota = rate_limits.take(session, rate_limits.client_buckets(budgets, client or ""), entry.now)
            return None
        principal = entry.principal = authenticate(session, api_key, entry.now)
        entry.quota = rate_limits.take(session, rate_limits.key_buckets(
            budgets, api_key_id=principal.api_key_id, merchant_id=principal.merchant_id, mode=principal.mode),
            entry.now)
        return principal

    try:
        return db.run(admit)
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
        except Exception as exc:  # the database failed the admission (after its retries)
            log.exception("admitting %s failed (request %s)", name, request_id)
            return error_outcome(unexpected_error(exc, request_id), request_id, settings)
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
        return error_outcome(exc, request_id, settings)

    key = idempotency_key if not op.safety.read_only else None
    scope = (principal.merchant_id, principal.env_id) if principal else PUBLIC_SCOPE
    claim = dict(merchant_id=scope[0], env_id=scope[1], key=key, request_id=request_id)
    if key is not None:
        try:
            replay = idempotency.claim(db, operation=op.name, now=now, fingerprint=idempotency.fingerprint(
                op.name, params.model_dump(mode="json")), **claim,
                lease=timedelta(seconds=settings.idempotency_lease_seconds))
        except FlintError as exc:
            return error_outcome(exc, request_id, settings)
        except Exception as exc:  # the database failed the claim (after its retries): no claim was made
            log.exception("claiming the idempotency key of %s failed (request %s)", name, request_id)
            return error_outcome(unexpected_error(exc, request_id), request_id, settings)
        if replay is not None:
            entry.attribute_signup(replay.body)
            return Outcome(replay.status, replay.body, replayed=True)

    touched_before = set(entry.touched)
    ctx: Context | None = None
    committing = False

    def attempt() -> Outcome:
        nonlocal ctx, committing
        committing = False
        entry.touched.clear()  # what a rolled-back attempt touched is not what this request did
        entry.touched.update(touched_before)
        entry.logged = False
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
            committing = True
            session.commit()
            return outcome

    def rerun_is_harmless() -> bool:
        # A checkpoint committed work and was followed by a call to the outside world (the processor): a
        # rerun would make that call again; the client's retry with the same key resumes it instead. A
        # COMMIT whose connection broke may have happened: a rerun is harmless only when the stored answer
        # fences it (idempotency.complete finds the key answered) or the operation writes nothing.
        if ctx is not None and ctx.checkpointed:
            return False
        return not committing or key is not None or op.safety.read_only

    try:
        return retry_transient(attempt, may_retry=rerun_is_harmless)
    except FlintError as exc:
        entry.logged = False  # the operation's transaction (and any log in it) rolled back
        outcome = error_outcome(exc, request_id, settings)
        if key is not None and exc.http_status < 500 and exc.spec.type not in UNSTORED:
            # Execution began: its (rolled back) failure is the key's answer from now on.
            def store_failure(session: Session) -> None:
                idempotency.complete(session, status=outcome.status, body=outcome.body, **claim)
                request_logs.add(session, entry, outcome.status, outcome.body)

            try:
                db.run(store_failure)
            except Exception:  # the answer stands; the unanswered claim lapses with its lease
                entry.logged = False
                log.exception("storing the answer of %s failed (request %s)", name, request_id)
        elif key is not None:
            _release(db, claim)
        return outcome
    except Exception as exc:
        entry.logged = False
        log.exception("operation %s failed (request %s)", name, request_id)
        if key is not None:
            _release(db, claim)
        checkpointed = ctx is not None and ctx.checkpointed
        return error_outcome(unexpected_error(exc, request_id, checkpointed=checkpointed), request_id, settings)


def _release(db: Database, claim: dict[str, Any]) -> None:
    """Give the idempotency key back after a failure that is not its answer. If even that fails, the
    request's answer stands: the claim stays until its lease lapses, then the key can be used again."""
    try:
        idempotency.release(db, **claim)
    except Exception:
        log.exception("releasing idempotency key %r failed (request %s)", claim["key"], claim["request_id"])
