"""Flint's commerce core, as its faces see it: this module is their one door.

flint_http, flint_mcp, skill, flint_cli and the server that composes them import from ``flint_core`` only
(tests/unit/test_layers.py checks it), never from a module inside it. Everything an operation does is
reached through the registry and the two runners: ``invoke`` for a caller with (or without) a key, and
``run_as_system`` for a hosted page acting for the merchant whose page it is. The rest is what a face
needs to present Flint: settings, the error catalog, tool formats, request logs, the docs index, the
hosted pages' view models, the job queue and the database.
"""

from flint_core import hosted
from flint_core.accounts.service import bootstrap
from flint_core.agent_docs import catalogs, docs_index
from flint_core.kernel import errors, ids, money
from flint_core.kernel.errors import FlintError
from flint_core.kernel.money import CurrencyError, Money
from flint_core.kernel.state_machine import StateMachine
from flint_core.platform import (
    blocking,
    housekeeping,
    mcp_sessions,
    queue,
    registry,
    request_logs,
    tool_calls,
    tool_schemas,
    toolsets,
)
from flint_core.platform.context import utcnow
from flint_core.platform.rate_limits import Budget, RateLimits
from flint_core.platform.registry import Operation
from flint_core.platform.request_logs import Transport
from flint_core.platform.runtime import Outcome, error_outcome, invoke, run_as_system
from flint_core.platform.schema import OPENAPI_ONLY
from flint_core.platform.settings import DEFAULT_PUBLIC_URL, HANDOFF, Settings
from flint_core.platform.validation import dotted
from flint_core.processors import recovery
from flint_core.processors.base import Failure
from flint_core.processors.cards import TEST_CARDS
from flint_core.store import db as database
from flint_core.store.db import Database

__all__ = [
    # running operations
    "registry", "Operation", "invoke", "run_as_system", "blocking", "Outcome", "error_outcome", "tool_calls",
    "tool_schemas", "toolsets", "mcp_sessions",
    "Transport", "FlintError", "dotted", "OPENAPI_ONLY", "StateMachine",
    # configuration and storage
    "Settings", "DEFAULT_PUBLIC_URL", "HANDOFF", "Budget", "RateLimits", "Database", "database", "bootstrap", "queue",
    "housekeeping",
    # what faces present
    "errors", "ids", "money", "Money", "CurrencyError", "utcnow", "request_logs", "docs_index", "catalogs", "hosted",
    "recovery", "Failure", "TEST_CARDS",
]

registry.load()  # every domain imported: the registry and the error catalog are complete for every face
