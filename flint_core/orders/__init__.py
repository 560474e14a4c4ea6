"""Orders: the primitive. Create, preview, read, list, edit while OPEN, cancel, close, coupons on an order."""

from flint_core.orders import errors  # noqa: F401  (declares the domain's error codes on import)

TITLE = "Orders"
DOCS = "orders"
