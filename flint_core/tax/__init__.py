"""Tax: the pure tax rules and the merchant's tax rates by jurisdiction and category."""

TITLE = "Tax rates"
DOCS = "tax"
