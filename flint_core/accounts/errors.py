"""The accounts domain's error codes, registered in the one catalog of
flint_core.kernel.errors when the domain is imported; docs/errors.md documents every code."""

from __future__ import annotations

from functools import partial

from flint_core.kernel import errors
from flint_core.kernel.errors import PERM

define = partial(errors.define, domain="accounts")

define("scope_escalation", PERM, 403, "This key lacks scopes the request would grant or act on: {scopes}.",
       "A key may only create keys with scopes it holds, and roll or revoke keys whose scopes it holds.")
define("signup_disabled", PERM, 403, "Merchant signup is disabled on this server.",
       "The server was started with `--no-signup`. Ask its operator for a key.")
