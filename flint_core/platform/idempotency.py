"""Idempotency keys (API.md section 3): claim before executing, store the response in the SAME
transaction as the effects, replay it byte for byte.

The claim, the effects and the stored response commit together, so a process that dies mid-request
leaves nothing, or (after a checkpoint) an unanswered claim; once its lease lapses the key can be executed
again, and nothing ran twice.
A claim also carries the claiming request's id: an executor whose claim was taken over can no longer
commit (``complete`` finds no row), so at most one execution of a key ever commits.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from flint_core.kernel.errors import FlintError
from flint_core.store.db import Database
from flint_core.store.tables import IdempotencyRecord

WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Replay:
    status: int
    body: str


def validate_key(key: str) -> None:
    if not (1 <= len(key) <= 255) or not all(32 <= ord(c) < 127 for c in key):
        raise FlintError("invalid_idempotency_key", param="idempotency_key")


def fingerprint(operation: str, params: dict[str, Any]) -> str:
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{operation}\n{canonical}".encode()).hexdigest()


def claim(session: Session, *, merchant_id: str, env_id: str, key: str, operation: str, fingerprint: str,
          request_id: str, now: datetime, lease: timedelta) -> Replay | None:
    """Claim ``key`` for this request in the caller's transaction, the one that runs the operation: the
    claim commits with the effects and the answer (or with the operation's first checkpoint). Returns None
    when claimed (go ahead), a Replay of the stored response, or raises idempotency_key_reused /
    idempotency_request_in_progress. A concurrent request with the same key waits for this transaction
    (on the unique index, or SQLite's writer lock) and then finds its answer. A claim older than ``lease``
    (``Settings.idempotency_lease_seconds``), still unanswered, was committed by a checkpoint of a process
    that died."""
    values = dict(merchant_id=merchant_id, env_id=env_id, key=key, operation=operation, fingerprint=fingerprint,
                  request_id=request_id, locked_at=now, created_at=now)
    insert = _insert(session.bind.dialect.name)  # type: ignore[union-attr]
    if session.execute(insert, values).first() is not None:  # a new key: claimed, nothing more to read
        return None
    record = session.scalar(select(IdempotencyRecord).with_for_update().where(
        IdempotencyRecord.merchant_id == merchant_id, IdempotencyRecord.env_id == env_id,
        IdempotencyRecord.key == key))
    assert record is not None
    if record.request_id == request_id:
        return None
    expired = record.created_at <= now - WINDOW
    if not expired and (record.operation != operation or record.fingerprint != fingerprint):
        raise FlintError("idempotency_key_reused", param="idempotency_key", operation=record.operation)
    if not expired and record.status_code is not None:
        return Replay(record.status_code, record.response_body or "")
    if not expired and record.locked_at is not None and record.locked_at > now - lease:
        raise FlintError("idempotency_request_in_progress", param="idempotency_key")
    # Expired, or abandoned by a dead process: take the key over.
    for name, value in values.items():
        setattr(record, name, value)
    record.status_code = record.response_body = None
    return None


@functools.cache
def _insert(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(IdempotencyRecord.__table__).on_conflict_do_nothing().returning(IdempotencyRecord.__table__.c.id)


def storable(body: str) -> str:
    """The response as stored for replays: API key secrets are never stored, so a replay of a response
    that revealed one (create_api_key, roll_api_key, create_sandbox, create_merchant) returns the same
    object with ``secret: null``. A client that lost the first response rolls the key."""
    if '"secret":"' not in body:
        return body

    def redact(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: None if k == "secret" else redact(v) for k, v in value.items()}
        if isinstance(value, list):
            return [redact(v) for v in value]
        return value

    return json.dumps(redact(json.loads(body)), separators=(",", ":"), ensure_ascii=False)


def complete(session: Session, *, merchant_id: str, env_id: str, key: str, request_id: str, status: int,
             body: str) -> bool:
    """Store the response; False if this request no longer holds the claim (then roll back): another
    request took it over, or it is answered already (a rerun after a commit that did happen although its
    connection broke must not execute the key a second time)."""
    result = session.execute(_COMPLETE, dict(b_merchant_id=merchant_id, b_env_id=env_id, b_key=key,
                                             b_request_id=request_id, status_code=status, response_body=storable(body)))
    return result.rowcount == 1


_RECORDS = IdempotencyRecord.__table__.c
# Core statements, compiled once: a write stores its answer on every request with a key
_COMPLETE = (update(IdempotencyRecord.__table__)
             .where(_RECORDS.merchant_id == bindparam("b_merchant_id"), _RECORDS.env_id == bindparam("b_env_id"),
                    _RECORDS.key == bindparam("b_key"), _RECORDS.request_id == bindparam("b_request_id"),
                    _RECORDS.status_code.is_(None))
             .values(locked_at=None))  # status_code and response_body: bound at execution


def release(db: Database, *, merchant_id: str, env_id: str, key: str, request_id: str) -> None:
    """Forget a claim whose request failed before or outside execution (so the key can be retried). An
    answer already stored stays (a commit that happened although its connection broke): it is the key's."""
    db.run(lambda session: session.execute(
        IdempotencyRecord.__table__.delete().where(
            IdempotencyRecord.merchant_id == merchant_id, IdempotencyRecord.env_id == env_id,
            IdempotencyRecord.key == key, IdempotencyRecord.request_id == request_id,
            IdempotencyRecord.status_code.is_(None))))
