"""The MCP server, built from the operation registry (DESIGN.md section 2).

Tools are registered with the low-level ``mcp`` server API so their ``inputSchema``/``outputSchema`` are
exactly ``tool_schemas``' portable schemas (the operation's fields at the top level, ``idempotency_key``
required on writes), not schemas derived from Python signatures. A call goes through
``tool_calls.call`` -> ``runtime.invoke(face="mcp")``: the same auth, scopes, validation, idempotency
(the same key over HTTP and MCP is the same request), activities and request ids as every other face.

The key is fixed per server on stdio and in memory (``api_key=...``) and read from each HTTP request's
``Authorization`` header on streamable HTTP, so one server serves every key and ``tools/list`` shows
only what the calling key may use.

Tools are defined once per server (their schemas derived once per process, in ``tool_schemas``), and a
call's result reuses the operation's JSON text: parsed once for ``structuredContent``, sent as is for the
text content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from importlib import metadata
from typing import Any

import anyio.to_thread
import mcp_types as types
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError

from flint_core import (
    Database,
    FlintError,
    Outcome,
    Settings,
    Transport,
    blocking,
    error_outcome,
    ids,
    registry,
    tool_calls,
    tool_schemas,
)
from flint_mcp import prompts, resources
from flint_mcp.summary import summarize, summarize_error

INSTRUCTIONS = """Flint is an order-first commerce API: orders, payments, refunds, customers, coupons, checkout.
Read flint://skill before acting (rules, routing table, recipes) and flint://status-tables for what each
status allows. Every write tool REQUIRES idempotency_key: a fresh unique value per intended action, reused
only to retry that same call (a replay never acts twice). Never invent ids: copy them from tool results.
Preview before destructive actions (preview_refund before create_refund). A card decline is a FAILED
payment with a failure block, not an error. Errors are tool errors carrying the error envelope: follow its
retryable, effect and suggested_actions."""


def _version() -> str:
    try:
        return metadata.version("flint")
    except metadata.PackageNotFoundError:
        return "0"


def tool_meta(op: registry.Operation) -> dict[str, Any]:
    """Flint's safety block (moves_money, reversible_by, requires_idempotency_key, scope, ...) for
    ``_meta``. Null entries are left out, as the 2026 wire drops them anyway: same shape on every protocol."""
    return {k: v for k, v in tool_schemas.safety_block(op).items() if v is not None}


def mcp_tool(op: registry.Operation) -> types.Tool:
    """The operation as an MCP tool: tool_schemas' definition, with Flint's safety block in ``_meta``."""
    spec = tool_schemas.tool(op, "mcp")
    return types.Tool(name=spec["name"], title=spec["title"], description=spec["description"],
                      input_schema=spec["inputSchema"], output_schema=spec["outputSchema"],
                      annotations=types.ToolAnnotations.model_validate(spec["annotations"]), meta=tool_meta(op))


DEFERRED_AUTH = "flint_mcp_deferred_auth"


@dataclass
class DeferredAuth:
    """Set by the streamable HTTP app (``scope["state"][DEFERRED_AUTH]``) on a ``tools/call`` it let
    through without checking the key first. The call checks it (``runtime.invoke`` authenticates every
    request) and says so (``checked``); if the key is refused the app answers with ``refusal``, the 401
    the HTTP gate sends, instead of a tool result. A request the MCP server answers without calling the
    tool (malformed params, a protocol error) has its key checked by the app before that answer goes out."""

    checked: bool = False
    refusal: Outcome | None = None


def _auth_error(exc: FlintError, settings: Settings) -> MCPError:
    return MCPError(types.INVALID_REQUEST, f"{exc.spec.code}: {exc.message}",
                    exc.envelope(None, public_url=settings.public_url))


def build_server(db: Database, settings: Settings = Settings(), *, api_key: str | None = None) -> Server[Any]:
    """One MCP server over ``db``. ``api_key`` fixes the caller (stdio, in-memory); without it every
    request must carry ``Authorization: Bearer <key>`` (streamable HTTP)."""
    tools = {op.name: mcp_tool(op) for op in registry.operations()}

    def key_of(ctx: ServerRequestContext[Any]) -> str | None:
        if api_key is not None:
            return api_key
        headers = getattr(ctx.request, "headers", None)
        return tool_calls.api_key_from_authorization(headers.get("authorization")) if headers else None

    def request_id_of(ctx: ServerRequestContext[Any]) -> str:
        """The HTTP request's id (its Request-Id header) when there is one, so logs line up."""
        state = getattr(ctx.request, "scope", {}).get("state", {})
        return state.get("request_id") or ids.new_id("request")

    def deferred_auth_of(ctx: ServerRequestContext[Any]) -> DeferredAuth | None:
        state = getattr(ctx.request, "scope", {}).get("state", {})
        return state.get(DEFERRED_AUTH)

    def refusal(outcome: Outcome, key: str | None, request_id: str) -> Outcome | None:
        """A failed call's answer when its key is refused. A 401 is exactly that (only authentication
        answers one); any other error may be one the face found first (an unknown tool, a schema
        violation: invoke answers those even for a bad key), so the key is checked on its own."""
        if outcome.status == 401:
            return outcome
        try:
            tool_calls.principal_of(db, key)
        except FlintError as exc:
            return error_outcome(exc, request_id, settings)
        except Exception:  # the database failed this check: the call's own answer stands
            return None
        return None

    def transport_of(ctx: ServerRequestContext[Any]) -> Transport:
        """Request logs record MCP tool calls as method ``tools/call`` on path ``/mcp`` (streamable HTTP,
        with the client's address) or ``stdio`` (stdio and in-process sessions)."""
        scope = getattr(ctx.request, "scope", None)
        if not isinstance(scope, dict):
            return Transport("tools/call", "stdio")
        client = scope.get("client")
        return Transport("tools/call", scope.get("path") or "/mcp", client[0] if client else None)

    async def list_tools(ctx: ServerRequestContext[Any], params: Any) -> types.ListToolsResult:
        try:
            who = await blocking.run(db, partial(tool_calls.principal_of, db, key_of(ctx)))
        except FlintError as exc:
            raise _auth_error(exc, settings) from None
        # private: the list depends on the key, so a client must not share it across keys
        return types.ListToolsResult(tools=[tools[op.name] for op in registry.operations()
                                            if tool_calls.visible(who, op)], cache_scope="private")

    async def call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
        request_id, key, deferred, transport = request_id_of(ctx), key_of(ctx), deferred_auth_of(ctx), transport_of(ctx)

        def run() -> Outcome:  # the call and, on an error, the key's own check, run together
            outcome = tool_calls.call(db, params.name, params.arguments or {}, api_key=key, face="mcp",
                                      request_id=request_id, settings=settings, transport=transport)
            if deferred is not None:
                if outcome.status >= 400:
                    deferred.refusal = refusal(outcome, key, request_id)
                deferred.checked = True  # a success: invoke authenticated the key
            return outcome

        outcome = await blocking.run(db, run, calls_out=blocking.may_call_out(params.name, key))
        body = json.loads(outcome.body)
        meta: dict[str, Any] = {"request_id": request_id, "idempotent_replayed": outcome.replayed}
        if outcome.quota is not None:  # what the RateLimit-* headers say on HTTP
            meta["rate_limit"] = outcome.quota.as_meta()
        failed = outcome.status >= 400
        text = summarize_error(body) if failed else summarize(body, replayed=outcome.replayed)
        return types.CallToolResult(content=[types.TextContent(text=text), types.TextContent(text=outcome.body)],
                                    structured_content=body, is_error=failed, meta=meta)

    async def list_resources(ctx: ServerRequestContext[Any], params: Any) -> types.ListResourcesResult:
        docs = await anyio.to_thread.run_sync(lambda: resources.static_docs() + resources.page_docs())
        return types.ListResourcesResult(resources=[types.Resource(
            uri=d.uri, name=d.name, title=d.title, description=d.description, mime_type=resources.MARKDOWN,
            size=len(d.text.encode())) for d in docs])

    async def list_templates(ctx: ServerRequestContext[Any], params: Any) -> types.ListResourceTemplatesResult:
        slugs = ", ".join(resources.doc_slugs())
        return types.ListResourceTemplatesResult(resource_templates=[
            types.ResourceTemplate(uri_template=resources.DOC_TEMPLATE, name="docs", title="Flint docs page",
                                   description=f"A docs page as markdown. Slugs: {slugs}.",
                                   mime_type=resources.MARKDOWN),
            types.ResourceTemplate(uri_template=resources.REFERENCE_TEMPLATE, name="skill-references",
                                   title="SKILL.md reference file", description="A reference file of SKILL.md "
                                   "(the full operation reference, the error-code catalog).",
                                   mime_type=resources.MARKDOWN)])

    async def read_resource(ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
                            ) -> types.ReadResourceResult:
        uri = str(params.uri)
        text = await anyio.to_thread.run_sync(resources.read, uri)
        if text is None:
            raise MCPError(types.INVALID_PARAMS, f"Unknown resource {uri}; see resources/list "
                           f"and flint://docs/{{slug}} with a slug of {', '.join(resources.doc_slugs())}.")
        return types.ReadResourceResult(contents=[types.TextResourceContents(
            uri=uri, mime_type=resources.MARKDOWN, text=text)])

    async def list_prompts(ctx: ServerRequestContext[Any], params: Any) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=[types.Prompt(
            name=p.name, title=p.title, description=p.description, arguments=[types.PromptArgument(
                name=a.name, description=a.description, required=a.required) for a in p.arguments])
            for p in prompts.PROMPTS])

    async def get_prompt(ctx: ServerRequestContext[Any], params: types.GetPromptRequestParams) -> types.GetPromptResult:
        prompt = prompts.BY_NAME.get(params.name)
        if prompt is None:
            raise MCPError(types.INVALID_PARAMS, f"Unknown prompt {params.name}; use one of "
                           f"{', '.join(prompts.BY_NAME)}.")
        values = params.arguments or {}
        missing = [a.name for a in prompt.arguments if a.required and not values.get(a.name)]
        if missing:
            raise MCPError(types.INVALID_PARAMS, f"Prompt {prompt.name} needs argument(s): {', '.join(missing)}.")
        return types.GetPromptResult(description=prompt.description, messages=[types.PromptMessage(
            role="user", content=types.TextContent(text=prompt.render(values)))])

    def input_schema(name: str) -> dict[str, Any] | None:
        tool = tools.get(name)
        return tool.input_schema if tool else None

    return Server(
        "flint", version=_version(), title="Flint", description="Order-first commerce API for AI agents.",
        instructions=INSTRUCTIONS, get_tool_input_schema=input_schema, on_list_tools=list_tools,
        on_call_tool=call_tool, on_list_resources=list_resources, on_list_resource_templates=list_templates,
        on_read_resource=read_resource, on_list_prompts=list_prompts, on_get_prompt=get_prompt)
