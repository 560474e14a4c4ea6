"""Streamable HTTP at ``/mcp``: the MCP server as an ASGI app for the Flint HTTP server to route to.

- Stateless transport with JSON responses: every POST stands alone and carries its own
  ``Authorization: Bearer`` key, so any worker can answer any request (DESIGN.md section 3) and one
  server instance serves every key.
- Requests without a valid key are refused with a 401 and the Flint error envelope (plus
  ``WWW-Authenticate``). Most are refused here, before the MCP server sees them. A ``tools/call`` with a
  key is the exception: the call authenticates its key anyway (``runtime.invoke`` admits every request,
  key and rate-limit budgets together), so checking it here too cost every call a database transaction
  and a worker-thread hop of their own. Instead the call reports a refused key
  (:class:`DeferredAuth`) and the answer is swapped for the same 401 before anything is sent.
- DNS-rebinding protection stays on: 127.0.0.1, localhost and [::1] on any port are allowed, and
  ``Settings.mcp_allowed_hosts`` / ``mcp_allowed_origins`` (``FLINT_MCP_ALLOWED_HOSTS`` /
  ``FLINT_MCP_ALLOWED_ORIGINS``, comma-separated) add real host names.
- Toolsets: ``?toolsets=a,b`` (or the ``Flint-Toolsets`` header) and ``?read_only=true`` select the tools
  listed; a bad selection is a 400 before the MCP server sees the request. A handshake (``initialize``) is
  answered with an ``Mcp-Session-Id`` Flint makes: clients send it back, and ``enable_toolset`` keeps the
  session's toolsets in the database under it (flint_core.mcp_sessions), so any worker knows them. The
  call that enabled toolsets is answered as an event stream whose first event is
  ``notifications/tools/list_changed`` (JSON responses have no other way to carry it).
- The SDK's session manager can run only once, so :meth:`McpHttpApp.lifespan` makes a fresh one each
  time the host app starts: one ``create_app`` can be started again (tests, reloads).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from typing import Any

from mcp.server.streamable_http_manager import DEFAULT_MAX_REQUEST_BODY_SIZE, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers, QueryParams
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from flint_core import (
    Database,
    FlintError,
    Outcome,
    Settings,
    blocking,
    error_outcome,
    mcp_sessions,
    tool_calls,
    toolsets,
)
from flint_mcp.server import DEFERRED_AUTH, SELECTION, SESSION_ID, TOOLS_CHANGED, DeferredAuth, build_server

PATH = "/mcp"
_LOCAL_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*", "127.0.0.1", "localhost", "[::1]"]
_LOCAL_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
_SESSION_ID = re.compile(r"^mcps_[A-Za-z0-9_-]{32}$")
_LIST_CHANGED = b'{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}'


def transport_security(settings: Settings) -> TransportSecuritySettings:
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*_LOCAL_HOSTS, *settings.mcp_allowed_hosts],
        allowed_origins=[*_LOCAL_ORIGINS, *settings.mcp_allowed_origins])


class McpHttpApp:
    """The ASGI app behind ``/mcp``."""

    def __init__(self, db: Database, settings: Settings = Settings()) -> None:
        self.db = db
        self.settings = settings
        self.server = build_server(db, settings)
        self.security = transport_security(settings)
        self._manager: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        manager = StreamableHTTPSessionManager(app=self.server, stateless=True, json_response=True,
                                               security_settings=self.security)
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    def wrap_lifespan(self, inner: Callable[[Any], AbstractAsyncContextManager[Any]]
                      ) -> Callable[[Any], AbstractAsyncContextManager[Any]]:
        """The host app's lifespan with this app's session manager running inside it."""

        @asynccontextmanager
        async def lifespan(app: Any) -> AsyncIterator[Any]:
            async with self.lifespan(), inner(app) as state:
                yield state

        return lifespan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = scope.get("state", {}).get("request_id")
        manager = self._manager
        if manager is None:  # the host app was not started with its lifespan
            error = FlintError("internal_error", request_id=request_id)
            await self._refuse(error_outcome(error, request_id, self.settings), scope, receive, send)
            return
        headers = Headers(scope=scope)
        state = scope.setdefault("state", {})
        try:
            query = QueryParams(scope.get("query_string", b""))
            state[SELECTION] = toolsets.selection(query.get("toolsets") or headers.get("flint-toolsets"),
                                                  query.get("read_only"))
        except FlintError as exc:
            await self._refuse(error_outcome(exc, request_id, self.settings), scope, receive, send)
            return
        session_id = headers.get("mcp-session-id")
        if session_id and _SESSION_ID.match(session_id):
            state[SESSION_ID] = session_id
        key = tool_calls.api_key_from_authorization(headers.get("authorization"))
        method = None
        if scope.get("method") == "POST":
            method, receive = await _peek_method(receive)
            if method == "initialize":
                send = _with_session_id(send)
            elif method == "tools/call":
                send = _announcing_list_changed(state, send)
        if key is not None and method == "tools/call":  # the call authenticates the key: see DeferredAuth
            deferred = DeferredAuth()
            state[DEFERRED_AUTH] = deferred
            await manager.handle_request(scope, receive, self._refusing(deferred, key, scope, receive, send))
            return
        try:
            await blocking.run(self.db, partial(tool_calls.principal_of, self.db, key))
        except FlintError as exc:
            await self._refuse(error_outcome(exc, request_id, self.settings), scope, receive, send)
            return
        await manager.handle_request(scope, receive, send)

    def _refusing(self, deferred: DeferredAuth, key: str, scope: Scope, receive: Receive, send: Send) -> Send:
        """``send``, unless the key is refused: then the 401 the gate would have sent goes out instead of
        the MCP server's answer (JSON responses are sent whole, once the call is done). The tool call
        checked the key; if the server answered without calling it, the key is checked here first."""

        async def refusing(message: Message) -> None:
            if message["type"] == "http.response.start" and not deferred.checked:
                try:
                    await blocking.run(self.db, partial(tool_calls.principal_of, self.db, key))
                except FlintError as exc:
                    deferred.refusal = error_outcome(exc, scope.get("state", {}).get("request_id"), self.settings)
                deferred.checked = True
            if deferred.refusal is None:
                await send(message)
            elif message["type"] == "http.response.start":
                await self._refuse(deferred.refusal, scope, receive, send)
            # the MCP server's body for a refused call is dropped

        return refusing

    async def _refuse(self, outcome: Outcome, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {"Flint-Should-Retry": "true" if outcome.should_retry else "false"}
        if outcome.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="flint"'
        response = Response(outcome.body, status_code=outcome.status, media_type="application/json",
                            headers=headers)
        await response(scope, receive, send)


def _with_session_id(send: Send) -> Send:
    """``send`` with an ``Mcp-Session-Id`` on the answer to ``initialize``: the session the client then
    names on every request (the transport itself is stateless; see flint_core.mcp_sessions)."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 200:
            session_id = mcp_sessions.new_id().encode()
            message = {**message, "headers": [*message.get("headers", []), (b"mcp-session-id", session_id)]}
        await send(message)

    return sending


