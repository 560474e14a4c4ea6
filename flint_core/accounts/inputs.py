"""The accounts domain's input models: what create_merchant, whoami, the API key and sandbox operations accept."""

from __future__ import annotations

import enum
from datetime import timedelta

from pydantic import ConfigDict, Field, StrictInt

from flint_core.platform.registry import SCOPES
from flint_core.platform.schema import (
    Bool,
    Currency,
    Input,
    ListInput,
    MoneyIn,
    Timestamp,
    given,
    lenient_enum,
    openapi_only,
)

MAX_GRACE = timedelta(days=7)


class CreateMerchantInput(Input):
    name: str = Field(min_length=1, max_length=200, description="Business name.")
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$",
                       description="Contact email address (must contain one @).")


class WhoamiInput(Input):
    pass


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


class ListApiKeysInput(ListInput):
    pass


class RollApiKeyInput(Input):
    api_key_id: str = Field(description="The key to replace.")
    grace_period_seconds: StrictInt = Field(86400, ge=0, le=int(MAX_GRACE.total_seconds()),
                                      description="How long the old key keeps working (0 to 604800 seconds, "
                                                  "default 86400 = 24 h) so you can deploy the new one.")


class RevokeApiKeyInput(Input):
    api_key_id: str = Field(description="The key to revoke, `key_...`.")


EMAIL_DELIVERY = ("True: this sandbox's emails to buyers (receipts, refund confirmations) are really sent when the "
                  "server has an SMTP server. False (the default): they are only stored, SKIPPED, readable with "
                  "list_notifications.")


class CreateSandboxInput(Input):
    name: str = Field(min_length=1, max_length=200, description="Label, e.g. `agent eval run 42`.")
    email_delivery: Bool = Field(False, description=EMAIL_DELIVERY)


class UpdateSandboxInput(Input):
    sandbox_id: str = Field(description="The sandbox to change, `sbx_...`: must be the calling key's own sandbox.")
    name: str | None = Field(None, min_length=1, max_length=200, description="New label.")
    email_delivery: Bool | None = Field(None, description=EMAIL_DELIVERY)


class ListSandboxesInput(ListInput):
    pass


class ResetSandboxInput(Input):
    sandbox_id: str = Field(description="The sandbox to wipe, `sbx_...`: must be the calling key's own sandbox "
                                        "(naming it guards against wiping the wrong one).")
