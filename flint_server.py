"""The server Flint runs: the HTTP API (flint_http) with the MCP server (flint_mcp) at /mcp.

Both faces read the same registry and neither imports the other; this module composes them. `flint serve`
runs ``create_server``; tests use it where they need both faces on one app.
"""

from __future__ import annotations

from fastapi import FastAPI

from flint_core import Database, Settings, docs_index
from flint_http.app import create_app
from flint_mcp.http import PATH as MCP_PATH
from flint_mcp.http import McpHttpApp


def create_server(db: Database | None = None, *, settings: Settings = Settings()) -> FastAPI:
    """The HTTP API, with MCP over streamable HTTP at /mcp (its session manager runs inside the app's
    lifespan, and its requests pass through the API's middleware: request ids, logs)."""
    app = create_app(db, settings=settings)
    mcp = McpHttpApp(app.state.db, settings)
    app.router.lifespan_context = mcp.wrap_lifespan(app.router.lifespan_context)
    app.router.add_route(MCP_PATH, mcp, include_in_schema=False)
    # First in the routing table: /mcp is one exact path, matched before anything else is tried.
    app.router.routes.insert(0, app.router.routes.pop())
    return app


def server_from_handoff() -> FastAPI:
    """A worker process of `flint serve --workers N`: the same server, with the settings its parent made."""
    settings = Settings.from_handoff()
    docs_index.default_index().refresh()  # the docs search index, built now rather than by the first search
    return create_server(Database(settings.database_url), settings=settings)
