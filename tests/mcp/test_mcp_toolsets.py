"""Toolsets on MCP (API.md section 8a): the default set, selections by query, header and command line,
enable_toolset adding tools to one session (with notifications/tools/list_changed), the size budgets of
tools/list on the wire, and list_toolsets on every face."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from flint_core import mcp_sessions, registry, toolsets
from flint_core.platform.auth import Principal
from tests.conftest import Api
from tests.mcp.helpers import (
    ALL,
    BASE,
    MODES,
    asgi_client,
    assert_tools_match_registry,
    call,
    call_error,
    http_client_for,
    listed_names,
    memory_client,
)
from tests.mcp.test_mcp_transports import INITIALIZE, MCP_HEADERS

DEFAULT_BUDGET, ALL_BUDGET = 60_000, 200_000


def test_the_default_set_is_small_and_named_by_api_md() -> None:
    names = listed_names()
    assert len(names) <= toolsets.DEFAULT_MAX_TOOLS + 2
    assert {"list_toolsets", "enable_toolset", "whoami", "create_order", "pay_order", "create_refund",
            "search_customers", "search_docs"} <= names
    groups = {registry.get(n).group for n in names if registry.get(n)}
    assert groups == {"orders", "payments", "refunds", "customers", "agent_docs", "accounts"}
    assert "create_webhook_endpoint" not in names and "create_api_key" not in names


@pytest.mark.parametrize("mode", MODES)
def test_default_set_over_memory_and_http(api: Api, db: Any, mode: str) -> None:
    async def main() -> None:
        async with memory_client(db, api.key, mode) as client:
            await assert_tools_match_registry(client, listed_names())
        async with asgi_client(db, api.key, mode) as client:
            await assert_tools_match_registry(client, listed_names(sessionless=mode == "auto"))

    anyio.run(main)


@pytest.mark.parametrize("mode", MODES)
def test_selection_by_query_header_and_read_only(api: Api, db: Any, mode: str) -> None:
    from flint_server import create_server
    app = create_server(db)
    orders_refunds = toolsets.Selection(frozenset({"orders", "refunds"}))
    reads = toolsets.Selection(frozenset({"orders", "refunds"}), read_only=True)

    async def names(query: str = "", headers: dict[str, str] | None = None) -> set[str]:
        http_headers = {"Authorization": f"Bearer {api.key}"} | (headers or {})
        async with app.router.lifespan_context(app):
            http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), headers=http_headers, timeout=30)
            async with http, Client(streamable_http_client(f"{BASE}/mcp{query}", http_client=http),
                                    mode=mode) as client:
                return {t.name for t in (await client.list_tools()).tools}

    async def main() -> None:
        modern = mode == "auto"
        assert await names("?toolsets=orders,refunds") == listed_names(orders_refunds, sessionless=modern)
        assert await names(headers={"Flint-Toolsets": "orders,refunds"}) == listed_names(orders_refunds,
                                                                                          sessionless=modern)
        assert await names("?toolsets=orders,refunds&read_only=true") == listed_names(reads, sessionless=modern)
        every = await names("?toolsets=all")
        assert every == {op.name for op in registry.operations()}  # nothing left to enable

    anyio.run(main)


def test_a_bad_selection_is_a_400_naming_the_parameter(client: Any, api: Api) -> None:
    auth = MCP_HEADERS | {"Authorization": f"Bearer {api.key}"}
    unknown = client.post("/mcp?toolsets=orders,nope", json=INITIALIZE, headers=auth)
    assert unknown.status_code == 400
    error = unknown.json()["error"]
    assert (error["code"], error["param"]) == ("parameter_invalid", "toolsets") and "nope" in error["message"]
    header = client.post("/mcp", json=INITIALIZE, headers=auth | {"Flint-Toolsets": "nope"})
    assert header.status_code == 400 and header.json()["error"]["param"] == "toolsets"
    flag = client.post("/mcp?read_only=maybe", json=INITIALIZE, headers=auth)
    assert flag.status_code == 400 and flag.json()["error"]["param"] == "read_only"


@pytest.mark.parametrize("mode", MODES)
def test_enable_toolset_in_memory_notifies_that_session(api: Api, db: Any, mode: str) -> None:
    notices: list[str] = []

    async def handler(message: Any) -> None:
        notices.append(type(message).__name__)

    async def main() -> None:
        async with memory_client(db, api.key, mode, message_handler=handler) as client:
            result = await call(client, "enable_toolset", {"toolsets": ["webhooks"]})
            assert result["enabled"] == ["webhooks"]
            webhooks = {op.name for op in registry.operations() if op.group == "webhooks"}
            assert set(result["tools_added"]) == webhooks
            enabled = toolsets.Selection().enabling(frozenset({"webhooks"}))
            await assert_tools_match_registry(client, listed_names(enabled))
            again = await call(client, "enable_toolset", {"toolsets": ["webhooks"]})
            assert again["tools_added"] == []
            bad = await call_error(client, "enable_toolset", {"toolsets": ["nope"]})
            assert (bad["code"], bad["param"]) == ("parameter_invalid", "toolsets")
        if mode == "legacy":  # the 2026-07-28 wire delivers list_changed to subscriptions/listen only
            assert notices.count("ToolListChangedNotification") == 1
        async with memory_client(db, api.key, mode) as other:  # another session: still the default set
            assert {t.name for t in (await other.list_tools()).tools} == listed_names()

    anyio.run(main)


def test_enable_toolset_over_http_lasts_for_the_session_only(api: Api, db: Any) -> None:
    """A handshake gets an Mcp-Session-Id; enable_toolset keeps the session's toolsets in the database
    (another worker would know them), its answer is an event stream led by list_changed, and a second
    session of the same key still sees the default set."""
    notices: list[str] = []

    async def handler(message: Any) -> None:
        notices.append(type(message).__name__)

    async def main() -> None:
        from flint_server import create_server
        app = create_server(db)
        async with app.router.lifespan_context(app):
            async with http_client_for(f"{BASE}/mcp", api.key, "legacy", app=app) as client:
                client.session._message_handler = handler  # noqa: SLF001
                added = await call(client, "enable_toolset", {"toolsets": ["webhooks", "activity"]})
                assert added["enabled"] == ["activity", "webhooks"]
                enabled = toolsets.Selection().enabling(frozenset({"webhooks", "activity"}))
                await assert_tools_match_registry(client, listed_names(enabled))
            async with http_client_for(f"{BASE}/mcp", api.key, "legacy", app=app) as other:
                assert {t.name for t in (await other.list_tools()).tools} == listed_names()
            # the 2026-07-28 wire has no session: enable_toolset is not offered, and says why if called
            async with http_client_for(f"{BASE}/mcp", api.key, "auto", app=app) as modern:
                assert "enable_toolset" not in {t.name for t in (await modern.list_tools()).tools}
                refused = await call_error(modern, "enable_toolset", {"toolsets": ["webhooks"]})
                assert refused["param"] == "toolsets" and "?toolsets=" in refused["message"]

    anyio.run(main)


def test_the_list_changed_stream_on_the_wire(client: Any, api: Api) -> None:
    auth = MCP_HEADERS | {"Authorization": f"Bearer {api.key}", "Mcp-Protocol-Version": "2025-11-25"}
    hello = client.post("/mcp", json=INITIALIZE, headers=auth)
    session_id = hello.headers["Mcp-Session-Id"]
    assert session_id.startswith("mcps_")
    call_ = {"jsonrpc": "2.0", "id": 5, "method": "tools/call",
             "params": {"name": "enable_toolset", "arguments": {"toolsets": ["tax"]}}}
    streamed = client.post("/mcp", json=call_, headers=auth | {"Mcp-Session-Id": session_id})
    assert streamed.status_code == 200 and streamed.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line.removeprefix("data: ")) for line in streamed.text.splitlines()
              if line.startswith("data: ")]
    assert [e.get("method") for e in events] == ["notifications/tools/list_changed", None]
    assert events[1]["id"] == 5 and events[1]["result"]["structuredContent"]["enabled"] == ["tax"]
    listed = client.post("/mcp", json={"jsonrpc": "2.0", "id": 6, "method": "tools/list"},
                         headers=auth | {"Mcp-Session-Id": session_id})
    assert "create_tax_rate" in {t["name"] for t in listed.json()["result"]["tools"]}
    # enabling nothing new is a plain JSON answer
    again = client.post("/mcp", json=call_, headers=auth | {"Mcp-Session-Id": session_id})
    assert again.headers["content-type"].startswith("application/json")


def test_a_session_belongs_to_the_key_that_enabled_it(db: Any) -> None:
    def principal(key_id: str) -> Principal:
        return Principal(api_key_id=key_id, merchant_id="mch_x", env_id="sbx_x", mode="test", kind="secret",
                         scopes=frozenset())

    session_id = mcp_sessions.new_id()
    assert mcp_sessions.enable(db, session_id, principal("key_a"), frozenset({"tax"})) == {"tax"}
    assert mcp_sessions.enabled(db, session_id, principal("key_a")) == {"tax"}
    assert mcp_sessions.enabled(db, session_id, principal("key_b")) == frozenset()
    assert mcp_sessions.enable(db, session_id, principal("key_b"), frozenset({"webhooks"})) == {"webhooks"}
    assert mcp_sessions.enabled(db, session_id, principal("key_a")) == frozenset()


def _listing_bytes(client: Any, key: str, query: str = "") -> tuple[int, int]:
    """The size of a tools/list answer on the wire, in a session (so enable_toolset is listed)."""
    auth = MCP_HEADERS | {"Authorization": f"Bearer {key}", "Mcp-Protocol-Version": "2025-11-25"}
    auth["Mcp-Session-Id"] = client.post(f"/mcp{query}", json=INITIALIZE, headers=auth).headers["Mcp-Session-Id"]
    listed = client.post(f"/mcp{query}", json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers=auth)
    assert listed.status_code == 200
    return len(listed.content), len(listed.json()["result"]["tools"])


def test_tools_list_fits_its_budgets(client: Any, api: Api) -> None:
    """What a client loads before its first call: the default set at most 60 KB, everything at most
    200 KB, measured on the wire (docs/mcp.md#toolsets has the figures)."""
    default_bytes, default_count = _listing_bytes(client, api.key)
    all_bytes, all_count = _listing_bytes(client, api.key, "?toolsets=all")
    assert default_count == len(listed_names()) and all_count == len(registry.operations())
    assert default_bytes <= DEFAULT_BUDGET, default_bytes
    assert all_bytes <= ALL_BUDGET, all_bytes


def test_list_toolsets_on_every_face(api: Api, db: Any) -> None:
    reader = api.ok("POST", "/v1/api_keys", {"scopes": ["orders:read"]})["secret"]
    rest = api.ok("GET", "/v1/toolsets")
    assert [t["name"] for t in rest["data"]] == toolsets.names()
    orders = next(t for t in rest["data"] if t["name"] == "orders")
    assert orders["default"] is True and orders["tool_count"] == orders["usable_tool_count"] >= 10
    assert orders["docs_url"].endswith("/docs/orders")
    webhooks = next(t for t in rest["data"] if t["name"] == "webhooks")
    assert webhooks["default"] is False and webhooks["description"]
    limited = Api(api.client, reader).ok("GET", "/v1/toolsets")["data"]
    limited_orders = next(t for t in limited if t["name"] == "orders")
    assert 0 < limited_orders["usable_tool_count"] < limited_orders["tool_count"]
    assert "create_order" not in limited_orders["tools"] and "get_order" in limited_orders["tools"]
    webhooks_limited = next(t for t in limited if t["name"] == "webhooks")
    assert webhooks_limited["usable_tool_count"] == 0 and webhooks_limited["usable"] is False
    assert limited_orders["usable"] is True

    async def main() -> None:
        async with memory_client(db, reader, "auto") as client:
            assert await call(client, "list_toolsets", {}) == Api(api.client, reader).ok("GET", "/v1/toolsets")

    anyio.run(main)
    tool_call = api.ok("POST", "/v1/tool_calls", {"name": "list_toolsets", "arguments": {}})
    assert tool_call["result"] == rest


def test_a_toolset_names_every_operation_once() -> None:
    for op in registry.operations():
        assert op.group in toolsets.names(), op.name
    assert set(toolsets.DEFAULT) <= set(toolsets.names())
    assert ALL.toolsets == frozenset(toolsets.names())
