"""The accounts domain's operations: create_merchant and whoami, API keys (create, list, roll, revoke) and
sandboxes (create, list, update, reset)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, delete, select

from flint_core.accounts.inputs import (
    CreateApiKeyInput,
    CreateMerchantInput,
    CreateSandboxInput,
    ListApiKeysInput,
    ListSandboxesInput,
    ResetSandboxInput,
    RevokeApiKeyInput,
    RollApiKeyInput,
    UpdateSandboxInput,
    WhoamiInput,
)
from flint_core.accounts.lifecycle import API_KEY
from flint_core.accounts.service import (
    KEPT_HISTORY,
    create_sandbox_row,
    limits_of,
    manageable,
    own_sandbox,
    sandbox_key_name,
    signup,
)
from flint_core.accounts.views import (
    ApiKeyOut,
    MerchantSignup,
    SandboxCreated,
    SandboxOut,
    Whoami,
    api_key_out,
    key_status,
    merchant_out,
    sandbox_out,
)
from flint_core.kernel.errors import FlintError
from flint_core.platform import auth
from flint_core.platform.context import Context
from flint_core.platform.limits import stricter
from flint_core.platform.pagination import Page, paginate
from flint_core.platform.queries import fetch, scoped
from flint_core.platform.registry import CREATE, DESTRUCTIVE, IDEMPOTENT_WRITE, READ_ONLY, SCOPES, WRITE, operation
from flint_core.store.tables import ENV_TABLES, Activity, ApiKey, IdempotencyRecord, Merchant, Sandbox, SimulatorFault
from flint_core.tax.service import seed_environment


@operation("create_merchant", http="POST /v1/merchants", scope=None, auth="public", safety=CREATE,
           summary="Sign up a merchant: returns it, its first sandbox and a secret test key (shown once).")
def create_merchant(ctx: Context, params: CreateMerchantInput) -> MerchantSignup:
    """Headless onboarding; needs no API key. The returned `api_key.secret` (`sk_test_...`) works in the
    new sandbox only and is shown once: store it. Disabled when the server runs with `--no-signup`."""
    if not ctx.settings.signup_enabled:
        raise FlintError("signup_disabled")
    merchant, sandbox, key, secret = signup(ctx.session, name=params.name, email=params.email, now=ctx.now)
    return MerchantSignup(merchant=merchant_out(merchant), sandbox=sandbox_out(sandbox),
                          api_key=api_key_out(ctx, key, secret))


_merchants = Merchant.__table__
# What whoami shows of the merchant: every request of an agent's first step, so a Core statement built once.
_MERCHANT = select(_merchants.c.merchant_id, _merchants.c.name, _merchants.c.email, _merchants.c.created_at).where(
    _merchants.c.merchant_id == bindparam("merchant_id"))


@operation("whoami", http="GET /v1/whoami", scope=None, safety=READ_ONLY,
           summary="Who am I: the calling key's merchant, mode, sandbox, scopes and limits.")
def whoami(ctx: Context, params: WhoamiInput) -> Whoami:
    """Call this first to plan within your key's permissions: which merchant and sandbox you act on
    (test or live) and which scopes you hold."""
    principal = ctx.principal
    assert principal is not None
    merchant = ctx.session.connection().execute(_MERCHANT, {"merchant_id": principal.merchant_id}).one()
    return Whoami(merchant=merchant_out(merchant), mode=principal.mode, sandbox_id=principal.sandbox_id,
                  api_key_id=principal.api_key_id, kind=principal.kind.upper(),
                  scopes=[s for s in SCOPES if principal.has_scope(s)], limits=principal.limits,
                  default_currency=ctx.settings.default_currency)


@operation("create_api_key", http="POST /v1/api_keys", scope="keys:write", safety=CREATE,
           summary="Create a secret or restricted API key in the calling key's mode and sandbox.")
def create_api_key(ctx: Context, params: CreateApiKeyInput) -> ApiKeyOut:
    """Create a key for the same merchant, mode and sandbox as the calling key. Give agents RESTRICTED
    keys with only the scopes they need. A key can never grant a scope it does not hold itself. The
    secret is in this response only: store it."""
    principal = ctx.principal
    assert principal is not None
    kind = params.kind.value.lower()
    if kind == "restricted":
        if not params.scopes:
            raise FlintError("parameter_missing", param="scopes")
        auth.validate_scopes(params.scopes)
        missing = [s for s in params.scopes if not principal.has_scope(s)]
    else:
        if params.scopes:
            raise FlintError("parameter_invalid", param="scopes", detail="a SECRET key has every scope; omit scopes")
        missing = [] if principal.kind == "secret" else ["*"]
    if missing:
        raise FlintError("scope_escalation", param="scopes", scopes=", ".join(missing))
    if params.expires_at is not None and params.expires_at <= ctx.now:
        raise FlintError("parameter_invalid", param="expires_at", detail="must be in the future")
    if principal.limits and kind == "secret":
        raise FlintError("scope_escalation", param="kind", scopes="a SECRET key without this key's limits")
    key, secret = auth.issue_key(ctx.session, merchant_id=ctx.merchant_id, env_id=ctx.env_id, kind=kind,
                                 scopes=params.scopes, now=ctx.now, name=params.name, expires_at=params.expires_at,
                                 created_by=principal.api_key_id,
                                 limits=stricter(principal.limits, limits_of(params.limits)))
    ctx.record("api_key", key.api_key_id, "API_KEY_CREATED", {"scopes": [None, key.scopes]})
    return api_key_out(ctx, key, secret)


@operation("list_api_keys", http="GET /v1/api_keys", scope="keys:write", safety=READ_ONLY,
           summary="List the API keys of the calling key's mode and sandbox (never their secrets).")
def list_api_keys(ctx: Context, params: ListApiKeysInput) -> Page[ApiKeyOut]:
    """List keys, newest first, with their status and scopes. Secrets are never shown again."""
    rows, token = paginate(ctx.session, scoped(ctx, ApiKey), ApiKey.api_key_id, params, {})
    return Page[ApiKeyOut](data=[api_key_out(ctx, k) for k in rows], next_page_token=token)


@operation("roll_api_key", http="POST /v1/api_keys/{api_key_id}/roll", scope="keys:write", safety=WRITE,
           summary="Replace a key with a new secret; the old one keeps working for a grace period.")
def roll_api_key(ctx: Context, params: RollApiKeyInput) -> ApiKeyOut:
    """Issue a new key with the same kind, name and scopes, and make the old one expire after
    `grace_period_seconds`. Returns the NEW key with its secret (shown once)."""
    old = fetch(ctx, ApiKey, params.api_key_id, resource="api_key", lock=True)
    manageable(ctx, old)
    API_KEY.require(key_status(old, ctx.now), "roll_api_key", old.api_key_id, ctx.can)
    new, secret = auth.issue_key(ctx.session, merchant_id=old.merchant_id, env_id=old.env_id, kind=old.kind,
                                 scopes=old.scopes, now=ctx.now, name=old.name, expires_at=old.expires_at,
                                 limits=old.limits,
                                 created_by=ctx.principal.api_key_id if ctx.principal else None)
    grace_end = ctx.now + timedelta(seconds=params.grace_period_seconds)
    before = old.expires_at
    old.expires_at = grace_end if before is None else min(before, grace_end)
    old.rolled_to = new.api_key_id
    ctx.record("api_key", old.api_key_id, "API_KEY_ROLLED",
               {"expires_at": [before and before.isoformat(), old.expires_at.isoformat()],
                "rolled_to": [None, new.api_key_id]})
    return api_key_out(ctx, new, secret)


@operation("revoke_api_key", http="POST /v1/api_keys/{api_key_id}/revoke", scope="keys:write", safety=DESTRUCTIVE,
           summary="Revoke a key immediately and for good.")
def revoke_api_key(ctx: Context, params: RevokeApiKeyInput) -> ApiKeyOut:
    """Revoke a key: every later request with it fails with `api_key_revoked`. Cannot be undone; use
    roll_api_key instead to replace a key without downtime."""
    key = fetch(ctx, ApiKey, params.api_key_id, resource="api_key", lock=True)
    manageable(ctx, key)
    API_KEY.require(key_status(key, ctx.now), "revoke_api_key", key.api_key_id, ctx.can)
    before = key_status(key, ctx.now)
    key.revoked_at = ctx.now
    ctx.record("api_key", key.api_key_id, "API_KEY_REVOKED", {"status": [before, "REVOKED"]})
    return api_key_out(ctx, key)


@operation("create_sandbox", http="POST /v1/sandboxes", scope="sandboxes:write", safety=CREATE,
           summary="Create an isolated test-mode sandbox with its own key (same powers as the calling key).")
def create_sandbox(ctx: Context, params: CreateSandboxInput) -> SandboxCreated:
    """Create a fresh sandbox for the calling key's merchant: its own orders, customers, coupons and tax
    rates (starting with the default 8%), invisible to every other sandbox. Returns a test key bound to
    it, shown once, with the same powers as the calling key (a restricted key gets a restricted key with
    its own scopes). Use one sandbox per test run or per agent. Its emails to buyers are only stored
    (list_notifications) unless `email_delivery` is true."""
    principal = ctx.principal
    assert principal is not None
    sandbox = create_sandbox_row(ctx.session, merchant_id=ctx.merchant_id, name=params.name, now=ctx.now,
                                 email_delivery=params.email_delivery)
    key, secret = auth.issue_key(ctx.session, merchant_id=ctx.merchant_id, env_id=sandbox.sandbox_id,
                                 kind=principal.kind, scopes=sorted(principal.scopes), now=ctx.now,
                                 name=sandbox_key_name(params.name, principal.kind), created_by=principal.api_key_id,
                                 limits=principal.limits)
    ctx.record("sandbox", sandbox.sandbox_id, "SANDBOX_CREATED", {"name": [None, sandbox.name]}
               | ({"email_delivery": [None, True]} if sandbox.email_delivery else {}))
    return SandboxCreated(sandbox=sandbox_out(sandbox), api_key=api_key_out(ctx, key, secret))


@operation("list_sandboxes", http="GET /v1/sandboxes", scope="sandboxes:write", safety=READ_ONLY,
           summary="List the merchant's sandboxes.")
def list_sandboxes(ctx: Context, params: ListSandboxesInput) -> Page[SandboxOut]:
    """List every sandbox of the calling key's merchant, newest first."""
    stmt = select(Sandbox).where(Sandbox.merchant_id == ctx.merchant_id)
    rows, token = paginate(ctx.session, stmt, Sandbox.sandbox_id, params, {})
    return Page[SandboxOut](data=[sandbox_out(s) for s in rows], next_page_token=token)


