"""Payments: pay an order, 3D Secure, holds and capture, voids, retries after a processor failure."""

from flint_core.payments import errors, events  # noqa: F401  (declare the domain's error codes and event types)

TITLE = "Payments"
DESCRIPTION = "Charge or hold an order's balance, 3D Secure, capture and void holds, retry after a processor failure."
DOCS = "payments"
