"""Coupons: codes that discount an order, with limits on redemptions, dates and stacking."""

TITLE = "Coupons"
DOCS = "coupons"
