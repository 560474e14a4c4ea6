"""Redemptions, as orders take them: ``redeem`` checks that a code may be applied to an order and counts
one (one conditional UPDATE, so concurrent applications never exceed the limit); ``release`` gives one back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, or_, select, update

from flint_core.coupons.inputs import code_key
from flint_core.kernel.errors import FlintError, not_found
from flint_core.platform.context import Context
from flint_core.platform.queries import row_columns
from flint_core.store.tables import Coupon, Order

_coupons = Coupon.__table__
# Every order with a coupon takes these two steps: Core statements, built once.
_BY_CODE = select(*row_columns(Coupon)).where(
    _coupons.c.merchant_id == bindparam("merchant_id"), _coupons.c.env_id == bindparam("env_id"),
    _coupons.c.code_key == bindparam("code_key"))
_COUNT_ONE = update(_coupons).where(
    _coupons.c.coupon_id == bindparam("b_coupon_id"),
    or_(_coupons.c.max_redemptions.is_(None), _coupons.c.times_redeemed < _coupons.c.max_redemptions)).values(
    times_redeemed=_coupons.c.times_redeemed + 1)


def redeem(ctx: Context, order: Order, code: str, param: str, *, count: bool = True) -> Row[Any]:
    """Check that ``code`` may be applied to ``order`` and count one redemption, atomically
    (``count=False`` checks only, for previews: the limit is judged on the current count). Returns the
    coupon's row as it was read."""
    coupon = ctx.session.execute(_BY_CODE, {"merchant_id": ctx.merchant_id, "env_id": ctx.env_id,
                                            "code_key": code_key(code)}).one_or_none()
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
    counted = ctx.session.execute(_COUNT_ONE, {"b_coupon_id": coupon.coupon_id})
    if counted.rowcount != 1:
        raise FlintError("coupon_redemption_limit_reached", param=param, code=coupon.code,
                         max_redemptions=coupon.max_redemptions)
    return coupon


def release(ctx: Context, coupon_id: str) -> None:
    """Give back one redemption (coupon removed from an order, or the order canceled)."""
    ctx.session.execute(
        update(Coupon).where(Coupon.coupon_id == coupon_id, Coupon.times_redeemed > 0)
        .values(times_redeemed=Coupon.times_redeemed - 1).execution_options(synchronize_session=False))
