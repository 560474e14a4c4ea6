"""Orders: the primitive. Create, preview, read, list, edit while OPEN, cancel, close, coupons on an order."""

from flint_core.orders import errors, events  # noqa: F401  (declare the domain's error codes and event types)

TITLE = "Orders"
DESCRIPTION = "Create, quote, read, list and edit orders; coupons on an order; cancel or close one."
DOCS = "orders"
