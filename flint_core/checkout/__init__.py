"""Hosted checkout sessions: a page on Flint where the buyer pays one order."""

TITLE = "Hosted checkout"
DOCS = "checkout"
