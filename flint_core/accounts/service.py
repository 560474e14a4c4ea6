"""The accounts domain's shared steps: signup (and `flint serve`'s first-start bootstrap), sandbox creation,
key limits, and the checks that keep a key within its own powers and its own sandbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from flint_core.accounts.inputs import KeyLimits
from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError, not_found
from flint_core.platform import auth
from flint_core.platform.context import Context
from flint_core.platform.limits import stricter
from flint_core.store.db import Database
from flint_core.store.tables import ApiKey, Merchant, Sandbox
from flint_core.tax.service import seed_environment

KEPT_HISTORY = ("api_key", "sandbox")  # what reset_sandbox keeps survives with its history


def create_sandbox_row(session: Session, *, merchant_id: str, name: str, now: datetime,
                       email_delivery: bool = False) -> Sandbox:
    sandbox = Sandbox(sandbox_id=ids.new_id("sandbox"), merchant_id=merchant_id, name=name, created_at=now,
                      email_delivery=email_delivery)
    session.add(sandbox)
    seed_environment(session, merchant_id=merchant_id, env_id=sandbox.sandbox_id, now=now)
    return sandbox


def signup(session: Session, *, name: str, email: str, now: datetime) -> tuple[Merchant, Sandbox, ApiKey, str]:
    """Create a merchant with its first sandbox and a secret test key (also used by `flint serve`)."""
    merchant = Merchant(merchant_id=ids.new_id("merchant"), name=name, email=email, created_at=now)
    session.add(merchant)
    session.flush()
    sandbox = create_sandbox_row(session, merchant_id=merchant.merchant_id, name="Default sandbox", now=now)
    key, secret = auth.issue_key(session, merchant_id=merchant.merchant_id, env_id=sandbox.sandbox_id,
                                 kind="secret", scopes=[], now=now, name="Default secret key")
    return merchant, sandbox, key, secret


def limits_of(limits: KeyLimits | None) -> dict[str, Any]:
    if limits is None:
        return {}
    data = limits.model_dump(mode="json", exclude_defaults=True)
    return {k: v for k, v in data.items() if v not in (None, False)}


def manageable(ctx: Context, key: ApiKey) -> None:
    """A key may only roll or revoke keys whose scopes it holds itself (no escalation, no lock-out)."""
    principal = ctx.principal
    assert principal is not None
    lacking = [s for s in key.scopes if not principal.has_scope(s)] if principal.kind != "secret" else []
    if principal.limits and stricter(principal.limits, key.limits or {}) != (key.limits or {}):
        lacking.append("a key without this key's limits")  # rolling it would hand out an unlimited secret
    if lacking:
        raise FlintError("scope_escalation", param="api_key_id", scopes=", ".join(lacking))


def own_sandbox(ctx: Context, sandbox_id: str, *, lock: bool = False) -> Sandbox:
    """The calling key's own sandbox: a key never acts on another sandbox's data (404 otherwise)."""
    stmt = select(Sandbox).where(Sandbox.sandbox_id == sandbox_id, Sandbox.sandbox_id == ctx.env_id,
                                 Sandbox.merchant_id == ctx.merchant_id)
    sandbox = ctx.session.scalar(stmt.with_for_update() if lock else stmt)
    if sandbox is None:
        raise not_found("sandbox", sandbox_id, "sandbox_id")
    return sandbox


def sandbox_key_name(sandbox_name: str, kind: str) -> str:
    """The sandbox key's name: the sandbox's, shortened to fit the 200 characters a key name holds."""
    suffix = f" {kind} key"
    return sandbox_name[:200 - len(suffix)] + suffix


def bootstrap(db: Database, now: datetime) -> str | None:
    """On a server's first start (no merchant yet) sign up a sandbox merchant; its secret test key, else
    None (`flint serve` prints it once)."""
    with db.transaction() as session:
        if session.scalar(select(Merchant.merchant_id).limit(1)) is not None:
            return None
        _, _, _, secret = signup(session, name="Sandbox merchant", email="sandbox@example.com", now=now)
    return secret
