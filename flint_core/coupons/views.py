"""The coupon as every face returns it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from flint_core.platform.context import Context
from flint_core.platform.schema import MoneyOut, Output
from flint_core.store.tables import Coupon


class CouponOut(Output):
    object: Literal["coupon"] = Field("coupon", description="Always `coupon`.")
    coupon_id: str = Field(description="Id, `cpn_...`.")
    code: str = Field(description="The code customers type; matched case-insensitively.")
    percentage: str | None = Field(description="Percent off as a decimal string, for percentage coupons.")
    amount_money: MoneyOut | None = Field(description="Amount off, for fixed coupons.")
    stackable: bool = Field(description="Whether it can share an order with other coupons.")
    max_redemptions: int | None = Field(description="Redemption limit; null means unlimited.")
    times_redeemed: int = Field(description="Orders it is currently applied to (released on removal/cancel).")
    expires_at: datetime | None = Field(description="After this it can no longer be applied.")
    active: bool = Field(description="Whether it can be applied at all.")
    valid: bool = Field(description="Whether it can be applied right now (active, not expired, not exhausted).")
    metadata: dict[str, str] = Field(description="Your key-value pairs.")
    created_at: datetime = Field(description="When it was created.")
    updated_at: datetime = Field(description="When it last changed.")


def coupon_out(ctx: Context, coupon: Coupon) -> CouponOut:
    exhausted = coupon.max_redemptions is not None and coupon.times_redeemed >= coupon.max_redemptions
    expired = coupon.expires_at is not None and coupon.expires_at <= ctx.now
    money = MoneyOut.of(coupon.amount, coupon.currency) if coupon.amount is not None and coupon.currency else None
    return CouponOut(coupon_id=coupon.coupon_id, code=coupon.code, percentage=coupon.percentage, amount_money=money,
                     stackable=coupon.stackable, max_redemptions=coupon.max_redemptions,
                     times_redeemed=coupon.times_redeemed, expires_at=coupon.expires_at, active=coupon.active,
                     valid=coupon.active and not expired and not exhausted, metadata=coupon.metadata_,
                     created_at=coupon.created_at, updated_at=coupon.updated_at)
