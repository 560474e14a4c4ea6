"""Refunds: whole, partial or by line; previews; settlement of refunds the processor left pending."""

from flint_core.refunds import errors, events  # noqa: F401  (declare the domain's error codes and event types)

TITLE = "Refunds"
DESCRIPTION = "Preview and issue refunds (whole, partial or by line) and read them."
DOCS = "refunds"
