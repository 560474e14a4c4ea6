"""API keys: secret (every scope) and restricted (listed scopes), with expiry, roll and revoke."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictInt

from flint_core import auth, lifecycle
from flint_core.errors import FlintError
from flint_core.limits import stricter
from flint_core.operations.common import fetch, scoped
from flint_core.pagination import Page, paginate
from flint_core.registry import DESTRUCTIVE, READ_ONLY, SCOPES, WRITE, operation
from flint_core.runtime import Context
from flint_core.schema import Bool, Currency, Input, ListInput, MoneyIn, Output, Timestamp, given, lenient_enum, openapi_only
from flint_core.store.models import ApiKey

MAX_GRACE = timedelta(days=7)


class ApiKeyKind(enum.Enum):
    SECRET = "SECRET"
    RESTRICTED = "RESTRICTED"


ApiKeyKindIn = lenient_enum(ApiKeyKind, "SECRET or RESTRICTED (default).")


class KeyLimits(Input):
    """Guard rails for agents, enforced by the server (see flint_core.limits)."""

    read_only: Bool = Field(False, description="True: the key can call read-only operations only.")
    require_preview: Bool = Field(False, description="True: every destructive operation needs the preview_id of "
                                                     "a preview with the same parameters (e.g. preview_refund).")
    allowed_currencies: list[Currency] | None = Field(None, max_length=20, description="Only these currencies "
                                                      "may be charged or refunded.")
    max_refund_money: MoneyIn | None = Field(None, description="Largest single refund the key may create.")
    max_daily_refund_money: MoneyIn | None = Field(None, description="Most the key may refund per UTC day.")


def limits_of(limits: KeyLimits | None) -> dict[str, Any]:
    if limits is None:
        return {}
    data = limits.model_dump(mode="json", exclude_defaults=True)
    return {k: v for k, v in data.items() if v not in (None, False)}


class ApiKeyOut(Output):
    object: Literal["api_key"] = Field("api_key", description="Always `api_key`.")
    api_key_id: str = Field(description="Id, `key_...`. Not the secret.")
    kind: str = Field(description="SECRET (every scope) or RESTRICTED (only `scopes`).")
    mode: str = Field(description="`test` or `live`.")
    sandbox_id: str | None = Field(description="The sandbox a test key is bound to; null for live keys.")
    name: str | None = Field(description="Your label for the key.")
    scopes: list[str] = Field(description="Scopes; `*` means all.")
    status: str = Field(description="ACTIVE; ROLLED (replaced, working until its grace period ends); EXPIRED; "
                                    "or REVOKED.")
    redacted_secret: str = Field(description="First and last characters of the secret, for recognition.")
    secret: str | None = Field(None, description="The secret itself: present ONLY in the response that created "
                                                 "it. Store it now; it cannot be shown again.")
    expires_at: datetime | None = Field(description="When it stops working, if ever.")
    revoked_at: datetime | None = Field(description="When it was revoked, if it was.")
    rolled_to: str | None = Field(description="The key that replaced it in a roll.")
    limits: dict[str, Any] = Field(description="Guard rails enforced on the key: read_only, require_preview, "
                                               "allowed_currencies, max_refund_money, max_daily_refund_money.")
    available_actions: list[str] = Field(description="Operations legal on this key now, for the calling key.")
    created_at: datetime = Field(description="When it was created.")


def key_status(key: ApiKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return "REVOKED"
    if key.expires_at is not None and key.expires_at <= now:
        return "EXPIRED"
    return "ROLLED" if key.rolled_to is not None else "ACTIVE"


def api_key_out(ctx: Context, key: ApiKey, secret: str | None = None) -> ApiKeyOut:
    status = key_status(key, ctx.now)
    return ApiKeyOut(api_key_id=key.api_key_id, kind=key.kind.upper(), mode=key.mode,
                     sandbox_id=None if key.mode == "live" else key.env_id, name=key.name, scopes=key.scopes,
                     status=status, redacted_secret=key.redacted, secret=secret, expires_at=key.expires_at,
                     revoked_at=key.revoked_at, rolled_to=key.rolled_to, limits=key.limits or {},
                     available_actions=lifecycle.API_KEY.actions_for(status, ctx.can), created_at=key.created_at)


class CreateApiKeyInput(Input):
    kind: ApiKeyKindIn = Field(
        ApiKeyKind.RESTRICTED, description="RESTRICTED (default): only the listed scopes. SECRET: every scope; "
                                           "only a secret key may create one.")
    scopes: list[str] = Field(default_factory=list, max_length=len(SCOPES),
                              json_schema_extra=openapi_only(items={"type": "string", "enum": list(SCOPES)}),
                              description="Scopes of a restricted key, e.g. [\"orders:read\"]. `x:write` "
                                          "implies `x:read`. Known scopes: " + ", ".join(SCOPES) + ".")
    name: str | None = Field(None, max_length=200, description="Your label, e.g. `support agent`.")
    expires_at: Timestamp | None = Field(None, description="Optional expiry (RFC 3339); must be in the future.")
    limits: KeyLimits | None = Field(None, description="Guard rails for an agent's key. A key created by a "
                                                       "limited key also carries the creator's limits.")
    # a RESTRICTED key (the default) lists its scopes; a SECRET one has every scope and lists none
    model_config = ConfigDict(json_schema_extra=openapi_only(anyOf=[given(scopes={"type": "array", "minItems": 1}, absent=("kind",)),
               given(scopes={"type": "array", "minItems": 1}, kind={"enum": ["RESTRICTED"]}),
               given(kind={"enum": ["SECRET"]}, absent=("scopes",)),
               given(kind={"enum": ["SECRET"]}, scopes={"type": "array", "maxItems": 0})]))


@operation("create_api_key", http="POST /v1/api_keys", scope="keys:write", safety=WRITE,
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


def _manageable(ctx: Context, key: ApiKey) -> None:
    """A key may only roll or revoke keys whose scopes it holds itself (no escalation, no lock-out)."""
    principal = ctx.principal
    assert principal is not None
    lacking = [s for s in key.scopes if not principal.has_scope(s)] if principal.kind != "secret" else []
    if principal.limits and stricter(principal.limits, key.limits or {}) != (key.limits or {}):
        lacking.append("a key without this key's limits")  # rolling it would hand out an unlimited secret
    if lacking:
        raise FlintError("scope_escalation", param="api_key_id", scopes=", ".join(lacking))


class ListApiKeysInput(ListInput):
    pass


@operation("list_api_keys", http="GET /v1/api_keys", scope="keys:write", safety=READ_ONLY,
           summary="List the API keys of the calling key's mode and sandbox (never their secrets).")
def list_api_keys(ctx: Context, params: ListApiKeysInput) -> Page[ApiKeyOut]:
    """List keys, newest first, with their status and scopes. Secrets are never shown again."""
    rows, token = paginate(ctx.session, scoped(ctx, ApiKey), ApiKey.api_key_id, params, {})
    return Page[ApiKeyOut](data=[api_key_out(ctx, k) for k in rows], next_page_token=token)


class RollApiKeyInput(Input):
    api_key_id: str = Field(description="The key to replace.")
    grace_period_seconds: StrictInt = Field(86400, ge=0, le=int(MAX_GRACE.total_seconds()),
                                      description="How long the old key keeps working (0 to 604800 seconds, "
                                                  "default 86400 = 24 h) so you can deploy the new one.")


@operation("roll_api_key", http="POST /v1/api_keys/{api_key_id}/roll", scope="keys:write", safety=WRITE,
           summary="Replace a key with a new secret; the old one keeps working for a grace period.")
def roll_api_key(ctx: Context, params: RollApiKeyInput) -> ApiKeyOut:
    """Issue a new key with the same kind, name and scopes, and make the old one expire after
    `grace_period_seconds`. Returns the NEW key with its secret (shown once)."""
    old = fetch(ctx, ApiKey, params.api_key_id, resource="api_key", lock=True)
    _manageable(ctx, old)
    lifecycle.API_KEY.require(key_status(old, ctx.now), "roll_api_key", old.api_key_id, ctx.can)
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


class RevokeApiKeyInput(Input):
    api_key_id: str = Field(description="The key to revoke, `key_...`.")


@operation("revoke_api_key", http="POST /v1/api_keys/{api_key_id}/revoke", scope="keys:write", safety=DESTRUCTIVE,
           summary="Revoke a key immediately and for good.")
def revoke_api_key(ctx: Context, params: RevokeApiKeyInput) -> ApiKeyOut:
    """Revoke a key: every later request with it fails with `api_key_revoked`. Cannot be undone; use
    roll_api_key instead to replace a key without downtime."""
    key = fetch(ctx, ApiKey, params.api_key_id, resource="api_key", lock=True)
    _manageable(ctx, key)
    lifecycle.API_KEY.require(key_status(key, ctx.now), "revoke_api_key", key.api_key_id, ctx.can)
    before = key_status(key, ctx.now)
    key.revoked_at = ctx.now
    ctx.record("api_key", key.api_key_id, "API_KEY_REVOKED", {"status": [before, "REVOKED"]})
    return api_key_out(ctx, key)
