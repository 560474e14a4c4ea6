"""The accounts domain's output models and the functions that render a stored row into them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import Row

from flint_core.accounts.lifecycle import API_KEY
from flint_core.platform.context import Context
from flint_core.platform.schema import Output
from flint_core.store.tables import ApiKey, Merchant, Sandbox


class MerchantOut(Output):
    object: Literal["merchant"] = Field("merchant", description="Always `merchant`.")
    merchant_id: str = Field(description="Id, `mch_...`.")
    name: str = Field(description="Business name.")
    email: str = Field(description="Contact email.")
    created_at: datetime = Field(description="When the merchant signed up.")


def merchant_out(merchant: Merchant | Row[Any]) -> MerchantOut:
    return MerchantOut(merchant_id=merchant.merchant_id, name=merchant.name, email=merchant.email,
                       created_at=merchant.created_at)


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
                     available_actions=API_KEY.actions_for(status, ctx.can), created_at=key.created_at)


class SandboxOut(Output):
    object: Literal["sandbox"] = Field("sandbox", description="Always `sandbox`.")
    sandbox_id: str = Field(description="Id, `sbx_...`.")
    name: str = Field(description="Your label.")
    created_at: datetime = Field(description="When it was created.")
    last_reset_at: datetime | None = Field(description="When it was last wiped by reset_sandbox.")
    email_delivery: bool = Field(description="Whether its emails to buyers are really sent (when the server has an "
                                             "SMTP server); false: only stored, SKIPPED (docs: notifications).")


def sandbox_out(sandbox: Sandbox) -> SandboxOut:
    return SandboxOut(sandbox_id=sandbox.sandbox_id, name=sandbox.name, created_at=sandbox.created_at,
                      last_reset_at=sandbox.last_reset_at, email_delivery=bool(sandbox.email_delivery))


class MerchantSignup(Output):
    object: Literal["merchant_signup"] = Field("merchant_signup", description="Always `merchant_signup`.")
    merchant: MerchantOut = Field(description="The new merchant.")
    sandbox: SandboxOut = Field(description="Its first sandbox (test mode).")
    api_key: ApiKeyOut = Field(description="A secret test key for that sandbox; `secret` is shown only here.")


class Whoami(Output):
    object: Literal["whoami"] = Field("whoami", description="Always `whoami`.")
    merchant: MerchantOut = Field(description="The key's merchant.")
    mode: str = Field(description="`test` or `live`.")
    sandbox_id: str | None = Field(description="The sandbox a test key works in; null in live mode.")
    api_key_id: str = Field(description="The calling key's id.")
    kind: str = Field(description="SECRET or RESTRICTED.")
    scopes: list[str] = Field(description="Every scope the key holds (expanded; write implies read).")
    limits: dict[str, Any] = Field(description="Guard rails the server enforces on this key: read_only, "
                                               "require_preview, allowed_currencies, max_refund_money, "
                                               "max_daily_refund_money (absent = no limit).")
    default_currency: str = Field(description="The currency of an order created without one whose prices name "
                                               "none.")


class SandboxCreated(Output):
    object: Literal["sandbox_created"] = Field("sandbox_created", description="Always `sandbox_created`.")
    sandbox: SandboxOut = Field(description="The new sandbox.")
    api_key: ApiKeyOut = Field(description="A test key for it with the calling key's powers; `secret` is shown "
                                           "only here.")