@operation("update_sandbox", http="PATCH /v1/sandboxes/{sandbox_id}", scope="sandboxes:write",
           safety=IDEMPOTENT_WRITE, summary="Rename your sandbox, or opt it in (or out) of really sending its emails.")
def update_sandbox(ctx: Context, params: UpdateSandboxInput) -> SandboxOut:
    """Change the calling key's own sandbox. `email_delivery: true` makes its emails to buyers (receipts,
    refund confirmations) really go out over SMTP when the server has an SMTP server; false (the default)
    keeps them stored only, SKIPPED, so tests and agents can read what the buyer would get
    (list_notifications) without mailing anyone. Notifications already written keep their status, except
    QUEUED ones, which follow the new setting when they are sent. Errors: `resource_missing` (another
    sandbox's id)."""
    sandbox = own_sandbox(ctx, params.sandbox_id, lock=True)
    delta = {}
    for name in ("name", "email_delivery"):
        value = getattr(params, name)
        if value is not None and value != getattr(sandbox, name):
            delta[name] = [getattr(sandbox, name), value]
            setattr(sandbox, name, value)
    if delta:
        ctx.record("sandbox", sandbox.sandbox_id, "SANDBOX_UPDATED", delta)
    return sandbox_out(sandbox)


@operation("reset_sandbox", http="POST /v1/sandboxes/{sandbox_id}/reset", scope="sandboxes:write",
           safety=DESTRUCTIVE, summary="Wipe a sandbox's data (orders, customers, coupons, tax rates, history).")
def reset_sandbox(ctx: Context, params: ResetSandboxInput) -> SandboxOut:
    """Delete every order, payment, refund, customer, coupon, tax rate, activity and idempotency record of
    the calling key's own sandbox, clear its simulator fault switch, and restore its default 8% tax rate. API keys (and their history) survive; other
    sandboxes and live mode are untouched. Cannot be undone."""
    sandbox = own_sandbox(ctx, params.sandbox_id, lock=True)
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
