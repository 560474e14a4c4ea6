"""Refunds: whole, partial or by line; previews; settlement of refunds the processor left pending."""

TITLE = "Refunds"
DOCS = "refunds"
