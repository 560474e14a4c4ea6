"""Docs for agents: search the guides, read one, explain an error code."""

TITLE = "Docs and errors"
DESCRIPTION = "Search and read Flint's docs; explain an error code."
DOCS = None
