"""Coupons: codes that discount an order, with limits on redemptions, dates and stacking."""

from flint_core.coupons import errors  # noqa: F401  (declares the domain's error codes on import)

TITLE = "Coupons"
DESCRIPTION = "Create and read coupon codes with their redemption limits, dates and stacking rules."
DOCS = "coupons"
