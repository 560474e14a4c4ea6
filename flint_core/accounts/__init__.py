"""Accounts: who calls and where. Merchants (headless signup), their API keys (secret and restricted, with
expiry, roll and revoke), their test-mode sandboxes, and whoami."""

from flint_core.accounts import errors  # noqa: F401  (declares the domain's error codes on import)

TITLE = "Merchant, API keys and sandboxes"
DESCRIPTION = "Merchant signup, API keys (create, roll, revoke), test-mode sandboxes, whoami."
DOCS = "authentication"
