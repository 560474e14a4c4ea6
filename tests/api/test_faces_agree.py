"""The four faces agree: for every operation, the HTTP route (and OpenAPI), the MCP tool (listed by a real
client), the tool-catalog entry and the SKILL.md reference exist with the same name, scope, safety and
input schema."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from flint_core.platform import registry, tool_schemas
from flint_http.routing import OperationRoutes
from flint_server import create_server
from tests.conftest import Api
from tests.mcp.helpers import ALL, memory_client

OPERATIONS = registry.operations()
REFERENCES = Path(__file__).resolve().parents[2] / "skill" / "flint" / "references"  # <toolset>.md each


def _routes(app: Any) -> Iterator[Any]:
    """The app's routes, the operations' among them (one entry of the table: flint_http.routing)."""
    for entry in app.routes:
        yield from entry if isinstance(entry, OperationRoutes) else (entry,)


async def _mcp_tools(db: Any, key: str) -> dict[str, Any]:
    async with memory_client(db, key, selection=ALL) as client:
        listed = await client.list_tools()
    return {tool.name: tool for tool in listed.tools}


def test_every_operation_is_the_same_on_every_face(api: Api, app: Any, db: Any) -> None:
    openapi = {item["operationId"]: item for path in app.openapi()["paths"].values() for item in path.values()}
    catalog = {tool["name"]: tool for tool in api.ok("GET", "/v1/tools", params={"format": "flint"})["data"]}
    mcp = asyncio.run(_mcp_tools(db, api.key))
    routes = {route.name: route for route in _routes(app) if getattr(route, "methods", None)}
    for op in registry.operations():
        schema, safety = tool_schemas.input_schema(op), tool_schemas.safety_block(op)
        # HTTP
        assert routes[op.name].path == op.path and op.method in routes[op.name].methods
        assert openapi[op.name]["x-flint-scope"] == op.scope
        assert openapi[op.name]["x-flint-safety"] == asdict(op.safety)
        # tool catalog
        entry = catalog[op.name]
        assert entry["input_schema"] == schema and entry["safety"] == safety and entry["toolset"] == op.group
        assert (entry["method"], entry["path"], entry["scope"]) == (op.method, op.path, op.scope)
        # MCP
        tool = mcp[op.name]
        assert tool.input_schema == schema, op.name
        assert tool.annotations.model_dump(by_alias=True, exclude_none=True) == entry["annotations"], op.name
        assert (tool.meta or {}).get("scope") == op.scope
        assert bool((tool.meta or {}).get("moves_money")) is op.safety.moves_money
        # SKILL.md reference: the operation's toolset's file
        reference = (REFERENCES / f"{op.group}.md").read_text()
        assert f"### `{op.name}`" in reference and op.path in reference, op.name
    assert set(catalog) == set(mcp) == {op.name for op in registry.operations()}


def test_money_moving_operations_are_destructive_or_reversible() -> None:
    for op in registry.operations():
        assert op.safety is not None
        if op.safety.moves_money:
            assert op.safety.destructive or op.safety.reversible_by, op.name
            assert not op.safety.read_only
    assert registry.get("create_refund").safety.destructive  # type: ignore[union-attr]
    assert not registry.get("capture_payment").safety.destructive  # type: ignore[union-attr]


def test_every_operation_is_routed(db: Any) -> None:
    app = create_server(db)
    routes = {(route.name, route.path, tuple(sorted(route.methods))) for route in _routes(app)
              if getattr(route, "methods", None)}
    for op in OPERATIONS:
        assert (op.name, op.path, (op.method,)) in routes, op.name
    assert {op.name for op in OPERATIONS} <= set(app.openapi()["paths"].keys()) | {
        item["operationId"] for path in app.openapi()["paths"].values() for item in path.values()}
