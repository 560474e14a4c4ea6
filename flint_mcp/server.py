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
    mcp_sessions,
    registry,
    tool_calls,
    tool_schemas,
    toolsets,
)
from flint_mcp import prompts, resources
from flint_mcp.summary import summarize, summarize_error

INSTRUCTIONS = """Flint is an order-first commerce API: orders, payments, refunds, customers, coupons, checkout.
Read flint://skill before acting (rules, routing table, recipes) and flint://status-tables for what each
status allows. Every write tool REQUIRES idempotency_key: a fresh unique value per intended action, reused
only to retry that same call (a replay never acts twice). Never invent ids: copy them from tool results.
Preview before destructive actions (preview_refund before create_refund). A card decline is a FAILED
payment with a failure block, not an error. Errors are tool errors carrying the error envelope: follow its
retryable, effect and suggested_actions. You see the default toolsets (orders, payments, refunds,
customers, docs); list_toolsets shows the others (webhooks, coupons, tax, ...) and enable_toolset adds one."""


def _version() -> str:
    try:
        return metadata.version("flint")
    except metadata.PackageNotFoundError:
        return "0"


def mcp_tool(op: registry.Operation) -> types.Tool:
    """The operation as an MCP tool: exactly tool_schemas' ``mcp`` definition (Flint's safety facts in
    ``_meta``), as the tool catalog serves it too."""
    return types.Tool.model_validate(tool_schemas.tool(op, "mcp"))


ENABLE_TOOLSET = "enable_toolset"


def enable_toolset_tool() -> types.Tool:
    """The MCP-only discovery tool: it changes which tools this session shows, never Flint's data."""
    return types.Tool(
        name=ENABLE_TOOLSET, title="Show more tools in this session",
        description="Add toolsets to this session's tools (see list_toolsets for what each holds). The new "
                    "tools appear at once (the server sends notifications/tools/list_changed). Scopes still "
                    "decide what the key may call. Changes no Flint data.",
        input_schema={"type": "object", "properties": {"toolsets": {
            "type": "array", "items": {"type": "string", "enum": toolsets.names()},
            "description": "Toolset names from list_toolsets, e.g. [\"webhooks\"]."}},
            "required": ["toolsets"], "additionalProperties": False},
        output_schema={"type": "object", "properties": {
            "object": {"type": "string"}, "enabled": {"type": "array", "items": {"type": "string"}},
            "tools_added": {"type": "array", "items": {"type": "string"}}}},
        annotations=types.ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                                          open_world_hint=False))


# What the streamable HTTP app (flint_mcp.http) leaves in ``scope["state"]`` for the server.
SELECTION = "flint_mcp_selection"  # the toolsets the request selected (?toolsets=, Flint-Toolsets)
SESSION_ID = "flint_mcp_session_id"  # the request's Mcp-Session-Id, when it is one Flint could have made
TOOLS_CHANGED = "flint_mcp_tools_changed"  # set by enable_toolset: the answer carries list_changed


def error_result(envelope: dict[str, Any], text: str | None = None,
                 meta: dict[str, Any] | None = None) -> types.CallToolResult:
    """A failed call: ``isError`` with a one-line summary and the error envelope as JSON text, and no
    ``structuredContent``. Clients check structuredContent against the tool's outputSchema (the success
    shape), so an envelope there hid the error behind a validation failure in the MCP Inspector."""
    return types.CallToolResult(content=[types.TextContent(text=summarize_error(envelope)),
                                         types.TextContent(text=text or json.dumps(envelope))],
                                is_error=True, meta=meta)


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


