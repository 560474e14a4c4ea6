"""What coupon operations accept, and the one type of every coupon code Flint reads."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, StrictInt, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from flint_core.platform.schema import (
    WS,
    Bool,
    Input,
    ListInput,
    Metadata,
    MoneyIn,
    Percentage,
    Timestamp,
    exactly_one,
    given,
    openapi_only,
)

_CODE = re.compile(r"[A-Za-z0-9_-]{1,100}")  # ASCII only: see code_key


def _code(value: str) -> str:
    if not _CODE.fullmatch(value):
        raise PydanticCustomError("parameter_invalid", "use 1 to 100 ASCII letters, digits, - or _",
                                  {"detail": "use 1 to 100 ASCII letters, digits, `-` or `_`"})
    return value


# Every coupon code Flint reads (create, apply, remove, create_order, the list filter) has this one type, so a
# code that cannot exist is refused with 400 wherever it is typed instead of being matched to another.
CouponCode = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_code),
                       Field(json_schema_extra=openapi_only(pattern=f"^{WS}[A-Za-z0-9_-]{{1,100}}{WS}$"))]


def code_key(code: str) -> str:
    """How codes compare: ASCII letters without case. Only for a validated ``CouponCode``: on other text
    ``str.upper`` would fold look-alikes into real codes (``maß10`` -> ``MASS10``, ``ſ`` -> ``S``)."""
    return code.upper()


class CreateCouponInput(Input):
    code: CouponCode = Field(description="Code customers type, e.g. `SPRING20`: 1 to 100 ASCII letters, digits, "
                                         "`-` or `_`; unique per sandbox, case-insensitive.")
    percentage: Percentage | None = Field(None, description="Percent off as a decimal string (`\"20\"`); give "
                                                            "this or amount_money.")
    amount_money: MoneyIn | None = Field(None, description="Fixed amount off; give this or percentage. Only "
                                                           "applies to orders in the same currency.")
    stackable: Bool = Field(False, description="True lets it share an order with other coupons (default false).")
    max_redemptions: StrictInt | None = Field(None, ge=1, le=10**9, description="How many orders may use it at once.")
    expires_at: Timestamp | None = Field(None, description="When it stops being applicable (RFC 3339).")
    active: Bool = Field(True, description="False creates it switched off.")
    metadata: Metadata = Field(default_factory=dict)
    model_config = ConfigDict(json_schema_extra=openapi_only(anyOf=[  # exactly one discount
        given(percentage="string", absent=("amount_money",)), given(amount_money="object", absent=("percentage",))]))

    @model_validator(mode="after")
    def _one_discount(self) -> CreateCouponInput:
        exactly_one(self, "percentage", "amount_money")
        return self


class GetCouponInput(Input):
    coupon_id: str = Field(description="Id of the coupon, `cpn_...`.")


class ListCouponsInput(ListInput):
    code: CouponCode | None = Field(None, description="Only the coupon with this code (case-insensitive).")
    active: bool | None = Field(None, description="Only active (true) or inactive (false) coupons.")
