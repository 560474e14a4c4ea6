"""The agent scenario, through MCP tool calls only: "refund the coffee from Sarah's last order".

Setup (also tool calls): customer Sarah Chen with two paid orders, the second with a Coffee line. The
agent then finds her (search_customers), her last order (list_orders, page_size=1), reads it
(get_order), previews the refund of the Coffee line (preview_refund) and creates it with an idempotency
key (create_refund). Replaying create_refund with the same key returns the same refund and refunds
nothing more. Run in memory on the 2026 protocol and over streamable HTTP on the legacy one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio
import pytest

from tests.conftest import Api, line
from tests.mcp.helpers import asgi_client, call, memory_client, new_key

TRANSPORTS: dict[str, Callable[..., AbstractAsyncContextManager[Any]]] = {
    "memory-2026": lambda db, key: memory_client(db, key, "auto"),
    "http-legacy": lambda db, key: asgi_client(db, key, "legacy"),
}


async def setup_sarah(client: Any) -> dict[str, Any]:
    sarah = await call(client, "create_customer", {"name": "Sarah Chen", "email": "sarah@example.com",
                                                   "idempotency_key": new_key()})
    await call(client, "create_customer", {"name": "Tom Baker", "idempotency_key": new_key()})
    orders = []
    for lines in ([line("Jacket", 9900)], [line("Bagel", 450), line("Coffee", 375, quantity=2)]):
        order = await call(client, "create_order", {"currency": "USD", "customer_id": sarah["customer_id"],
                                                    "line_items": lines, "idempotency_key": new_key()})
        payment = await call(client, "pay_order", {"order_id": order["order_id"], "payment_source": "tok_visa",
                                                   "idempotency_key": new_key()})
        assert (payment["status"], payment["order_status"]) == ("SUCCEEDED", "PAID")
        orders.append(order)
    return {"customer": sarah, "orders": orders}


async def refund_the_coffee(client: Any) -> dict[str, Any]:
    """What an agent does with only the tools, starting from "Sarah" and "the coffee"."""
    found = await call(client, "search_customers", {"name": "sarah"})
    assert len(found["data"]) == 1
    customer_id = found["data"][0]["customer_id"]
    last = await call(client, "list_orders", {"customer_id": customer_id, "page_size": 1})
    assert len(last["data"]) == 1 and last["next_page_token"]
    order = await call(client, "get_order", {"order_id": last["data"][0]["order_id"]})
    assert "create_refund" in order["available_actions"]
    coffee = next(li for li in order["line_items"] if li["name"].lower() == "coffee")
    lines = [{"line_item_id": coffee["line_item_id"], "quantity": coffee["refundable_quantity"]}]
    preview = await call(client, "preview_refund", {"order_id": order["order_id"], "line_items": lines})
    assert preview["allowed"] is True and preview["amount_money"] == coffee["total_money"]
    key = new_key()
    arguments = {"order_id": order["order_id"], "line_items": lines, "idempotency_key": key}
    refund = await call(client, "create_refund", arguments)
    after = await call(client, "get_order", {"order_id": order["order_id"]})
    # the replay: same key, same arguments -> the same refund, nothing more refunded
    replay = await client.call_tool("create_refund", arguments)
    assert not replay.is_error and replay.meta["idempotent_replayed"] is True
    final = await call(client, "get_order", {"order_id": order["order_id"]})
    refunds = await call(client, "list_refunds", {"order_id": order["order_id"]})
    return {"order": order, "coffee": coffee, "preview": preview, "refund": refund, "after": after,
            "replay": replay.structured_content, "final": final, "refunds": refunds}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_refund_the_coffee_from_sarahs_last_order(api: Api, db: Any, transport: str) -> None:
    async def main() -> dict[str, Any]:
        async with TRANSPORTS[transport](db, api.key) as client:
            sarah = await setup_sarah(client)
            return sarah | await refund_the_coffee(client)

    out = anyio.run(main)
    order, coffee, refund = out["order"], out["coffee"], out["refund"]
    assert order["order_id"] == out["orders"][1]["order_id"]  # the LAST order, not the first
    assert coffee["quantity"] == 2 and coffee["total_money"]["amount"] > 750  # two coffees, tax included
    assert refund["order_id"] == order["order_id"]
    assert refund["amount_money"] == out["preview"]["amount_money"] == coffee["total_money"]
    assert refund["line_items"] == [{"line_item_id": coffee["line_item_id"], "quantity": 2,
                                     "amount_money": refund["amount_money"], "tax_money": refund["tax_money"],
                                     "restock": False}]
    refunded = out["after"]["settlement_amounts"]["refunded_money"]
    assert refunded == refund["amount_money"] and out["after"]["status"] == "PARTIALLY_REFUNDED"
    # the replay refunded nothing more
    assert out["replay"]["refund_id"] == refund["refund_id"]
    assert out["final"]["settlement_amounts"]["refunded_money"] == refunded
    assert [r["refund_id"] for r in out["refunds"]["data"]] == [refund["refund_id"]]
    # the other order is untouched, and the HTTP face sees the same state
    first = api.ok("GET", f"/v1/orders/{out['orders'][0]['order_id']}")
    assert first["status"] == "PAID" and first["settlement_amounts"]["refunded_money"]["amount"] == 0
    assert api.ok("GET", f"/v1/orders/{order['order_id']}")["settlement_amounts"]["refunded_money"] == refunded
