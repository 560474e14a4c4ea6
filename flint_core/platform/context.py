"""What a handler receives: the ``Context`` of one request (its transaction, its caller, its clock), and
the context of the system actor that jobs and hosted pages act as.

A leaf below the runtime: the runtime makes contexts and runs handlers with them; limits, previews and
every domain only read them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session

from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError
from flint_core.platform import registry
from flint_core.platform.auth import ALL, Principal
from flint_core.platform.registry import Operation
from flint_core.platform.settings import Settings
from flint_core.processors.base import PaymentProcessor
from flint_core.processors.select import processor_for
from flint_core.store.db import Database
from flint_core.store.tables import LIVE, Activity


def utcnow() -> datetime:
    return datetime.now(UTC)


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
    checkpointed: bool = False  # a checkpoint committed: the operation can no longer be rerun from scratch
    # What must commit with the request's first commit (the runtime spends its rate-limit budget here, so a
    # request refused for its budget is refused before it calls the processor). Raising aborts it.
    before_first_commit: Callable[[], None] | None = field(default=None, repr=False)

    def checkpoint(self) -> None:
        """Commit what the operation did so far: it survives whatever happens next (a processor call,
        a crash). Operations that call the outside world use this to persist their recovery point first;
        the rest of the operation runs in a new transaction."""
        if not self.checkpointed and self.before_first_commit is not None:
            self.before_first_commit()
        self.checkpointed = True  # before the commit: one that fails may still have happened
        self.session.commit()

    @property
    def merchant_id(self) -> str:
        assert self.principal is not None
        return self.principal.merchant_id

    @property
    def env_id(self) -> str:
        assert self.principal is not None
        return self.principal.env_id

    def processor(self) -> PaymentProcessor:
        """The card processor of the caller's environment."""
        assert self.db is not None
        return processor_of(self.db, self.env_id, self.settings)

    def can(self, operation_name: str) -> bool:
        """True when the operation exists and the calling key's scopes allow it."""
        op = registry.get(operation_name)
        return op is not None and (self.principal is None or self.principal.has_scope(op.scope))

    def refusal(self, error: FlintError | None) -> dict[str, Any] | None:
        """How a preview reports the error the real call would raise: the envelope's ``error`` object."""
        return error.envelope(self.request_id, public_url=self.settings.public_url)["error"] if error else None

    def record(self, object_type: str, object_id: str, activity_type: str, delta: dict[str, Any], *,
               created: bool = False) -> None:
        """Write the activity of a mutation, in the mutation's transaction, as the object's next ``sequence``.

        The caller holds the object's row lock (``SELECT ... FOR UPDATE``; on SQLite every write transaction
        holds the database's write lock), taken before it read what it changes. So every earlier activity of
        the object is committed or this transaction's own (each is written at once), and no other writer
        can take max + 1 before this one commits: sequence order is the order the changes were applied in,
        and each delta's ``before`` is the previous activity's ``after``. ``occurred_at`` is the request's
        start and cannot order them: a request that waited for the lock started before the one it waited
        for finished. A caller without the lock fails on the unique index instead of forking the chain. An
        object ``created`` by this request has no earlier activity: its first is sequence 1, with no query."""
        self.touched.add(object_id)
        scope = {"merchant_id": self.merchant_id, "env_id": self.env_id, "object_id": object_id,
                 "object_type": object_type}
        last = None if created else self.session.scalar(_LAST_SEQUENCE, scope)
        self.session.execute(_INSERT_ACTIVITY, scope | {
            "activity_id": ids.new_id("activity"), "sequence": (last or 0) + 1, "type": activity_type,
            "occurred_at": self.now, "actor": self.principal.api_key_id if self.principal else "system",
            "face": self.face, "request_id": self.request_id, "delta": delta})


_activities = Activity.__table__
# Activities are only ever inserted, and read back here only for the sequence: Core statements, built once.
# Each is written at once, so the next one of the same object in this transaction counts it.
_LAST_SEQUENCE = select(func.max(_activities.c.sequence)).where(
    _activities.c.merchant_id == bindparam("merchant_id"), _activities.c.env_id == bindparam("env_id"),
    _activities.c.object_id == bindparam("object_id"), _activities.c.object_type == bindparam("object_type"))
_INSERT_ACTIVITY = insert(_activities)


def processor_of(db: Database, env_id: str, settings: Settings) -> PaymentProcessor:
    """The card processor of an environment under these settings (processors.select): what a request's
    context and a job acting without one both use."""
    return processor_for(db, env_id, stripe_api_key=settings.stripe_api_key,
                         crash_after_call=settings.simulator_crash_after_call)


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


