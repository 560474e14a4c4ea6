"""Refunds: whole, partial or by line; previews; settlement of refunds the processor left pending."""

from flint_core.refunds import errors  # noqa: F401  (declares the domain's error codes on import)

TITLE = "Refunds"
DOCS = "refunds"
