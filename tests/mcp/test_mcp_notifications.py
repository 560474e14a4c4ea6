"""The notifications toolset over MCP: an agent finds the receipt a payment wrote."""

from __future__ import annotations

from typing import Any

import anyio

from tests.conftest import Api, line
from tests.mcp.helpers import call, memory_client


def test_an_agent_reads_the_receipt_a_payment_wrote(api: Api, db: Any) -> None:
    """The notifications toolset: the receipt of a settled payment, with its delivery status (SKIPPED: a
    sandbox sends no email until it opts in)."""
    async def main() -> None:
        async with memory_client(db, api.key) as client:
            added = await call(client, "enable_toolset", {"toolsets": ["notifications"]})
            assert {"list_notifications", "get_notification"} <= set(added["tools_added"])
            order = await call(client, "create_order", {"currency": "USD", "line_items": [line("Box", 900)],
                                                        "buyer_email": "sam@example.com",
                                                        "idempotency_key": "mcp-order-3"})
            await call(client, "pay_order", {"order_id": order["order_id"], "payment_source": "tok_visa",
                                             "idempotency_key": "mcp-pay-4"})
            listed = await call(client, "list_notifications", {"order_id": order["order_id"]})
            assert [(n["type"], n["to_address"], n["status"]) for n in listed["data"]] == [
                ("PAYMENT_RECEIPT", "sam@example.com", "SKIPPED")]
            one = await call(client, "get_notification", {"notification_id": listed["data"][0]["notification_id"]})
            assert one["order_id"] == order["order_id"] and "4242" not in one["text_body"].replace("ending in 4242", "")

    anyio.run(main)
