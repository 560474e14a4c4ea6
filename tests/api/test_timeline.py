"""get_order_timeline: one stream of an order's activities, the requests that touched it (failed and
replayed ones included, on every face), its events and each webhook delivery attempt, in time order."""

from __future__ import annotations

from typing import Any

from flint_core.platform import queue
from flint_core.platform.settings import Settings
from flint_core.webhooks import fanout
from tests.api.helpers import pay
from tests.conftest import WORKED_EXAMPLE, Api
from tests.webhook_receiver import receiver

FAST = Settings(webhook_retry_delays=(0.0, 0.0))


def timeline(api: Api, order_id: str, **params: Any) -> list[dict[str, Any]]:
    entries, token = [], None
    while True:
        page = api.ok("GET", f"/v1/orders/{order_id}/timeline", params=dict(params, **({"page_token": token} if token else {})))
        entries += page["data"]
        token = page["next_page_token"]
        if not token:
            return entries


def test_timeline_stitches_activities_requests_events_and_deliveries(api: Api, db: Any) -> None:
    with receiver() as rec:
        rec.script.extend([500])  # the first delivery attempt fails, the retry is accepted
        api.ok("POST", "/v1/webhook_endpoints", {"url": rec.url, "enabled_events": ["order.paid"]})
        order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
        order_id = order["order_id"]
        refused = api.post(f"/v1/orders/{order_id}/close", {})  # 409: an OPEN order cannot be closed
        assert refused.status_code == 409
        payment = pay(api, order_id, idempotency_key="timeline-pay")
        assert pay(api, order_id, idempotency_key="timeline-pay").headers.get("idempotent-replayed") == "true"
        mcp_like = api.ok("POST", "/v1/tool_calls", {"name": "get_order", "arguments": {"order_id": order_id}})
        assert mcp_like["result"]["status"] == "PAID"
        queue.drain(db, FAST, kinds=[fanout.DELIVER_WEBHOOK])

    entries = timeline(api, order_id, page_size=3)  # small pages: the token must stitch them seamlessly
    assert [(e["at"], e["entry_id"]) for e in entries] == sorted((e["at"], e["entry_id"]) for e in entries)
    assert len({e["entry_id"] for e in entries}) == len(entries)
    kinds = [e["kind"] for e in entries]
    assert {"ACTIVITY", "REQUEST", "EVENT", "WEBHOOK_ATTEMPT"} <= set(kinds)

    requests = [e for e in entries if e["kind"] == "REQUEST"]
    by_operation = {(r["detail"]["operation"], r["detail"]["status"], r["detail"]["replayed"]) for r in requests}
    assert ("create_order", 200, False) in by_operation
    assert ("close_order", 409, False) in by_operation
    assert ("pay_order", 200, False) in by_operation and ("pay_order", 200, True) in by_operation
    assert any(r["detail"]["face"] == "tool_call" for r in requests)
    close = next(r for r in requests if r["detail"]["operation"] == "close_order")
    assert close["request_id"] == refused.json()["error"]["request_id"] and close["detail"]["error_code"]

    activity_types = [e["detail"]["type"] for e in entries if e["kind"] == "ACTIVITY"]
    assert activity_types[0] == "ORDER_CREATED" and "PAYMENT_CAPTURED" in activity_types
    event_types = [e["detail"]["type"] for e in entries if e["kind"] == "EVENT"]
    assert event_types[0] == "order.created" and "order.paid" in event_types and "payment.succeeded" in event_types

    attempts = [e for e in entries if e["kind"] == "WEBHOOK_ATTEMPT"]
    assert [(a["detail"]["event_type"], a["detail"]["attempt"], a["detail"]["status_code"]) for a in attempts] == [
        ("order.paid", 1, 500), ("order.paid", 2, 200)]
    assert attempts[-1]["detail"]["delivery_status"] == "SUCCEEDED"
    paid_event = next(e for e in entries if e["kind"] == "EVENT" and e["detail"]["type"] == "order.paid")
    assert paid_event["at"] <= attempts[0]["at"]
    # the request that paid, its activity and its event share one request id
    paid_request = payment.headers["request-id"]
    assert {e["kind"] for e in entries if e["request_id"] == paid_request} >= {"REQUEST", "ACTIVITY", "EVENT"}


def test_timeline_errors(api: Api) -> None:
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    other = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    missing = api.get("/v1/orders/ord_nope/timeline")
    assert missing.status_code == 404 and missing.json()["error"]["param"] == "order_id"
    token = api.ok("GET", f"/v1/orders/{order['order_id']}/timeline", params={"page_size": 1})["next_page_token"]
    assert token
    foreign = api.get(f"/v1/orders/{other['order_id']}/timeline", params={"page_token": token})
    assert foreign.status_code == 400 and foreign.json()["error"]["code"] == "invalid_page_token"
    negative = api.get(f"/v1/orders/{order['order_id']}/timeline", params={"page_size": -1})
    assert negative.status_code == 400 and negative.json()["error"]["param"] == "page_size"
