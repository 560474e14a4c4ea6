"""Payments: pay an order, 3D Secure, holds and capture, voids, retries after a processor failure."""

from flint_core.payments import errors  # noqa: F401  (declares the domain's error codes on import)

TITLE = "Payments"
DOCS = "payments"
