"""The tool catalog and the tool-call endpoint for LLM tool routers (API.md section 8).

`GET /v1/tools?format=...&toolsets=...&read_only=...` lists the operations the calling key may use as tool
definitions, each exactly as its provider's SDK takes it (or Flint's own ``flint`` entry); `POST
/v1/tool_calls {"name", "arguments"}` runs the same operation as the HTTP route and the MCP tool.
Arguments are checked against the exported schema (jsonschema) before the operation's own validation, so
a router gets the same errors whatever it was told.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from flint_core import (
    Database,
    FlintError,
    Settings,
    Transport,
    blocking,
    error_outcome,
    tool_calls,
    tool_schemas,
    toolsets,
)
from flint_http.bodies import read_json_object


def tools_router(db: Database, settings: Settings, key_of: Any, respond: Any) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def fail(exc: FlintError, request: Request) -> Response:
        return respond(error_outcome(exc, request.state.request_id, settings))

    @router.get("/v1/tools")
    async def list_tools(request: Request, format: str = "mcp") -> Response:  # noqa: A002
        # Refused like on every other route: a filter the catalog does not have (`?toolset=`) must not
        # quietly return every tool.
        unknown = sorted(set(request.query_params) - {"format", "toolsets", "read_only"})
        if unknown:
            return fail(FlintError("unknown_parameter", param=unknown[0]), request)
        if format not in tool_schemas.FORMATS:
            return fail(FlintError("parameter_invalid", param="format",
                                   detail=f"use one of {', '.join(tool_schemas.FORMATS)}"), request)
        try:
            chosen = toolsets.selection(request.query_params.get("toolsets"), request.query_params.get("read_only"),
                                        absent_means_all=True)
            who = await blocking.run(db, partial(tool_calls.principal_of, db, key_of(request)))
        except FlintError as exc:
            return fail(exc, request)
        tools = tool_calls.tools_for(who, format, chosen)
        return JSONResponse({"object": "list", "format": format, "data": tools, "next_page_token": ""})

    @router.post("/v1/tool_calls")
    async def call_tool(request: Request) -> Response:
        body: dict[str, Any] = {}
        rejected = None
        try:
            body = await read_json_object(request)
            unknown = sorted(set(body) - {"name", "arguments"}) + sorted(request.query_params)
            if unknown:  # the call is the body: a query parameter is as unknown as an extra field
                raise FlintError("unknown_parameter", param=unknown[0])
        except FlintError as exc:
            rejected = exc  # still authenticated, budgeted and logged
        key, name = key_of(request), body.get("name")
        outcome = await blocking.run(db, partial(
            tool_calls.call, db, name, body.get("arguments") or {}, api_key=key,
            face="tool_call", request_id=request.state.request_id, settings=settings, rejected=rejected,
            transport=Transport("POST", request.url.path, request.client.host if request.client else None)),
            calls_out=blocking.may_call_out(name, key))
        if outcome.status < 400:  # {"result": ...}: the operation's JSON, wrapped without re-encoding it
            outcome = replace(outcome, body='{"result":' + outcome.body + "}")
        return respond(outcome)

    return router
