"""The MCP tool annotations of an operation: one written rule per hint, from the MCP definitions
(docs/mcp.md#annotations states them for readers; tests/unit/test_hints.py checks every operation).

The MCP schema defines each hint for a tool that is not read-only:

- ``readOnlyHint``: the tool does not modify its environment. Flint: the operation writes nothing but
  its own request log (``Safety.read_only``).
- ``destructiveHint``: the tool may perform destructive updates; false means it performs only additive
  updates. Flint: every write that changes or removes something that already exists. Only writes that
  add new objects and touch nothing else (``Safety.additive``: create_order, create_customer, ...) are
  false. This is wider than Flint's own ``destructive`` fact (cannot be undone, previewed first): an
  ``update_*`` is reversible yet still overwrites what was there.
- ``idempotentHint``: calling it again with the same arguments has no additional effect. Flint: true for
  every tool, because every write requires ``idempotency_key`` and the same key with the same arguments
  replays the first result instead of acting again (docs/idempotency.md).
- ``openWorldHint``: the tool may interact with external entities. Flint: the operation reaches outside
  Flint's own database, to the card processor (a charge, a capture, a refund, a void) or to a URL the
  merchant registered (a webhook delivery) (``Safety.open_world``).

Reads are ``readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false``:
the last three are meaningful only for writes, and stating them keeps clients from assuming the
spec's defaults (destructive, not idempotent, open world).
"""

from __future__ import annotations

from flint_core.platform.registry import Operation


def requires_idempotency_key(op: Operation) -> bool:
    """Every write takes a REQUIRED idempotency key (API.md section 3)."""
    return not op.safety.read_only


def annotations(op: Operation) -> dict[str, bool]:
    """The four MCP hints of ``op``, by the rule above."""
    safety = op.safety
    return {
        "readOnlyHint": safety.read_only,
        "destructiveHint": not safety.read_only and not safety.additive,
        "idempotentHint": safety.read_only or requires_idempotency_key(op),
        "openWorldHint": safety.open_world,
    }
