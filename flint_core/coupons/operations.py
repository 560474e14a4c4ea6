"""Coupons: percentage or fixed discounts, stackable or not, with exact redemption counting.

A redemption is counted when the coupon is applied to an order and released when it is removed or the
order is canceled. The count moves with one conditional UPDATE (``... WHERE times_redeemed <
max_redemptions``), so concurrent applications can never exceed the limit on any database.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from flint_core.coupons.inputs import CreateCouponInput, GetCouponInput, ListCouponsInput, code_key
from flint_core.coupons.views import CouponOut, coupon_out
from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError
from flint_core.platform.context import Context
from flint_core.platform.pagination import Page, paginate
from flint_core.platform.queries import fetch, scoped
from flint_core.platform.registry import CREATE, READ_ONLY, operation
from flint_core.store.tables import Coupon


@operation("create_coupon", http="POST /v1/coupons", scope="coupons:write", safety=CREATE,
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


@operation("get_coupon", http="GET /v1/coupons/{coupon_id}", scope="orders:read", safety=READ_ONLY,
           summary="Fetch one coupon, with its redemption count and validity.")
def get_coupon(ctx: Context, params: GetCouponInput) -> CouponOut:
    """Fetch a coupon by id: its terms, `times_redeemed` and whether it is `valid` right now. To resolve a
    code a customer typed, use list_coupons(code=...)."""
    return coupon_out(ctx, fetch(ctx, Coupon, params.coupon_id, resource="coupon"))


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
