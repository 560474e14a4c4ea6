"""Shared by the MCP tests: real `mcp` clients over each transport, and result helpers.

Every session is a real ``mcp.Client``: in memory against the server object, over streamable HTTP against
a fresh ``create_server`` (its lifespan entered in the test's own event loop), or over stdio against a
``flint mcp`` subprocess. ``mode`` is ``"auto"`` (the 2026-07-28 protocol) or ``"legacy"`` (initialize).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from flint_core.platform import registry, tool_schemas, toolsets
from flint_core.store.db import Database
from flint_mcp.server import build_server
from flint_server import create_server

ROOT = Path(__file__).resolve().parents[2]
BASE = "http://127.0.0.1:8000"
MODES = ("auto", "legacy")


def new_key() -> str:
    return f"mcp-{uuid.uuid4()}"


ALL = toolsets.Selection(frozenset(toolsets.names()))


@asynccontextmanager
async def memory_client(db: Database, key: str, mode: str = "auto",
                        selection: toolsets.Selection = toolsets.Selection(), **options: Any) -> AsyncIterator[Client]:
    """An in-memory session, showing the default set unless ``selection`` says otherwise (``ALL``)."""
    async with Client(build_server(db, api_key=key, selection=selection), mode=mode, **options) as client:
        yield client


@asynccontextmanager
async def http_client_for(url: str, key: str | None, mode: str = "auto", *, app: Any = None
                          ) -> AsyncIterator[Client]:
    """A Client over streamable HTTP: to ``app`` in process (ASGI), or to a real server at ``url``."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    transport = httpx2.ASGITransport(app=app) if app is not None else None
    http = httpx2.AsyncClient(transport=transport, headers=headers, timeout=30)
    async with http, Client(streamable_http_client(url, http_client=http), mode=mode) as client:
        yield client


@asynccontextmanager
async def asgi_client(db: Database, key: str | None, mode: str = "auto", query: str = "") -> AsyncIterator[Client]:
    """A fresh Flint app (the same create_server as production), MCP at /mcp, its lifespan running."""
    app = create_server(db)
    async with app.router.lifespan_context(app), http_client_for(f"{BASE}/mcp{query}", key, mode,
                                                                 app=app) as client:
        yield client


def stdio_params(database_url: str, key: str | None, env: dict[str, str] | None = None,
                 args: tuple[str, ...] = ()) -> StdioServerParameters:
    env = {k: v for k, v in os.environ.items() if k != "FLINT_API_KEY"} | {"PYTHONUNBUFFERED": "1"} | (env or {})
    if key:
        env["FLINT_API_KEY"] = key
    return StdioServerParameters(command=sys.executable, args=["-m", "flint_cli.main", "mcp", "--database-url",
                                                               database_url, *args], env=env, cwd=str(ROOT))


@asynccontextmanager
async def stdio_client(database_url: str, key: str, mode: str = "auto", env: dict[str, str] | None = None,
                       args: tuple[str, ...] = ()) -> AsyncIterator[Client]:
    async with Client(stdio_params(database_url, key, env, args), mode=mode, read_timeout_seconds=60) as client:
        yield client


async def call(client: Client, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Call a tool that must succeed; return its structured content."""
    result = await client.call_tool(name, arguments)
    assert not result.is_error, result.structured_content
    assert result.structured_content is not None
    return result.structured_content


async def call_error(client: Client, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Call a tool that must fail; return the error envelope's ``error``. The envelope is the JSON text
    content, and there is no structuredContent (a client would check it against the success outputSchema)."""
    result = await client.call_tool(name, arguments)
    assert result.is_error, result.structured_content
    assert result.structured_content is None
    envelope = json.loads(result.content[-1].text)
    assert set(envelope) == {"error"}, envelope
    assert envelope["error"]["code"] in result.content[0].text  # the summary names the code
    return envelope["error"]


def expected_tool(name: str) -> dict[str, Any]:
    """What tools/list must say about an operation: tool_schemas' MCP definition."""
    return tool_schemas.tool(registry.get(name), "mcp")  # type: ignore[arg-type]


def listed_names(chosen: toolsets.Selection = toolsets.Selection(), keep: Any = lambda op: True,
                 sessionless: bool = False) -> set[str]:
    """The tools a session with this selection lists for a key that may use the operations ``keep``
    accepts: the selected ones, list_toolsets always, and enable_toolset unless everything is shown or
    the connection has no session (streamable HTTP on the 2026-07-28 protocol)."""
    names = {op.name for op in registry.operations() if chosen.shows(op) and keep(op)} | {"list_toolsets"}
    if not sessionless and not all(chosen.shows_toolset(name) for name in toolsets.names()):
        names.add("enable_toolset")
    return names


def listed(tool: Any) -> dict[str, Any]:
    """A listed tool as plain wire JSON (camelCase, as the client received it)."""
    return tool.model_dump(by_alias=True, exclude_none=True, mode="json")


async def assert_tools_match_registry(client: Client, visible: set[str] | None = None) -> dict[str, Any]:
    """Every listed tool's schemas, annotations and _meta equal tool_schemas'; return them by name."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    names = visible if visible is not None else {op.name for op in registry.operations()}
    assert set(tools) == names
    for name, tool in tools.items():
        if name == "enable_toolset":
            continue
        wire, want = listed(tool), expected_tool(name)
        assert wire["inputSchema"] == want["inputSchema"], name
        assert wire["outputSchema"] == want["outputSchema"], name
        assert wire["annotations"] == want["annotations"], name
        assert (wire["title"], wire["description"]) == (want["title"], want["description"]), name
        assert wire.get("_meta") == want["_meta"], name
        op = registry.get(name)
        assert op is not None
        assert ("idempotency_key" in wire["inputSchema"]["required"]) is (not op.safety.read_only), name
        assert set(wire["annotations"]) == {"readOnlyHint", "destructiveHint", "idempotentHint",
                                            "openWorldHint"}, name
    return tools
