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
- The SDK's session manager can run only once, so :meth:`McpHttpApp.lifespan` makes a fresh one each
  time the host app starts: one ``create_app`` can be started again (tests, reloads).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from typing import Any

from mcp.server.streamable_http_manager import DEFAULT_MAX_REQUEST_BODY_SIZE, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from flint_core import Database, FlintError, Outcome, Settings, blocking, error_outcome, tool_calls
from flint_mcp.server import DEFERRED_AUTH, DeferredAuth, build_server

PATH = "/mcp"
_LOCAL_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*", "127.0.0.1", "localhost", "[::1]"]
_LOCAL_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]


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
        key = tool_calls.api_key_from_authorization(Headers(scope=scope).get("authorization"))
        if key is not None and scope.get("method") == "POST":
            method, receive = await _peek_method(receive)
            if method == "tools/call":  # the call authenticates the key: see DeferredAuth
                deferred = DeferredAuth()
                scope.setdefault("state", {})[DEFERRED_AUTH] = deferred
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
