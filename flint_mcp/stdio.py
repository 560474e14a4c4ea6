"""``flint mcp``: the MCP server on stdin/stdout for one API key (``FLINT_API_KEY``).

stdout carries the protocol and nothing else: every diagnostic goes to stderr. The key is checked once
at start so a wrong or revoked key fails loudly before a client connects, and again on every call.
"""

from __future__ import annotations

import sys

import anyio
from mcp.server.stdio import stdio_server

from flint_core import Database, FlintError, Settings, docs_index, tool_calls, toolsets
from flint_mcp.server import build_server


def check_key(db: Database, api_key: str | None) -> str | None:
    """None when the key can be used, else the message to print (to stderr)."""
    if not api_key:
        return "flint mcp: set FLINT_API_KEY to a Flint API key (sk_test_... or a restricted rk_... key)."
    try:
        tool_calls.principal_of(db, api_key)
    except FlintError as exc:
        return f"flint mcp: FLINT_API_KEY cannot be used: {exc.spec.code}: {exc.message}"
    return None


def run(db: Database, api_key: str, settings: Settings = Settings(),
        selection: toolsets.Selection = toolsets.Selection()) -> None:
    server = build_server(db, settings, api_key=api_key, selection=selection)
    docs_index.default_index().refresh()  # the docs search index, built now rather than by the first search

    async def serve() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    print("flint mcp: serving on stdio", file=sys.stderr, flush=True)
    anyio.run(serve)
