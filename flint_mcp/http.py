"""Streamable HTTP at ``/mcp``: the MCP server as an ASGI app for the Flint HTTP server to route to.

- Stateless transport with JSON responses: every POST stands alone and carries its own
  ``Authorization: Bearer`` key, so any worker can answer any request (DESIGN.md section 3) and one
  server instance serves every key.
- Requests without a valid key are refused here with a 401 and the Flint error envelope (plus
  ``WWW-Authenticate``), before any MCP message is read; the tools re-check the key per call anyway.
- DNS-rebinding protection stays on: 127.0.0.1, localhost and [::1] on any port are allowed, and
  ``Settings.mcp_allowed_hosts`` / ``mcp_allowed_origins`` (``FLINT_MCP_ALLOWED_HOSTS`` /
  ``FLINT_MCP_ALLOWED_ORIGINS``, comma-separated) add real host names.
- The SDK's session manager can run only once, so :meth:`McpHttpApp.lifespan` makes a fresh one each
  time the host app starts: one ``create_app`` can be started again (tests, reloads).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio.to_thread
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from flint_core import Database, FlintError, Settings, error_outcome, tool_calls
from flint_mcp.server import build_server

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
        if self._manager is None:  # the host app was not started with its lifespan
            error = FlintError("internal_error", request_id=request_id)
            await self._refuse(error, request_id, scope, receive, send)
            return
        key = tool_calls.api_key_from_authorization(Headers(scope=scope).get("authorization"))
        try:
            await anyio.to_thread.run_sync(tool_calls.principal_of, self.db, key)
        except FlintError as exc:
            await self._refuse(exc, request_id, scope, receive, send)
            return
        await self._manager.handle_request(scope, receive, send)

    async def _refuse(self, exc: FlintError, request_id: str | None, scope: Scope, receive: Receive,
                      send: Send) -> None:
        headers = {"Flint-Should-Retry": "true" if exc.spec.retryable else "false"}
        if exc.http_status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="flint"'
        response = Response(error_outcome(exc, request_id, self.settings).body, status_code=exc.http_status,
                            media_type="application/json", headers=headers)
        await response(scope, receive, send)
