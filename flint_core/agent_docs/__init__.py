"""Docs for agents: search the guides, read one, explain an error code."""

TITLE = "Docs and errors"
DOCS = None
