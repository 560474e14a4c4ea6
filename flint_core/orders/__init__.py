"""Orders: the primitive. Create, preview, read, list, edit while OPEN, cancel, close, coupons on an order."""

TITLE = "Orders"
DOCS = "orders"
