"""Hosted checkout sessions: a page on Flint where the buyer pays one order."""

from flint_core.checkout import events  # noqa: F401  (declare the domain's event types)

TITLE = "Hosted checkout"
DESCRIPTION = "Hosted checkout pages: send a buyer a link to pay one order."
DOCS = "checkout"