def _announcing_list_changed(state: dict[str, Any], send: Send) -> Send:
    """``send``, except that once a call changed the session's tools (``TOOLS_CHANGED``) its JSON answer
    goes out as an event stream: ``notifications/tools/list_changed`` first, then the answer. Both are
    allowed answers to a POST; only the stream can carry the notification."""
    start: Message | None = None
    body: list[bytes] = []

    async def sending(message: Message) -> None:
        nonlocal start
        if not state.get(TOOLS_CHANGED):
            await send(message)
            return
        if message["type"] == "http.response.start":
            start = message
            return
        body.append(message.get("body", b""))
        if message.get("more_body", False) or start is None:
            return
        stream = b"".join(b"event: message\ndata: " + data + b"\n\n" for data in (_LIST_CHANGED, b"".join(body)))
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-type", b"content-length")]
        headers += [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"),
                    (b"content-length", str(len(stream)).encode())]
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": stream})

    return sending


async def _peek_method(receive: Receive) -> tuple[str | None, Receive]:
    """The JSON-RPC method of a POST whose body is one request object (None for anything else: a
    notification, a batch, bad JSON, a body over the transport's size limit), and a ``receive`` that
    hands the MCP server the body again, unchanged."""
    read: list[Message] = []
    chunks: list[bytes] = []
    size = 0
    complete = False
    while True:
        message = await receive()
        read.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > DEFAULT_MAX_REQUEST_BODY_SIZE:
            break
        if not message.get("more_body", False):
            complete = True
            break
    method = None
    if complete:
        try:
            decoded = json.loads(b"".join(chunks))
        except (ValueError, RecursionError):
            decoded = None
        if isinstance(decoded, dict) and "id" in decoded and isinstance(decoded.get("method"), str):
            method = decoded["method"]

    async def replay() -> Message:
        return read.pop(0) if read else await receive()

    return method, replay
