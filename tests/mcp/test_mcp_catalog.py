"""The catalog toolset over MCP: an agent enables it, builds an item, stocks it, sells it by variation_id
and meets a DENY refusal as an error result naming the line, exactly as REST answers."""

from __future__ import annotations

from typing import Any

import anyio

from flint_core import toolsets
from tests.conftest import Api, usd
from tests.mcp.helpers import assert_tools_match_registry, call, call_error, listed_names, memory_client


def test_an_agent_sells_from_the_catalog(api: Api, db: Any) -> None:
    async def main() -> None:
        async with memory_client(db, api.key) as client:
            assert "create_item" not in {t.name for t in (await client.list_tools()).tools}  # not a default
            added = await call(client, "enable_toolset", {"toolsets": ["catalog"]})
            assert {"create_item", "search_items", "adjust_inventory", "get_inventory"} <= set(added["tools_added"])
            await assert_tools_match_registry(
                client, listed_names(toolsets.Selection().enabling(frozenset({"catalog"}))))
            item = await call(client, "create_item", {"name": "Flat white", "idempotency_key": "mcp-item", "variations": [
                {"name": "Large", "sku": "FW-L-MCP", "price_money": usd(450), "track_inventory": True}]})
            found = await call(client, "search_items", {"query": "fw-l-mcp"})
            [hit] = found["data"]
            variation_id = hit["variations"][0]["variation_id"]
            assert hit["item_id"] == item["item_id"]
            await call(client, "adjust_inventory", {"variation_id": variation_id, "delta": 1, "reason": "RECEIVED",
                                                    "idempotency_key": "mcp-stock"})
            order = await call(client, "create_order", {"line_items": [{"variation_id": variation_id, "quantity": 2}],
                                                         "idempotency_key": "mcp-order"})
            refused = await call_error(client, "pay_order", {"order_id": order["order_id"], "payment_source": "tok_visa",
                                                             "idempotency_key": "mcp-pay"})
            assert (refused["code"], refused["param"], refused["effect"]) == (
                "insufficient_inventory", "line_items.0", "none")
            stock = await call(client, "get_inventory", {"variation_id": variation_id})
            assert (stock["on_hand"], stock["reserved"]) == (1, 0)
        rest = api.ok("GET", f"/v1/orders/{order['order_id']}")
        assert rest["line_items"][0]["name"] == "Flat white" and rest["payment_intent_ids"] == []

    anyio.run(main)
