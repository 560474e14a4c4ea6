"""The tool catalog and the tool-call endpoint for LLM tool routers (API.md section 8).

`GET /v1/tools?format=mcp|openai|anthropic|gemini` lists the operations the calling key may use as tool
definitions; `POST /v1/tool_calls {"name", "arguments"}` runs the same operation as the HTTP route and
the MCP tool. Arguments are checked against the exported schema (jsonschema) before the operation's own
validation, so a router gets the same errors whatever it was told.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from jsonschema import Draft202012Validator
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from flint_core import registry, tool_schemas
from flint_core.auth import authenticate
from flint_core.errors import FlintError
from flint_core.runtime import Outcome, Settings, dumps, invoke, utcnow
from flint_core.store.db import Database
from flint_core.validation import dotted
from flint_http.bodies import read_json_object


def schema_error(op: registry.Operation, arguments: dict[str, Any]) -> FlintError | None:
    """The first jsonschema violation as the Flint envelope (enum spellings are left to the operation,
    which also accepts lenient spellings such as lower case)."""
    validator = Draft202012Validator(tool_schemas.input_schema(op))
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


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def tools_router(db: Database, settings: Settings, key_of: Any, respond: Any) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def fail(exc: FlintError, request: Request) -> Response:
        return respond(Outcome(exc.http_status, dumps(exc.envelope(request.state.request_id))))

    @router.get("/v1/tools")
    async def list_tools(request: Request, format: str = "mcp") -> Response:  # noqa: A002
        if format not in tool_schemas.FORMATS:
            return fail(FlintError("parameter_invalid", param="format",
                                   detail=f"use one of {', '.join(tool_schemas.FORMATS)}"), request)

        def principal() -> Any:
            with db.transaction(write=False) as session:
                return authenticate(session, key_of(request), utcnow())

        try:
            who = await run_in_threadpool(principal)
        except FlintError as exc:
            return fail(exc, request)
        tools = [tool_schemas.tool(op, format) for op in registry.operations() if who.has_scope(op.scope)]
        return JSONResponse({"object": "list", "format": format, "data": tools, "next_page_token": ""})

    @router.post("/v1/tool_calls")
    async def call_tool(request: Request) -> Response:
        try:
            body = await read_json_object(request)
            name, arguments = body.get("name"), body.get("arguments") or {}
            if set(body) - {"name", "arguments"}:
                raise FlintError("unknown_parameter", param=sorted(set(body) - {"name", "arguments"})[0])
            op = registry.get(name) if isinstance(name, str) else None
            if op is None:
                raise FlintError("resource_missing", param="name", resource="tool", id=str(name))
            if not isinstance(arguments, dict):
                raise FlintError("parameter_invalid", param="arguments", detail="must be a JSON object")
            arguments = _drop_nulls(arguments)
            invalid = schema_error(op, arguments)
            if invalid is not None:
                raise invalid
        except FlintError as exc:
            return fail(exc, request)
        key = arguments.pop("idempotency_key", None)
        outcome = await run_in_threadpool(invoke, db, op.name, arguments, api_key=key_of(request), face="tool_call",
                                          request_id=request.state.request_id, idempotency_key=key, settings=settings)
        if outcome.status < 400:  # {"result": ...}: the operation's JSON, wrapped without re-encoding it
            outcome = Outcome(outcome.status, '{"result":' + outcome.body + "}", outcome.replayed)
        return respond(outcome)

    return router
