"""Running an operation: the one path every face takes (HTTP, MCP, tool calls).

``invoke`` authenticates, checks the scope, validates the arguments with the operation's input model and
runs the handler, then answers with JSON text. Faces only translate transport details.

A write runs in ONE transaction: authentication, the idempotency claim, the operation's effects with
their activities and events, the stored answer, the rate-limit spend and the request log commit together.
A read runs in a read transaction (no write lock), then spends its budget and writes its log in a short
bookkeeping transaction (on PostgreSQL, in the read transaction itself). The budget is spent last (just
before the first commit), so a request refused for its budget rolls back with no effect, and the bucket
rows are locked only for a moment. A request refused before it ran (a bad argument, a missing scope) is
logged and charged; a write whose operation failed is rolled back, then its answer, log and charge commit
in a small transaction of their own.

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
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError
from flint_core.platform import idempotency, limits, rate_limits, registry, request_logs, schema
from flint_core.platform.auth import Principal, authenticate
from flint_core.platform.context import Context, utcnow
from flint_core.platform.registry import Operation
from flint_core.platform.request_logs import Transport
from flint_core.platform.schema import Resource
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
    return dumps(result.as_json() if isinstance(result, Resource) else result.model_dump(mode="json"))


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
    op = registry.get(name) if name else None
    if op is None and rejected is None:
        rejected = FlintError("route_not_found", method="CALL", path=name)
    call = _Call(db, entry, op, arguments, api_key, idempotency_key, settings, rejected)
    outcome = call.write() if op is not None and rejected is None and not op.safety.read_only else call.read()
    if not entry.logged:
        request_logs.write(db, entry, outcome.status, outcome.body, outcome.replayed)
    return replace(outcome, quota=entry.quota) if entry.quota is not None else outcome


@dataclass
class _Call:
    """One request on its way through ``invoke``."""

    db: Database
    entry: request_logs.Entry
    op: Operation | None
    arguments: dict[str, Any]
    api_key: str | None
    idempotency_key: str | None
    settings: Settings
    rejected: FlintError | None
    principal: Principal | None = None
    spent: bool = False

    @property
    def request_id(self) -> str:
        return self.entry.request_id

    def answer(self, exc: FlintError) -> Outcome:
        return error_outcome(exc, self.request_id, self.settings)

    # -- the steps every request takes ------------------------------------------------------------------

    def authenticate(self, connection: Connection) -> None:
        """Who is calling. An error the face found wins over the key's (the request is answered with it)."""
        try:
            if self.api_key:
                self.principal = self.entry.principal = authenticate(connection, self.api_key, self.entry.now)
            elif self.op is not None and self.op.auth == "key" and self.rejected is None:
                raise FlintError("missing_api_key")
        except FlintError:
            if self.rejected is None:
                raise

    def judge(self) -> BaseModel:
        """The operation's arguments, once the caller may call it: the scope before any judgement of the
        arguments, on every face (a key never learns how to call an operation it may not call)."""
        op, principal = self.op, self.principal
        if principal is not None and op is not None and not principal.has_scope(op.scope):
            raise FlintError("missing_scope", scope=op.scope, operation=op.name)
        if self.rejected is not None:
            raise self.rejected
        assert op is not None
        if principal is not None:
            limits.check_operation(principal.limits, op, self.arguments)
        params = parse(op, self.arguments)
        if self.idempotency_key is not None and not op.safety.read_only:
            idempotency.validate_key(self.idempotency_key)
        return params

    def spend(self, connection: Connection, *, refuse: bool = True) -> None:
        """Spend the request from its rate-limit budgets, in ``connection``'s transaction (raises RateLimited
        when over budget and ``refuse``; the transaction must then roll back). Keyless calls spend the
        client's budget."""
        if self.spent:
            return
        budgets, client = self.settings.rate_limits, self.entry.transport.client if self.entry.transport else None
        if self.principal is not None:
            buckets = rate_limits.key_buckets(budgets, api_key_id=self.principal.api_key_id,
                                              merchant_id=self.principal.merchant_id, mode=self.principal.mode)
        elif self.api_key is None and client is not None and self.rejected is None:
            buckets = rate_limits.client_buckets(budgets, client)
        else:
            return
        try:  # judged at the clock now: requests spend in the order they commit, and one that waited for a lock
            # behind later spenders must not be judged at the earlier moment it started
            self.entry.quota = rate_limits.take(connection, buckets, utcnow())
        except rate_limits.RateLimited as exc:
            self.entry.quota = exc.quota
            if refuse:
                raise
        self.spent = True

    def log(self, connection: Connection, outcome: Outcome) -> Outcome:
        request_logs.add(connection, self.entry, outcome.status, outcome.body, outcome.replayed)
        return outcome

    # -- reads ------------------------------------------------------------------------------------------

    def read(self) -> Outcome:
        """A read, or a request refused before it ran: a read transaction (no write lock), then the
        bookkeeping, in that same transaction on PostgreSQL, in a short write transaction on SQLite."""

        def attempt() -> Outcome:
            self.spent = False
            with self.db.session(write=False) as session:
                self.authenticate(session.connection())
                outcome = self.run_read(session)
                if not self.db.is_sqlite:
                    self.settle(session.connection(), outcome)
                session.commit()  # a preview's record (previews.issue) is the one thing a read may write
            if self.db.is_sqlite:
                self.db.run_core(lambda bookkeeping: self.settle(bookkeeping, outcome))
            return outcome

        try:
            return retry_transient(attempt)
        except rate_limits.RateLimited as exc:  # what the attempt logged rolled back with it
            self.entry.logged = False
            return self.answer(exc.error())
        except FlintError as exc:  # authentication
            self.entry.logged = False
            return self.answer(exc)
        except Exception as exc:
            self.entry.logged = False
            log.exception("%s failed (request %s)", self.entry.operation, self.request_id)
            return self.answer(unexpected_error(exc, self.request_id))

    def run_read(self, session: Session) -> Outcome:
        try:
            params = self.judge()
        except FlintError as exc:
            return self.answer(exc)
        assert self.op is not None
        ctx = Context(session=session, principal=self.principal, operation=self.op, request_id=self.request_id,
                      face=self.entry.face, now=self.entry.now, settings=self.settings, db=self.db,
                      touched=self.entry.touched)
        try:
            return Outcome(200, serialize(self.op.handler(ctx, params)))
        except FlintError as exc:
            return self.answer(exc)

    def settle(self, connection: Connection, outcome: Outcome) -> Outcome:
        """Spend the budget and log the request, in ``connection``'s transaction. A read's transaction writes
        only this bookkeeping: its commit need not wait for the disk (``relax_commit``)."""
        if self.op is None or self.op.safety.read_only or self.rejected is not None:
            request_logs.relax_commit(connection)
        self.spend(connection)
        self.entry.attribute_signup(outcome.body)
        return self.log(connection, outcome)

    # -- writes -----------------------------------------------------------------------------------------

    def write(self) -> Outcome:
        """A write: one transaction from authentication to the request log."""
        op = self.op
        assert op is not None
        key = self.idempotency_key
        claim = dict(merchant_id=PUBLIC_SCOPE[0], env_id=PUBLIC_SCOPE[1], key=key, request_id=self.request_id)
        touched_before = set(self.entry.touched)
        ctx: Context | None = None
        committing = False

        def attempt() -> Outcome:
            nonlocal ctx, committing
            ctx, committing, self.spent = None, False, False
            self.entry.touched.clear()  # what a rolled-back attempt touched is not what this request did
            self.entry.touched.update(touched_before)
            self.entry.logged = False
            with self.db.session(write=True) as session:
                self.authenticate(session.connection())

                def settle(outcome: Outcome) -> Outcome:
                    nonlocal committing
                    self.settle(session.connection(), outcome)
                    committing = True
                    session.commit()
                    return outcome

                try:
                    params = self.judge()
                    if self.principal is not None:
                        claim.update(merchant_id=self.principal.merchant_id, env_id=self.principal.env_id)
                    if key is not None:
                        lease = timedelta(seconds=self.settings.idempotency_lease_seconds)
                        claim.update(operation=op.name, lease=lease,
                                     fingerprint=idempotency.fingerprint(op.name, params.model_dump(mode="json")))
                    replay = key and idempotency.claim(session, now=self.entry.now, **claim)
                except FlintError as exc:  # refused before it ran: charged and logged
                    return settle(self.answer(exc))
                if replay:
                    return settle(Outcome(replay.status, replay.body, replayed=True))
                ctx = Context(session=session, principal=self.principal, operation=op, request_id=self.request_id,
                              face=self.entry.face, now=self.entry.now, idempotency_key=key, settings=self.settings,
                              db=self.db, touched=self.entry.touched,
                              before_first_commit=lambda: self.spend(session.connection()))
                outcome = Outcome(200, serialize(op.handler(ctx, params)))
                if key is not None and not idempotency.complete(session, status=outcome.status, body=outcome.body,
                                                                **_held(claim)):
                    raise FlintError("idempotency_request_in_progress", param="idempotency_key")
                return settle(outcome)

        def rerun_is_harmless() -> bool:
            # A checkpoint committed work and was followed by a call to the outside world (the processor): a
            # rerun would make that call again; the client's retry with the same key resumes it instead. A
            # COMMIT whose connection broke may have happened: a rerun is harmless only when the stored answer
            # fences it (idempotency.complete finds the key answered) or the operation writes nothing.
            if ctx is not None and ctx.checkpointed:
                return False
            return not committing or key is not None

        try:
            return retry_transient(attempt, may_retry=rerun_is_harmless)
        except rate_limits.RateLimited as exc:  # spent before anything committed: nothing happened
            self.entry.logged = False
            return self.answer(exc.error())
        except FlintError as exc:
            self.entry.logged = False
            if ctx is None:  # authentication
                return self.answer(exc)
            return self.failed(exc, claim if key is not None else None, checkpointed=ctx.checkpointed)
        except Exception as exc:
            self.entry.logged = False
            log.exception("operation %s failed (request %s)", op.name, self.request_id)
            checkpointed = ctx is not None and ctx.checkpointed
            if key is not None and (checkpointed or committing):
                _release(self.db, claim)
            return self.answer(unexpected_error(exc, self.request_id, checkpointed=checkpointed))

    def failed(self, exc: FlintError, claim: dict[str, Any] | None, *, checkpointed: bool) -> Outcome:
        """The operation raised: its transaction rolled back (to its last checkpoint). Its answer becomes the
        key's (execution began: API.md section 3), and the request is charged and logged, in one small
        transaction; an answer that may pass another time (a 5xx, a missing permission) is not stored."""
        outcome = self.answer(exc)
        store = claim is not None and exc.http_status < 500 and exc.spec.type not in UNSTORED

        def record(session: Session) -> None:
            self.spent = checkpointed  # a checkpoint committed the spend
            self.spend(session.connection(), refuse=False)
            if store:
                assert claim is not None
                try:
                    mine = idempotency.claim(session, now=self.entry.now, **claim) is None
                except FlintError:  # another request took the key meanwhile: its answer is the key's
                    mine = False
                if mine:
                    idempotency.complete(session, status=outcome.status, body=outcome.body, **_held(claim))
            self.log(session.connection(), outcome)

        try:
            self.db.run(record)
        except Exception:  # the answer stands; a claim committed by a checkpoint lapses with its lease
            self.entry.logged = False
            log.exception("storing the answer of %s failed (request %s)", self.entry.operation, self.request_id)
        if claim is not None and checkpointed and not store:
            _release(self.db, claim)
        return outcome


def _held(claim: dict[str, Any]) -> dict[str, Any]:
    """The fields that name a claim (what ``complete`` and ``release`` match)."""
    return {name: claim[name] for name in ("merchant_id", "env_id", "key", "request_id")}


def _release(db: Database, claim: dict[str, Any]) -> None:
    """Give back a key whose claim committed (with a checkpoint, or a commit that may have happened) after a
    failure that is not its answer. If even that fails, the request's answer stands: the claim stays until
    its lease lapses, then the key can be used again."""
    try:
        idempotency.release(db, **_held(claim))
    except Exception:
        log.exception("releasing idempotency key %r failed (request %s)", claim["key"], claim["request_id"])
