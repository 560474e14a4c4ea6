"""MCP tools over an in-memory client session, on both protocols: one tool per operation with
tool_schemas' schemas and annotations, scopes filter the list, calls are ordinary Flint requests
(idempotency shared with HTTP, activities with face "mcp"), errors are tool errors carrying the envelope."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp.shared.exceptions import MCPError

from flint_core.platform import registry
from tests.conftest import WORKED_EXAMPLE, Api
from tests.mcp.helpers import ALL, MODES, assert_tools_match_registry, call, call_error, memory_client, new_key


@pytest.mark.parametrize("mode", MODES)
def test_every_operation_is_a_tool_with_its_schemas(api: Api, db: Any, mode: str) -> None:
    async def main() -> None:
        async with memory_client(db, api.key, mode, ALL) as client:
            tools = await assert_tools_match_registry(client)
            assert len(tools) == len(registry.operations())
            refund = tools["create_refund"]
            assert refund.annotations.destructive_hint is True and refund.annotations.read_only_hint is False
            assert refund.annotations.idempotent_hint is True  # the required idempotency key
            assert refund.meta["moves_money"] is True and refund.meta["requires_idempotency_key"] is True
            assert refund.meta["scope"] == "refunds:write"
            assert tools["get_order"].annotations.read_only_hint is True
            assert "idempotency_key" not in tools["get_order"].input_schema["properties"]

    anyio.run(main)


@pytest.mark.parametrize("mode", MODES)
def test_restricted_read_only_key_sees_no_write_tools(api: Api, db: Any, mode: str) -> None:
    reader = api.ok("POST", "/v1/api_keys", {"scopes": ["orders:read", "customers:read"]})["secret"]
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)

    async def main() -> None:
        async with memory_client(db, reader, mode, ALL) as client:
            visible = {op.name for op in registry.operations()
                       if op.scope in (None, "orders:read", "customers:read") and op.name != "create_merchant"}
            tools = await assert_tools_match_registry(client, visible)
            writes = [n for n, t in tools.items() if not t.annotations.read_only_hint]
            assert writes == [] and "create_order" not in tools and "get_order" in tools
            got = await call(client, "get_order", {"order_id": order["order_id"]})
            assert got["order_id"] == order["order_id"] and "pay_order" not in got["available_actions"]
            # calling a write tool anyway: the 403 envelope as a tool error, and nothing happens
            error = await call_error(client, "create_order", dict(WORKED_EXAMPLE, idempotency_key=new_key()))
            assert (error["type"], error["code"]) == ("permission_error", "missing_scope")
            assert error["retryable"] is False and error["request_id"].startswith("req_")

    anyio.run(main)
    assert len(api.ok("GET", "/v1/orders")["data"]) == 1


def test_read_only_key_limit_hides_write_tools(api: Api, db: Any) -> None:
    """A key whose scopes allow writes but whose `read_only` limit forbids them lists no write tool, and
    calling one anyway is the 403 key_limit_exceeded envelope."""
    limited = api.ok("POST", "/v1/api_keys", {"scopes": ["orders:write"], "limits": {"read_only": True}})["secret"]

    async def main() -> None:
        async with memory_client(db, limited) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert "get_order" in tools and "create_order" not in tools
            assert all(t.annotations.read_only_hint for t in tools.values())
            error = await call_error(client, "create_order", dict(WORKED_EXAMPLE, idempotency_key=new_key()))
            assert (error["type"], error["code"]) == ("permission_error", "key_limit_exceeded")

    anyio.run(main)


@pytest.mark.parametrize("mode", MODES)
def test_errors_are_tool_errors_with_the_envelope(api: Api, db: Any, mode: str) -> None:
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)

    async def main() -> None:
        async with memory_client(db, api.key, mode) as client:
            missing = await call_error(client, "create_order", WORKED_EXAMPLE)
            assert (missing["code"], missing["param"]) == ("parameter_missing", "idempotency_key")
            bad_line = {"name": "x", "quantity": "2", "unit_price_money": {"amount": 1, "currency": "USD"}}
            nested = await call_error(client, "create_order", {"currency": "USD", "idempotency_key": new_key(),
                                                               "line_items": [bad_line]})
            assert (nested["code"], nested["param"]) == ("parameter_invalid", "line_items.0.quantity")
            assert (await call_error(client, "get_order", {"order_id": "ord_nope"}))["type"] == "not_found_error"
            unknown = await call_error(client, "no_such_tool", {})
            assert (unknown["code"], unknown["param"]) == ("resource_missing", "name")
            conflict = await call_error(client, "create_refund", {"order_id": order["order_id"],
                                                                  "idempotency_key": new_key()})
            assert (conflict["type"], conflict["code"]) == ("state_conflict_error", "order_not_refundable")
            assert conflict["effect"] == "none" and conflict["doc_url"].endswith("#order_not_refundable")
            result = await client.call_tool("get_order", {"order_id": "ord_nope"})
            assert "do not retry" in result.content[0].text

    anyio.run(main)


@pytest.mark.parametrize("mode", MODES)
def test_a_bad_key_cannot_list_or_call(db: Any, mode: str) -> None:
    async def main() -> None:
        async with memory_client(db, "sk_test_not_a_real_key", mode) as client:
            with pytest.raises(MCPError, match="invalid_api_key"):
                await client.list_tools()
            error = await call_error(client, "list_orders", {})
            assert (error["type"], error["code"]) == ("authentication_error", "invalid_api_key")

    anyio.run(main)


@pytest.mark.parametrize("mode", MODES)
def test_calls_are_requests_like_any_other(api: Api, db: Any, mode: str) -> None:
    """Idempotency replay is identical to HTTP (one key, one request, either face), and the activity
    records face "mcp", the key as actor and the call's request id."""
    key = new_key()

    async def main() -> dict[str, Any]:
        async with memory_client(db, api.key, mode) as client:
            first = await client.call_tool("create_order", dict(WORKED_EXAMPLE, idempotency_key=key))
            again = await client.call_tool("create_order", dict(WORKED_EXAMPLE, idempotency_key=key))
            assert not first.is_error and first.meta["idempotent_replayed"] is False
            assert again.meta["idempotent_replayed"] is True and "idempotent replay" in again.content[0].text
            assert again.structured_content == first.structured_content
            assert first.content[0].text.startswith(f"order {first.structured_content['order_id']} OPEN, "
                                                    "total 138.24 USD")
            reused = await call_error(client, "create_order", dict(WORKED_EXAMPLE, currency="EUR",
                                                                    idempotency_key=key))
            assert reused["code"] == "idempotency_key_reused"
            return {"order": first.structured_content, "request_id": first.meta["request_id"]}

    out = anyio.run(main)
    order = out["order"]
    http = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key=key)
    assert http.headers["Idempotent-Replayed"] == "true" and http.json() == order
    assert len(api.ok("GET", "/v1/orders")["data"]) == 1
    activity = api.ok("GET", f"/v1/orders/{order['order_id']}/activities")["data"][0]
    assert activity["face"] == "mcp" and activity["request_id"] == out["request_id"]
    assert activity["actor"] == api.ok("GET", "/v1/whoami")["api_key_id"]
