"""The payment_methods toolset over MCP: an agent saves a customer's card, charges it off session, and
meets authentication_required as a FAILED payment with its recovery path (not an error result)."""

from __future__ import annotations

from typing import Any

import anyio

from tests.conftest import Api, line
from tests.mcp.helpers import call, call_error, memory_client


def test_an_agent_saves_a_card_and_charges_it_later(api: Api, db: Any) -> None:
    async def main() -> None:
        async with memory_client(db, api.key) as client:
            added = await call(client, "enable_toolset", {"toolsets": ["payment_methods"]})
            assert {"create_setup_intent", "list_payment_methods", "detach_payment_method"} <= set(
                added["tools_added"])
            customer = await call(client, "create_customer", {"name": "Sarah", "idempotency_key": "mcp-cus"})
            seti = await call(client, "create_setup_intent", {
                "customer_id": customer["customer_id"], "payment_source": "tok_authenticationRequired",
                "idempotency_key": "mcp-seti"})
            assert seti["status"] == "REQUIRES_ACTION"
            api.client.post(seti["next_action"]["url"], data={"outcome": "pass"})
            done = await call(client, "confirm_setup_intent", {"setup_intent_id": seti["setup_intent_id"],
                                                                "idempotency_key": "mcp-confirm"})
            pm = done["payment_method_id"]
            order = await call(client, "create_order", {"currency": "USD", "line_items": [line("Box", 900)],
                                                        "customer_id": customer["customer_id"],
                                                        "idempotency_key": "mcp-order"})
            failed = await call(client, "pay_order", {"order_id": order["order_id"], "payment_method_id": pm,
                                                      "off_session": True, "idempotency_key": "mcp-pay"})
            assert failed["status"] == "FAILED"
            full = api.ok("GET", f"/v1/payment_intents/{failed['payment_intent_id']}")
            assert full["failure"]["code"] == "authentication_required"
            assert full["failure"]["recovery_options"] == ["create_checkout_session"]
            gone = await call(client, "detach_payment_method", {"payment_method_id": pm, "idempotency_key": "mcp-d"})
            assert gone["status"] == "DETACHED"
            refused = await call_error(client, "pay_order", {"order_id": order["order_id"], "payment_method_id": pm,
                                                             "idempotency_key": "mcp-pay-2"})
            assert (refused["code"], refused["param"]) == ("payment_method_detached", "payment_method_id")

    anyio.run(main)


def test_an_agent_sends_the_customer_a_page_to_save_their_card(api: Api, db: Any) -> None:
    async def main() -> None:
        async with memory_client(db, api.key) as client:
            customer = await call(client, "create_customer", {"name": "Sarah", "idempotency_key": "mcp-cus-2"})
            cs = await call(client, "create_checkout_session", {
                "mode": "SETUP", "customer_id": customer["customer_id"], "success_url": "https://shop.example/ok",
                "idempotency_key": "mcp-cs"})
            assert (cs["mode"], cs["status"], cs["order_id"]) == ("SETUP", "OPEN", None)
            saved = api.client.post(cs["checkout_session_url"], data={
                "card_number": "4242 4242 4242 4242", "expiry": "12 / 34", "cvc": "123"}, follow_redirects=False)
            assert saved.status_code == 303
            done = await call(client, "get_checkout_session", {"checkout_session_id": cs["checkout_session_id"]})
            assert done["status"] == "COMPLETE" and done["payment_method_id"].startswith("pm_")
            order = await call(client, "create_order", {"currency": "USD", "line_items": [line("Box", 900)],
                                                        "customer_id": customer["customer_id"],
                                                        "idempotency_key": "mcp-order-2"})
            paid = await call(client, "pay_order", {"order_id": order["order_id"], "off_session": True,
                                                    "payment_method_id": done["payment_method_id"],
                                                    "idempotency_key": "mcp-pay-3"})
            assert paid["status"] == "SUCCEEDED"

    anyio.run(main)