def build_server(db: Database, settings: Settings = Settings(), *, api_key: str | None = None,
                 selection: toolsets.Selection = toolsets.Selection()) -> Server[Any]:
    """One MCP server over ``db``. ``api_key`` fixes the caller (stdio, in-memory); without it every
    request must carry ``Authorization: Bearer <key>`` (streamable HTTP), and its selection of toolsets
    (``selection`` for the others) and session come with each request."""
    tools = {op.name: mcp_tool(op) for op in registry.operations()}
    enable_tool = enable_toolset_tool()
    # stdio and in-memory: the server serves one client, so the session's toolsets live here
    local: dict[str, frozenset[str]] = {"enabled": frozenset()}

    def key_of(ctx: ServerRequestContext[Any]) -> str | None:
        if api_key is not None:
            return api_key
        headers = getattr(ctx.request, "headers", None)
        return tool_calls.api_key_from_authorization(headers.get("authorization")) if headers else None

    def request_id_of(ctx: ServerRequestContext[Any]) -> str:
        """The HTTP request's id (its Request-Id header) when there is one, so logs line up."""
        state = getattr(ctx.request, "scope", {}).get("state", {})
        return state.get("request_id") or ids.new_id("request")

    def state_of(ctx: ServerRequestContext[Any]) -> dict[str, Any] | None:
        """The HTTP request's state, None on stdio and in memory."""
        scope = getattr(ctx.request, "scope", None)
        return scope.setdefault("state", {}) if isinstance(scope, dict) else None

    def deferred_auth_of(ctx: ServerRequestContext[Any]) -> DeferredAuth | None:
        state = getattr(ctx.request, "scope", {}).get("state", {})
        return state.get(DEFERRED_AUTH)

    def shown(ctx: ServerRequestContext[Any], who: Any) -> tuple[toolsets.Selection, bool]:
        """The session's selection (the request's or the server's, plus what enable_toolset added) and
        whether the session can enable more."""
        state = state_of(ctx)
        if state is None:
            return selection.enabling(local["enabled"]), True
        chosen, session_id = state.get(SELECTION, selection), state.get(SESSION_ID)
        if session_id is None:  # no session to remember toolsets in: ?toolsets= selects them
            return chosen, False
        return chosen.enabling(mcp_sessions.enabled(db, session_id, who)), True

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
        key = key_of(ctx)

        def listing() -> list[types.Tool]:
            who = tool_calls.principal_of(db, key)
            chosen, can_enable = shown(ctx, who)
            listed = [tools[op.name] for op in toolsets.shown(who, chosen)]
            if not any(t.name == "list_toolsets" for t in listed):
                listed.append(tools["list_toolsets"])  # discovery stays, whatever was selected
            if can_enable and not all(chosen.shows_toolset(name) for name in toolsets.names()):
                listed.append(enable_tool)
            return listed

        try:
            listed = await blocking.run(db, listing)
        except FlintError as exc:
            raise _auth_error(exc, settings) from None
        # private: the list depends on the key, so a client must not share it across keys
        return types.ListToolsResult(tools=listed, cache_scope="private")

    async def enable_toolsets(ctx: ServerRequestContext[Any], arguments: dict[str, Any]) -> types.CallToolResult:
        """enable_toolset: add toolsets to the session, then tell the client its list changed."""
        key, deferred, state = key_of(ctx), deferred_auth_of(ctx), state_of(ctx)
        request_id = request_id_of(ctx)

        def enable() -> dict[str, Any]:
            who = tool_calls.principal_of(db, key)
            if deferred is not None:
                deferred.checked = True
            wanted = arguments.get("toolsets")
            if isinstance(wanted, str):
                wanted = wanted.split(",")
            if not isinstance(wanted, list) or not wanted or not all(isinstance(t, str) for t in wanted):
                raise FlintError("parameter_invalid", param="toolsets", detail="a list of toolset names")
            added = toolsets.parse(",".join(wanted)) or frozenset()
            before, _ = shown(ctx, who)
            if state is None:
                local["enabled"] = local["enabled"] | added
            elif state.get(SESSION_ID) is not None:
                mcp_sessions.enable(db, state[SESSION_ID], who, added)
            else:
                raise FlintError("parameter_invalid", param="toolsets", detail="this connection has no MCP "
                                 "session to remember toolsets in: connect to /mcp?toolsets=... instead")
            after, _ = shown(ctx, who)
            new = [op.name for op in toolsets.shown(who, after) if not before.shows(op)]
            return {"object": "toolset_selection", "enabled": sorted(after.enabled), "tools_added": new}

        try:
            body = await blocking.run(db, enable)
        except FlintError as exc:
            if deferred is not None and exc.spec.http_status == 401:
                deferred.refusal, deferred.checked = error_outcome(exc, request_id, settings), True
            envelope = exc.envelope(request_id, public_url=settings.public_url)
            return error_result(envelope)
        if body["tools_added"]:
            if state is None:
                await ctx.session.send_tool_list_changed()
            else:
                state[TOOLS_CHANGED] = True  # flint_mcp.http sends it ahead of this answer
        text = (f"Enabled {', '.join(body['enabled'])}: {len(body['tools_added'])} tools added"
                + (f" ({', '.join(body['tools_added'])})." if body["tools_added"] else "."))
        return types.CallToolResult(content=[types.TextContent(text=text)], structured_content=body)

    async def call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
        if params.name == ENABLE_TOOLSET:
            return await enable_toolsets(ctx, params.arguments or {})
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
        if outcome.status >= 400:
            return error_result(body, outcome.body, meta)
        return types.CallToolResult(content=[types.TextContent(text=summarize(body, replayed=outcome.replayed)),
                                             types.TextContent(text=outcome.body)],
                                    structured_content=body, meta=meta)

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
        tool = enable_tool if name == ENABLE_TOOLSET else tools.get(name)
        return tool.input_schema if tool else None

    return Server(
        "flint", version=_version(), title="Flint", description="Order-first commerce API for AI agents.",
        instructions=INSTRUCTIONS, get_tool_input_schema=input_schema, on_list_tools=list_tools,
        on_call_tool=call_tool, on_list_resources=list_resources, on_list_resource_templates=list_templates,
        on_read_resource=read_resource, on_list_prompts=list_prompts, on_get_prompt=get_prompt)
