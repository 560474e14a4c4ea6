"""The coupons domain's error codes, registered in the one catalog of
flint_core.kernel.errors when the domain is imported; docs/errors.md documents every code."""

from __future__ import annotations

from functools import partial

from flint_core.kernel import errors
from flint_core.kernel.errors import INVALID

define = partial(errors.define, domain="coupons")

define("coupon_expired", INVALID, 400, "Coupon {code!r} expired at {expires_at}.",
       "The coupon's `expires_at` has passed. Ask the customer for another code.")
define("coupon_inactive", INVALID, 400, "Coupon {code!r} is not active.",
       "The merchant deactivated the coupon.")
define("coupon_redemption_limit_reached", INVALID, 400,
       "Coupon {code!r} has reached its limit of {max_redemptions} redemptions.",
       "Every redemption is counted when the coupon is applied to an order and released when it is removed "
       "or the order is canceled. The count is exact under concurrency.")
define("coupon_not_stackable", INVALID, 400,
       "Coupon {code!r} cannot be combined with another coupon on the same order.",
       "A coupon with `stackable: false` must be the only coupon on its order. Remove the other coupon first.")
define("coupon_already_applied", INVALID, 400, "Coupon {code!r} is already applied to order {order_id}.",
       "Each coupon applies at most once per order.")
