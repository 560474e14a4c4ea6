"""Accounts: who calls and where. Merchants (headless signup), their API keys (secret and restricted, with
expiry, roll and revoke), their test-mode sandboxes, and whoami."""

TITLE = "Merchant, API keys and sandboxes"
DOCS = "authentication"
