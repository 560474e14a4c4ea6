"""Sandboxes: isolated test-mode environments of one merchant; reset wipes one and nothing else."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from flint_core import auth, ids
from flint_core.errors import not_found
from flint_core.operations.keys import ApiKeyOut, api_key_out
from flint_core.operations.tax_rates import seed_environment
from flint_core.pagination import Page, paginate
from flint_core.registry import DESTRUCTIVE, READ_ONLY, WRITE, operation
from flint_core.runtime import Context
from flint_core.schema import Input, ListInput, Output
from flint_core.store.models import ENV_TABLES, Activity, IdempotencyRecord, Sandbox, SimulatorFault

KEPT_HISTORY = ("api_key", "sandbox")  # what reset_sandbox keeps survives with its history


class SandboxOut(Output):
    object: Literal["sandbox"] = Field("sandbox", description="Always `sandbox`.")
    sandbox_id: str = Field(description="Id, `sbx_...`.")
    name: str = Field(description="Your label.")
    created_at: datetime = Field(description="When it was created.")
    last_reset_at: datetime | None = Field(description="When it was last wiped by reset_sandbox.")


def sandbox_out(sandbox: Sandbox) -> SandboxOut:
    return SandboxOut(sandbox_id=sandbox.sandbox_id, name=sandbox.name, created_at=sandbox.created_at,
                      last_reset_at=sandbox.last_reset_at)


def create_sandbox_row(session: Session, *, merchant_id: str, name: str, now: datetime) -> Sandbox:
    sandbox = Sandbox(sandbox_id=ids.new_id("sandbox"), merchant_id=merchant_id, name=name, created_at=now)
    session.add(sandbox)
    seed_environment(session, merchant_id=merchant_id, env_id=sandbox.sandbox_id, now=now)
    return sandbox


def _own_sandbox(ctx: Context, sandbox_id: str, *, lock: bool = False) -> Sandbox:
    """The calling key's own sandbox: a key never acts on another sandbox's data (404 otherwise)."""
    stmt = select(Sandbox).where(Sandbox.sandbox_id == sandbox_id, Sandbox.sandbox_id == ctx.env_id,
                                 Sandbox.merchant_id == ctx.merchant_id)
    sandbox = ctx.session.scalar(stmt.with_for_update() if lock else stmt)
    if sandbox is None:
        raise not_found("sandbox", sandbox_id, "sandbox_id")
    return sandbox


def _key_name(sandbox_name: str, kind: str) -> str:
    """The sandbox key's name: the sandbox's, shortened to fit the 200 characters a key name holds."""
    suffix = f" {kind} key"
    return sandbox_name[:200 - len(suffix)] + suffix


class CreateSandboxInput(Input):
    name: str = Field(min_length=1, max_length=200, description="Label, e.g. `agent eval run 42`.")


class SandboxCreated(Output):
    object: Literal["sandbox_created"] = Field("sandbox_created", description="Always `sandbox_created`.")
    sandbox: SandboxOut = Field(description="The new sandbox.")
    api_key: ApiKeyOut = Field(description="A test key for it with the calling key's powers; `secret` is shown "
                                           "only here.")


@operation("create_sandbox", http="POST /v1/sandboxes", scope="sandboxes:write", safety=WRITE,
           summary="Create an isolated test-mode sandbox with its own key (same powers as the calling key).")
def create_sandbox(ctx: Context, params: CreateSandboxInput) -> SandboxCreated:
    """Create a fresh sandbox for the calling key's merchant: its own orders, customers, coupons and tax
    rates (starting with the default 8%), invisible to every other sandbox. Returns a test key bound to
    it, shown once, with the same powers as the calling key (a restricted key gets a restricted key with
    its own scopes). Use one sandbox per test run or per agent."""
    principal = ctx.principal
    assert principal is not None
    sandbox = create_sandbox_row(ctx.session, merchant_id=ctx.merchant_id, name=params.name, now=ctx.now)
    key, secret = auth.issue_key(ctx.session, merchant_id=ctx.merchant_id, env_id=sandbox.sandbox_id,
                                 kind=principal.kind, scopes=sorted(principal.scopes), now=ctx.now,
                                 name=_key_name(params.name, principal.kind), created_by=principal.api_key_id,
                                 limits=principal.limits)
    ctx.record("sandbox", sandbox.sandbox_id, "SANDBOX_CREATED", {"name": [None, sandbox.name]})
    return SandboxCreated(sandbox=sandbox_out(sandbox), api_key=api_key_out(ctx, key, secret))


class ListSandboxesInput(ListInput):
    pass


@operation("list_sandboxes", http="GET /v1/sandboxes", scope="sandboxes:write", safety=READ_ONLY,
           summary="List the merchant's sandboxes.")
def list_sandboxes(ctx: Context, params: ListSandboxesInput) -> Page[SandboxOut]:
    """List every sandbox of the calling key's merchant, newest first."""
    stmt = select(Sandbox).where(Sandbox.merchant_id == ctx.merchant_id)
    rows, token = paginate(ctx.session, stmt, Sandbox.sandbox_id, params, {})
    return Page[SandboxOut](data=[sandbox_out(s) for s in rows], next_page_token=token)


class ResetSandboxInput(Input):
    sandbox_id: str = Field(description="The sandbox to wipe, `sbx_...`: must be the calling key's own sandbox "
                                        "(naming it guards against wiping the wrong one).")


@operation("reset_sandbox", http="POST /v1/sandboxes/{sandbox_id}/reset", scope="sandboxes:write",
           safety=DESTRUCTIVE, summary="Wipe a sandbox's data (orders, customers, coupons, tax rates, history).")
def reset_sandbox(ctx: Context, params: ResetSandboxInput) -> SandboxOut:
    """Delete every order, payment, refund, customer, coupon, tax rate, activity and idempotency record of
    the calling key's own sandbox, clear its simulator fault switch, and restore its default 8% tax rate. API keys (and their history) survive; other
    sandboxes and live mode are untouched. Cannot be undone."""
    sandbox = _own_sandbox(ctx, params.sandbox_id, lock=True)
    scope = dict(merchant_id=ctx.merchant_id, env_id=sandbox.sandbox_id)
    for table in ENV_TABLES:
        stmt = delete(table).where(table.merchant_id == scope["merchant_id"], table.env_id == scope["env_id"])
        if table is IdempotencyRecord and ctx.idempotency_key is not None:
            stmt = stmt.where(IdempotencyRecord.key != ctx.idempotency_key)  # this request's own answer
        if table is Activity:
            stmt = stmt.where(Activity.object_type.not_in(KEPT_HISTORY))
        ctx.session.execute(stmt, execution_options={"synchronize_session": False})
    ctx.session.execute(delete(SimulatorFault).where(SimulatorFault.env_id == sandbox.sandbox_id))
    seed_environment(ctx.session, now=ctx.now, **scope)
    sandbox.last_reset_at = ctx.now
    ctx.record("sandbox", sandbox.sandbox_id, "SANDBOX_RESET", {"last_reset_at": [None, ctx.now.isoformat()]})
    return sandbox_out(sandbox)
