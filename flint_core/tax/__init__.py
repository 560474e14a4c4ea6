"""Tax: the pure tax rules and the merchant's tax rates by jurisdiction and category."""

TITLE = "Tax rates"
DESCRIPTION = "Tax rates by jurisdiction and category: create, update, read, list."
DOCS = "tax"
