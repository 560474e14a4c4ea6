"""Headless onboarding (create_merchant) and whoami."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from sqlalchemy.orm import Session

from flint_core import auth, ids
from flint_core.errors import FlintError
from flint_core.operations.keys import ApiKeyOut, api_key_out
from flint_core.operations.sandboxes import SandboxOut, create_sandbox_row, sandbox_out
from flint_core.registry import READ_ONLY, SCOPES, WRITE, operation
from flint_core.runtime import Context
from flint_core.schema import Input, Output
from flint_core.store.models import ApiKey, Merchant, Sandbox


class MerchantOut(Output):
    object: Literal["merchant"] = Field("merchant", description="Always `merchant`.")
    merchant_id: str = Field(description="Id, `mch_...`.")
    name: str = Field(description="Business name.")
    email: str = Field(description="Contact email.")
    created_at: datetime = Field(description="When the merchant signed up.")


def merchant_out(merchant: Merchant) -> MerchantOut:
    return MerchantOut(merchant_id=merchant.merchant_id, name=merchant.name, email=merchant.email,
                       created_at=merchant.created_at)


class CreateMerchantInput(Input):
    name: str = Field(min_length=1, max_length=200, description="Business name.")
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$",
                       description="Contact email address (must contain one @).")


class MerchantSignup(Output):
    object: Literal["merchant_signup"] = Field("merchant_signup", description="Always `merchant_signup`.")
    merchant: MerchantOut = Field(description="The new merchant.")
    sandbox: SandboxOut = Field(description="Its first sandbox (test mode).")
    api_key: ApiKeyOut = Field(description="A secret test key for that sandbox; `secret` is shown only here.")


def signup(session: Session, *, name: str, email: str, now: datetime) -> tuple[Merchant, Sandbox, ApiKey, str]:
    """Create a merchant with its first sandbox and a secret test key (also used by `flint serve`)."""
    merchant = Merchant(merchant_id=ids.new_id("merchant"), name=name, email=email, created_at=now)
    session.add(merchant)
    session.flush()
    sandbox = create_sandbox_row(session, merchant_id=merchant.merchant_id, name="Default sandbox", now=now)
    key, secret = auth.issue_key(session, merchant_id=merchant.merchant_id, env_id=sandbox.sandbox_id,
                                 kind="secret", scopes=[], now=now, name="Default secret key")
    return merchant, sandbox, key, secret


@operation("create_merchant", http="POST /v1/merchants", scope=None, auth="public", safety=WRITE,
           summary="Sign up a merchant: returns it, its first sandbox and a secret test key (shown once).")
def create_merchant(ctx: Context, params: CreateMerchantInput) -> MerchantSignup:
    """Headless onboarding; needs no API key. The returned `api_key.secret` (`sk_test_...`) works in the
    new sandbox only and is shown once: store it. Disabled when the server runs with `--no-signup`."""
    if not ctx.settings.signup_enabled:
        raise FlintError("signup_disabled")
    merchant, sandbox, key, secret = signup(ctx.session, name=params.name, email=params.email, now=ctx.now)
    return MerchantSignup(merchant=merchant_out(merchant), sandbox=sandbox_out(sandbox),
                          api_key=api_key_out(ctx, key, secret))


class WhoamiInput(Input):
    pass


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


@operation("whoami", http="GET /v1/whoami", scope=None, safety=READ_ONLY,
           summary="Who am I: the calling key's merchant, mode, sandbox, scopes and limits.")
def whoami(ctx: Context, params: WhoamiInput) -> Whoami:
    """Call this first to plan within your key's permissions: which merchant and sandbox you act on
    (test or live) and which scopes you hold."""
    principal = ctx.principal
    assert principal is not None
    merchant = ctx.session.get(Merchant, principal.merchant_id)
    assert merchant is not None
    return Whoami(merchant=merchant_out(merchant), mode=principal.mode, sandbox_id=principal.sandbox_id,
                  api_key_id=principal.api_key_id, kind=principal.kind.upper(),
                  scopes=[s for s in SCOPES if principal.has_scope(s)], limits=principal.limits,
                  default_currency=ctx.settings.default_currency)
