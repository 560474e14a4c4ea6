"""Refunds through the real ASGI app: preview, amount / line / full refunds, tax parts, failures, races."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from flint_core.platform import queue, runtime
from flint_core.platform.context import utcnow
from flint_core.processors.simulator import Simulator
from flint_core.refunds import jobs as refund_jobs
from tests.api.helpers import concurrently, new_order, paid_order, pay, settlement
from tests.conftest import Api, line, usd


def test_worked_example_end_to_end(api: Api) -> None:
    """API.md section 6: 13824 -> 20% coupon -> 11059 -> pay -> refund 2900 -> PARTIALLY_REFUNDED."""
    order = new_order(api)
    api.ok("POST", "/v1/coupons", {"code": "SAVE20", "percentage": "20"})
    order = api.ok("POST", f"/v1/orders/{order['order_id']}/coupons", {"coupon_code": "SAVE20"})
    assert order["pricing_amounts"]["total_money"]["amount"] == 11059
    assert pay(api, order["order_id"]).json()["order_status"] == "PAID"
    body = {"order_id": order["order_id"], "amount_money": usd(2900), "reason": "requested_by_customer"}
    preview = api.ok("POST", "/v1/refunds/preview", body)
    assert preview["allowed"] and preview["order_status_after"] == "PARTIALLY_REFUNDED"
    assert preview["tax_money"] == usd(215)  # round_half_up(2900 * 819 / 11059) = 214.77 -> 215
    assert api.ok("GET", f"/v1/orders/{order['order_id']}")["status"] == "PAID"  # preview changed nothing
    refund = api.ok("POST", "/v1/refunds", body)
    assert (refund["status"], refund["reason"], refund["order_status"]) == ("SUCCEEDED", "REQUESTED_BY_CUSTOMER",
                                                                           "PARTIALLY_REFUNDED")
    assert refund["amount_money"] == usd(2900) and refund["tax_money"] == usd(215)
    got = api.ok("GET", f"/v1/orders/{order['order_id']}")
    assert got["status"] == "PARTIALLY_REFUNDED" and got["refund_ids"] == [refund["refund_id"]]
    assert settlement(got) == {"authorized": 0, "paid": 11059, "refunded": 2900, "outstanding": 0,
                               "refundable": 8159}
    types = [a["type"] for a in api.ok("GET", f"/v1/orders/{order['order_id']}/activities",
                                       params={"order_by": "created_at"})["data"]]
    assert types[-2:] == ["REFUND_CREATED", "REFUND_SUCCEEDED"]


def test_line_refunds_return_each_units_share_and_add_up(api: Api) -> None:
    body = {"currency": "USD", "line_items": [line("Coffee", 450, 3), line("Bagel", 333, 2)],
            "service_charges": [{"name": "Service", "percentage": "10", "taxable": True}],
            "tip": {"amount_money": usd(200)}}
    order = paid_order(api, body)
    coffee, bagel = order["line_items"]
    total, tip = order["pricing_amounts"]["total_money"]["amount"], order["pricing_amounts"]["tip_money"]["amount"]
    refunds = [
        api.ok("POST", "/v1/refunds", {"order_id": order["order_id"], "line_items": [
            {"line_item_id": coffee["line_item_id"], "quantity": 1}]}),
        api.ok("POST", "/v1/refunds", {"order_id": order["order_id"], "line_items": [
            {"line_item_id": coffee["line_item_id"], "quantity": 2}, {"line_item_id": bagel["line_item_id"],
                                                                       "quantity": 2}]}),
    ]
    assert refunds[0]["order_status"] == "PARTIALLY_REFUNDED"
    returned = sum(r["amount_money"]["amount"] for r in refunds)
    assert returned == coffee["total_money"]["amount"] + bagel["total_money"]["amount"] == total - tip
    assert sum(r["tax_money"]["amount"] for r in refunds) == order["pricing_amounts"]["tax_money"]["amount"]
    got = api.ok("GET", f"/v1/orders/{order['order_id']}")
    assert [li["refunded_quantity"] for li in got["line_items"]] == [3, 2]
    assert [li["refundable_quantity"] for li in got["line_items"]] == [0, 0]
    assert settlement(got)["refundable"] == tip and got["status"] == "PARTIALLY_REFUNDED"
    over = api.post("/v1/refunds", {"order_id": order["order_id"], "line_items": [
        {"line_item_id": coffee["line_item_id"], "quantity": 1}]})
    assert over.status_code == 400 and over.json()["error"]["code"] == "refund_exceeds_quantity"
    assert over.json()["error"]["param"] == "line_items.0.quantity"
    rest = api.ok("POST", "/v1/refunds", {"order_id": order["order_id"]})  # everything left: the tip
    assert rest["amount_money"] == usd(tip) and rest["tax_money"] == usd(0) and rest["order_status"] == "REFUNDED"


def test_full_refund_returns_everything(api: Api) -> None:
    order = paid_order(api)
    refund = api.ok("POST", "/v1/refunds", {"payment_intent_id": order["payment_intent_ids"][0]})
    assert refund["amount_money"] == usd(13824) and refund["tax_money"] == usd(1024)
    assert refund["order_status"] == "REFUNDED"
    assert [x["quantity"] for x in refund["line_items"]] == [1, 1]
    assert api.post("/v1/refunds", {"order_id": order["order_id"]}).json()["error"]["code"] == "order_not_refundable"


def test_refund_rules(api: Api) -> None:
    open_order = new_order(api)
    response = api.post("/v1/refunds", {"order_id": open_order["order_id"]})
    error = response.json()["error"]
    assert response.status_code == 409 and error["code"] == "order_not_refundable"
    assert error["message"] == (f"Order {open_order['order_id']} is OPEN; only PAID, PARTIALLY_REFUNDED or CLOSED "
                                "orders can be refunded.")
    preview = api.ok("POST", "/v1/refunds/preview", {"order_id": open_order["order_id"]})
    assert preview["allowed"] is False and preview["error"]["code"] == "order_not_refundable"
    order = paid_order(api)
    too_much = api.post("/v1/refunds", {"order_id": order["order_id"], "amount_money": usd(13825)})
    assert too_much.status_code == 400 and too_much.json()["error"]["code"] == "refund_exceeds_refundable"
    euros = api.post("/v1/refunds", {"order_id": order["order_id"], "amount_money": {"amount": 1, "currency": "EUR"}})
    assert euros.json()["error"]["code"] == "currency_mismatch"
    both = api.post("/v1/refunds", {"order_id": order["order_id"], "amount_money": usd(1), "line_items": []})
    assert both.status_code == 400
    # a closed order can still be refunded and stays CLOSED
    api.ok("POST", f"/v1/orders/{order['order_id']}/close", {})
    refund = api.ok("POST", "/v1/refunds", {"order_id": order["order_id"], "amount_money": usd(100)})
    assert refund["order_status"] == "CLOSED"
    assert settlement(api.ok("GET", f"/v1/orders/{order['order_id']}"))["refunded"] == 100


def test_failed_refund_gives_the_money_back(api: Api, db: Any) -> None:
    order = paid_order(api, source="4000000000005126")
    coffee = order["line_items"][0]
    refund = api.ok("POST", "/v1/refunds", {"order_id": order["order_id"], "line_items": [
        {"line_item_id": coffee["line_item_id"], "quantity": 1}]})
    assert refund["status"] == "PENDING" and refund["order_status"] == "PARTIALLY_REFUNDED"
    queue.drain(db, kinds=[refund_jobs.SETTLE_REFUND])  # its first re-check is a few seconds out
    assert api.ok("GET", f"/v1/refunds/{refund['refund_id']}")["status"] == "PENDING"
    assert queue.drain(db, kinds=[refund_jobs.SETTLE_REFUND], now=utcnow() + timedelta(minutes=1)) >= 1
    failed = api.ok("GET", f"/v1/refunds/{refund['refund_id']}")
    assert failed["status"] == "FAILED" and "rejected" in failed["failure_reason"]
    got = api.ok("GET", f"/v1/orders/{order['order_id']}")
    assert got["status"] == "PAID" and settlement(got)["refundable"] == 13824
    assert got["line_items"][0]["refunded_quantity"] == 0
    activity = api.ok("GET", f"/v1/orders/{order['order_id']}/activities")["data"][0]
    assert activity["type"] == "REFUND_FAILED" and activity["actor"] == "system" and activity["face"] == "system"


def test_a_refund_records_its_result_over_the_order_as_it_is_then(api: Api, db: Any, monkeypatch: Any) -> None:
    """Another refund of the same order commits while the first waits for the processor: the first then
    records its result over the order as the database has it (both refunds' units), not as it loaded the
    order before its checkpoint."""
    order = paid_order(api, {"currency": "USD", "line_items": [line("Coffee", 450, 3)]})
    one_coffee = {"order_id": order["order_id"], "line_items": [
        {"line_item_id": order["line_items"][0]["line_item_id"], "quantity": 1}]}
    answer = Simulator.refund

    def refund_beside_a_rival(self: Simulator, **call: Any) -> Any:
        monkeypatch.setattr(Simulator, "refund", answer)  # the rival's own call goes straight through
        rival = runtime.invoke(db, "create_refund", one_coffee, api_key=api.key, face="http",
                               idempotency_key="the-rival")
        assert rival.status == 200, rival.body
        return answer(self, **call)

    monkeypatch.setattr(Simulator, "refund", refund_beside_a_rival)
    first = api.ok("POST", "/v1/refunds", one_coffee)
    succeeded = api.ok("GET", "/v1/events", params={"type": "refund.succeeded", "object_id": first["refund_id"]})
    [event] = succeeded["data"]
    assert [li["refunded_quantity"] for li in event["data"]["order"]["line_items"]] == [2]
    assert len(event["data"]["order"]["refund_ids"]) == 2
    got = api.ok("GET", f"/v1/orders/{order['order_id']}")
    assert [li["refunded_quantity"] for li in got["line_items"]] == [2] and len(got["refund_ids"]) == 2


def test_20_concurrent_refunds_never_exceed_what_was_paid(api: Api, app: Any) -> None:
    order = paid_order(api)  # 13824 paid
    calls = [("POST", "/v1/refunds", {"order_id": order["order_id"], "amount_money": usd(1000)}, f"r-{i}")
             for i in range(20)]
    responses = asyncio.run(concurrently(app, api.key, calls))
    ok = [r for r in responses if r.status_code == 200]
    assert len(ok) == 13, [r.text for r in responses]
    assert {r.json()["error"]["code"] for r in responses if r.status_code != 200} == {"refund_exceeds_refundable"}
    got = api.ok("GET", f"/v1/orders/{order['order_id']}")
    assert settlement(got)["refunded"] == 13000 and settlement(got)["refundable"] == 824
    assert len(api.ok("GET", "/v1/refunds", params={"order_id": order["order_id"]})["data"]) == 13


def test_refund_input_rules(api: Api) -> None:
    order = new_order(api)
    failed = pay(api, order["order_id"], "tok_chargeDeclined").json()
    assert pay(api, order["order_id"]).json()["status"] == "SUCCEEDED"
    empty = api.post("/v1/refunds", {"order_id": order["order_id"], "line_items": []})
    assert empty.status_code == 400 and empty.json()["error"]["param"] == "line_items"
    via_failed = api.post("/v1/refunds", {"payment_intent_id": failed["payment_intent_id"]})
    assert via_failed.status_code == 409 and via_failed.json()["error"]["param"] == "payment_intent_id"
    api.ok("POST", "/v1/refunds", {"order_id": order["order_id"]})
    got = api.ok("GET", f"/v1/orders/{order['order_id']}")
    assert "create_refund" not in got["available_actions"]
