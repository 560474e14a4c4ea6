"""Tool calls: what the tool faces (`POST /v1/tool_calls` and MCP `tools/call`) share.

A tool's arguments are the operation's fields plus `idempotency_key` (REQUIRED on writes). They are
checked against the exported schema (jsonschema) before the operation's own validation, so a router or
an MCP client gets the same errors whatever format it was given; then the call runs through
``runtime.invoke`` like any request (same auth, scopes, idempotency, activities, request ids).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from jsonschema import Draft202012Validator

from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError
from flint_core.platform import registry, schema, tool_schemas
from flint_core.platform.auth import Principal, authenticate
from flint_core.platform.context import utcnow
from flint_core.platform.request_logs import Transport
from flint_core.platform.runtime import Outcome, invoke
from flint_core.platform.settings import Settings
from flint_core.platform.toolsets import Selection, shown
from flint_core.platform.validation import dotted
from flint_core.store.db import Database


def api_key_from_authorization(header: str | None) -> str | None:
    """``Bearer <key>``, or HTTP Basic with the key as user name (``curl -u sk_test_...:``)."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip()).decode().split(":", 1)[0]
        except (binascii.Error, UnicodeDecodeError):
            return "invalid"
    return "invalid"


def principal_of(db: Database, api_key: str | None) -> Principal:
    """Authenticate a key (raises the 401 FlintError) to decide which tools it may see."""
    with db.transaction(write=False) as session:
        return authenticate(session, api_key, utcnow())


EVERY_TOOLSET = Selection(toolsets=frozenset(registry.DOMAINS))


def tools_for(principal: Principal, fmt: str = "mcp", chosen: Selection = EVERY_TOOLSET) -> list[dict[str, Any]]:
    """The tool definitions a key may use, of the selected toolsets (every toolset unless told)."""
    return [tool_schemas.tool(op, fmt) for op in shown(principal, chosen)]


_VALIDATORS: dict[str, tuple[dict[str, Any], Draft202012Validator]] = {}


def validator_of(op: registry.Operation) -> Draft202012Validator:
    """The operation's input-schema validator, built once per schema (building one per call, with the
    schema derived again from the pydantic model, cost 5 ms of every create_order tool call)."""
    schema_ = tool_schemas.shared_input_schema(op)
    hit = _VALIDATORS.get(op.name)
    if hit is None or hit[0] is not schema_:
        hit = _VALIDATORS[op.name] = (schema_, Draft202012Validator(schema_))
    return hit[1]


def schema_error(op: registry.Operation, arguments: dict[str, Any]) -> FlintError | None:
    """The first jsonschema violation as the Flint envelope (enum spellings are left to the operation,
    which also accepts lenient spellings such as lower case)."""
    validator = validator_of(op)
    errors = sorted((e for e in validator.iter_errors(arguments) if e.validator != "enum"),
                    key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    error = errors[0]
    path = dotted(tuple(error.absolute_path))
    if error.validator == "required":
        missing = error.message.split("'")[1]
        return FlintError("parameter_missing", param=dotted((*error.absolute_path, missing)))
    if error.validator == "additionalProperties":
        extra = error.message.split("'")[1]
        return FlintError("unknown_parameter", param=dotted((*error.absolute_path, extra)))
    return FlintError("parameter_invalid", param=path or None, detail=error.message)


def call(db: Database, name: Any, arguments: Any, *, api_key: str | None, face: str,
         request_id: str | None = None, settings: Settings = Settings(),
         transport: Transport | None = None, rejected: FlintError | None = None) -> Outcome:
    """Run one tool call; the outcome's body is the operation's JSON or the error envelope. A call the
    schema (or the face: ``rejected``) refuses still goes through ``invoke`` (authenticated, budgeted,
    logged) with that error as its answer."""
    request_id = request_id or ids.new_id("request")
    try:
        if rejected is not None:
            raise rejected
        op = registry.get(name) if isinstance(name, str) else None
        if op is None:
            raise FlintError("resource_missing", param="name", resource="tool", id=str(name))
        if not isinstance(arguments, dict):
            raise FlintError("parameter_invalid", param="arguments", detail="must be a JSON object")
        arguments = schema.drop_nulls(arguments)
        rejected = schema_error(op, arguments)
    except FlintError as exc:
        rejected = exc
    arguments = dict(arguments) if isinstance(arguments, dict) else {"arguments": arguments}
    key = arguments.pop("idempotency_key", None)
    if not isinstance(key, str):
        key = None
    operation = name[:64] if isinstance(name, str) else None
    return invoke(db, operation, arguments, api_key=api_key, face=face, request_id=request_id,
                  idempotency_key=key, settings=settings, transport=transport, rejected=rejected)
