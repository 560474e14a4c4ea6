"""Coupons: percentage or fixed discounts, stackable or not, with exact redemption counting.

A redemption is counted when the coupon is applied to an order and released when it is removed or the
order is canceled. The count moves with one conditional UPDATE (``... WHERE times_redeemed <
max_redemptions``), so concurrent applications can never exceed the limit on any database.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, StrictInt, StringConstraints, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError, not_found
from flint_core.platform.context import Context
from flint_core.platform.pagination import Page, paginate
from flint_core.platform.queries import fetch, scoped
from flint_core.platform.registry import READ_ONLY, WRITE, operation
from flint_core.platform.schema import (
    WS,
    Bool,
    Input,
    ListInput,
    Metadata,
    MoneyIn,
    MoneyOut,
    Output,
    Percentage,
    Timestamp,
    exactly_one,
    given,
    openapi_only,
)
from flint_core.store.tables import Coupon, Order

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


@operation("create_coupon", http="POST /v1/coupons", scope="coupons:write", safety=WRITE,
           summary="Create a percentage or fixed-amount coupon code.")
def create_coupon(ctx: Context, params: CreateCouponInput) -> CouponOut:
    """Create a coupon that orders can redeem with apply_coupon or create_order's `coupon_codes`.
    Percentage coupons take that share of what earlier coupons left; fixed ones take up to their amount."""
    if params.expires_at is not None and params.expires_at <= ctx.now:
        raise FlintError("parameter_invalid", param="expires_at", detail="must be in the future")
    money = params.amount_money
    coupon = Coupon(coupon_id=ids.new_id("coupon"), merchant_id=ctx.merchant_id, env_id=ctx.env_id, code=params.code,
                    code_key=code_key(params.code), percentage=params.percentage,
                    amount=money.amount if money else None, currency=money.currency if money else None,
                    stackable=params.stackable, max_redemptions=params.max_redemptions, times_redeemed=0,
                    expires_at=params.expires_at, active=params.active, metadata_=params.metadata,
                    created_at=ctx.now, updated_at=ctx.now)
    duplicate = FlintError("resource_already_exists", param="code", resource="coupon", value=params.code)
    if ctx.session.scalar(scoped(ctx, Coupon).where(Coupon.code_key == coupon.code_key)) is not None:
        raise duplicate
    try:
        with ctx.session.begin_nested():
            ctx.session.add(coupon)
    except IntegrityError:  # a concurrent create_coupon won the race for this code
        raise duplicate from None
    ctx.record("coupon", coupon.coupon_id, "COUPON_CREATED", {"code": [None, coupon.code]})
    return coupon_out(ctx, coupon)


class GetCouponInput(Input):
    coupon_id: str = Field(description="Id of the coupon, `cpn_...`.")


@operation("get_coupon", http="GET /v1/coupons/{coupon_id}", scope="orders:read", safety=READ_ONLY,
           summary="Fetch one coupon, with its redemption count and validity.")
def get_coupon(ctx: Context, params: GetCouponInput) -> CouponOut:
    """Fetch a coupon by id: its terms, `times_redeemed` and whether it is `valid` right now. To resolve a
    code a customer typed, use list_coupons(code=...)."""
    return coupon_out(ctx, fetch(ctx, Coupon, params.coupon_id, resource="coupon"))


class ListCouponsInput(ListInput):
    code: CouponCode | None = Field(None, description="Only the coupon with this code (case-insensitive).")
    active: bool | None = Field(None, description="Only active (true) or inactive (false) coupons.")


@operation("list_coupons", http="GET /v1/coupons", scope="orders:read", safety=READ_ONLY,
           summary="List coupons, newest first.")
def list_coupons(ctx: Context, params: ListCouponsInput) -> Page[CouponOut]:
    """List coupons, newest first; filter by `code` to resolve a code to its coupon."""
    stmt = scoped(ctx, Coupon)
    if params.code:
        stmt = stmt.where(Coupon.code_key == code_key(params.code))
    if params.active is not None:
        stmt = stmt.where(Coupon.active.is_(params.active))
    rows, token = paginate(ctx.session, stmt, Coupon.coupon_id, params, {"code": params.code, "active": params.active})
    return Page[CouponOut](data=[coupon_out(ctx, c) for c in rows], next_page_token=token)


def redeem(ctx: Context, order: Order, code: str, param: str, *, count: bool = True) -> Coupon:
    """Check that ``code`` may be applied to ``order`` and count one redemption, atomically
    (``count=False`` checks only, for previews: the limit is judged on the current count)."""
    coupon = ctx.session.scalar(scoped(ctx, Coupon).where(Coupon.code_key == code_key(code)))
    if coupon is None:
        raise not_found("coupon", code, param)
    if not coupon.active:
        raise FlintError("coupon_inactive", param=param, code=coupon.code)
    if coupon.expires_at is not None and coupon.expires_at <= ctx.now:
        raise FlintError("coupon_expired", param=param, code=coupon.code, expires_at=coupon.expires_at.isoformat())
    if coupon.currency is not None and coupon.currency != order.currency:
        raise FlintError("currency_mismatch", param=param, other=coupon.currency, currency=order.currency)
    applied = {c.coupon_id for c in order.coupons}
    if coupon.coupon_id in applied:
        raise FlintError("coupon_already_applied", param=param, code=coupon.code, order_id=order.order_id)
    if order.coupons and not coupon.stackable:
        raise FlintError("coupon_not_stackable", param=param, code=coupon.code)
    blocker = next((c for c in order.coupons if not c.stackable), None)
    if blocker is not None:
        raise FlintError("coupon_not_stackable", param=param, code=blocker.code)
    if not count:
        if coupon.max_redemptions is not None and coupon.times_redeemed >= coupon.max_redemptions:
            raise FlintError("coupon_redemption_limit_reached", param=param, code=coupon.code,
                             max_redemptions=coupon.max_redemptions)
        return coupon
    counted = ctx.session.execute(
        update(Coupon)
        .where(Coupon.coupon_id == coupon.coupon_id,
               (Coupon.max_redemptions.is_(None)) | (Coupon.times_redeemed < Coupon.max_redemptions))
        .values(times_redeemed=Coupon.times_redeemed + 1)
        .execution_options(synchronize_session=False))
    if counted.rowcount != 1:
        raise FlintError("coupon_redemption_limit_reached", param=param, code=coupon.code,
                         max_redemptions=coupon.max_redemptions)
    return coupon


def release(ctx: Context, coupon_id: str) -> None:
    """Give back one redemption (coupon removed from an order, or the order canceled)."""
    ctx.session.execute(
        update(Coupon).where(Coupon.coupon_id == coupon_id, Coupon.times_redeemed > 0)
        .values(times_redeemed=Coupon.times_redeemed - 1).execution_options(synchronize_session=False))
