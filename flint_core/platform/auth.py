"""API keys: issue, hash, authenticate. Secrets are shown once and stored only as SHA-256 hashes
(they are 190-bit random strings, so a fast hash is enough; no password stretching is needed)."""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError
from flint_core.platform.registry import SCOPES
from flint_core.store.tables import LIVE, ApiKey

ALL = "*"  # the scope list of secret keys: every scope, present and future
_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a key, its merchant and its environment (a sandbox id, or ``live``)."""

    api_key_id: str
    merchant_id: str
    env_id: str
    mode: str  # test | live
    kind: str  # secret | restricted
    scopes: frozenset[str]
    limits: dict[str, Any] = field(default_factory=dict)  # guard rails for agents (flint_core.limits)

    def has_scope(self, scope: str | None) -> bool:
        if scope is None or ALL in self.scopes or scope in self.scopes:
            return True
        resource, _, access = scope.partition(":")
        return access == "read" and f"{resource}:write" in self.scopes

    @property
    def sandbox_id(self) -> str | None:
        return None if self.env_id == LIVE else self.env_id


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_key(session: Session, *, merchant_id: str, env_id: str, kind: str, scopes: list[str], now: datetime,
              name: str | None = None, expires_at: datetime | None = None, created_by: str | None = None,
              limits: dict[str, Any] | None = None) -> tuple[ApiKey, str]:
    """Create a key row; return it with its secret (the only time the secret exists in clear)."""
    mode = "live" if env_id == LIVE else "test"
    prefix = {"secret": "sk", "restricted": "rk"}[kind]
    secret = f"{prefix}_{mode}_" + "".join(secrets.choice(_ALPHABET) for _ in range(32))
    key = ApiKey(api_key_id=ids.new_id("api_key"), merchant_id=merchant_id, env_id=env_id, mode=mode, kind=kind,
                 name=name, scopes=[ALL] if kind == "secret" else sorted(scopes), secret_hash=hash_secret(secret),
                 redacted=f"{secret[:8]}...{secret[-4:]}", expires_at=expires_at, created_by=created_by,
                 created_at=now, limits=limits or {})
    session.add(key)
    return key, secret


def validate_scopes(scopes: list[str]) -> None:
    for scope in scopes:
        if scope not in SCOPES:
            raise FlintError("invalid_scope", param="scopes", scope=scope)


# What authentication reads of a key, as plain columns: every request runs it, and rows without ORM objects
# cost a fraction of loading an ApiKey (one statement, compiled once).
_KEYS = ApiKey.__table__.c
_BY_HASH = select(_KEYS.api_key_id, _KEYS.merchant_id, _KEYS.env_id, _KEYS.mode, _KEYS.kind, _KEYS.scopes, _KEYS.limits,
                  _KEYS.revoked_at, _KEYS.expires_at).where(_KEYS.secret_hash == bindparam("hash"))


def authenticate(db: Session | Connection, secret: str | None, now: datetime) -> Principal:
    """The key's principal, read on ``db`` (a session, or its connection: a Core statement either way)."""
    if not secret:
        raise FlintError("missing_api_key")
    key = db.execute(_BY_HASH, {"hash": hash_secret(secret)}).first()
    if key is None:
        raise FlintError("invalid_api_key")
    if key.revoked_at is not None:
        raise FlintError("api_key_revoked")
    if key.expires_at is not None and key.expires_at <= now:
        raise FlintError("api_key_expired", expires_at=key.expires_at.isoformat())
    return Principal(api_key_id=key.api_key_id, merchant_id=key.merchant_id, env_id=key.env_id, mode=key.mode,
                     kind=key.kind, scopes=frozenset(key.scopes), limits=key.limits or {})
