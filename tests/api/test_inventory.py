"""Inventory over HTTP: adjustments and recounts of tracked variations, the ledger, DENY never below zero
(also under concurrency), stale recounts refused, and the inventory events."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.helpers import concurrently
from tests.conftest import Api, usd


def tracked(api: Api, policy: str = "DENY", threshold: int | None = None) -> dict[str, Any]:
    item = api.ok("POST", "/v1/items", {"name": "Beans", "variations": [
        {"name": "1 kg", "sku": None, "price_money": usd(2400), "track_inventory": True, "inventory_policy": policy,
         "low_stock_threshold": threshold}]})
    return item["variations"][0]


def adjust(api: Api, variation_id: str, delta: int, reason: str = "RECEIVED") -> Any:
    return api.post(f"/v1/variations/{variation_id}/inventory/adjustments", {"delta": delta, "reason": reason})


def test_adjust_set_read_and_the_ledger(api: Api) -> None:
    variation = tracked(api)
    vid = variation["variation_id"]
    got = adjust(api, vid, 12).json()
    assert (got["object"], got["on_hand"], got["reserved"], got["available"]) == ("inventory", 12, 0, 12)
    assert adjust(api, vid, -2, "DAMAGED").json()["on_hand"] == 10
    counted = api.ok("POST", f"/v1/variations/{vid}/inventory", {"on_hand": 7, "expected_on_hand": 10})
    assert counted["on_hand"] == 7
    assert api.ok("GET", f"/v1/variations/{vid}/inventory") == counted
    ledger = api.ok("GET", f"/v1/variations/{vid}/inventory/adjustments")["data"]
    assert [(a["reason"], a["delta"], a["quantity_after"]) for a in ledger] == [
        ("RECOUNT", -3, 7), ("DAMAGED", -2, 10), ("RECEIVED", 12, 12)]
    assert sum(a["delta"] for a in ledger) == 7 and ledger[0]["adjustment_id"].startswith("invadj_")
    item = api.ok("GET", f"/v1/items/{variation['item_id']}")
    assert item["variations"][0]["inventory"] == {"on_hand": 7, "reserved": 0, "available": 7}


def test_deny_never_goes_below_zero_and_continue_may(api: Api) -> None:
    deny = tracked(api)["variation_id"]
    adjust(api, deny, 3)
    refused = adjust(api, deny, -4, "DAMAGED")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert (error["code"], error["param"], error["effect"]) == ("insufficient_inventory", "delta", "none")
    assert api.ok("GET", f"/v1/variations/{deny}/inventory")["on_hand"] == 3
    assert len(api.ok("GET", f"/v1/variations/{deny}/inventory/adjustments")["data"]) == 1
    backorder = tracked(api, "CONTINUE")["variation_id"]
    assert adjust(api, backorder, -2, "CORRECTION").json()["available"] == -2


def test_a_stale_recount_changes_nothing(api: Api) -> None:
    vid = tracked(api)["variation_id"]
    adjust(api, vid, 5)
    stale = api.post(f"/v1/variations/{vid}/inventory", {"on_hand": 9, "expected_on_hand": 4})
    assert stale.status_code == 409
    assert (stale.json()["error"]["code"], stale.json()["error"]["param"]) == ("inventory_changed",
                                                                                "expected_on_hand")
    assert "5" in stale.json()["error"]["message"]
    assert api.ok("GET", f"/v1/variations/{vid}/inventory")["on_hand"] == 5


def test_untracked_variations_have_no_inventory(api: Api) -> None:
    item = api.ok("POST", "/v1/items", {"name": "Gift wrap", "variations": [{"price_money": usd(100)}]})
    vid = item["variations"][0]["variation_id"]
    for response in (api.get(f"/v1/variations/{vid}/inventory"), adjust(api, vid, 1)):
        assert response.status_code == 409 and response.json()["error"]["code"] == "inventory_not_tracked"
    on = api.ok("PATCH", f"/v1/variations/{vid}", {"track_inventory": True})
    assert on["variations"][0]["inventory"] == {"on_hand": 0, "reserved": 0, "available": 0}
    assert adjust(api, vid, 1).status_code == 200


def test_bad_adjustments(api: Api) -> None:
    vid = tracked(api)["variation_id"]
    for body, param in (({"delta": 0, "reason": "RECEIVED"}, "delta"), ({"delta": 1.5, "reason": "RECEIVED"}, "delta"),
                        ({"delta": "2", "reason": "RECEIVED"}, "delta"), ({"delta": 1, "reason": "SOLD"}, "reason"),
                        ({"delta": 1}, "reason")):
        response = api.post(f"/v1/variations/{vid}/inventory/adjustments", body)
        assert response.status_code == 400 and response.json()["error"]["param"] == param, (body, response.text)
    assert api.post(f"/v1/variations/{vid}/inventory", {"on_hand": -1}).json()["error"]["param"] == "on_hand"
    assert api.get("/v1/variations/var_nope/inventory").status_code == 404
    assert api.ok("GET", f"/v1/variations/{vid}/inventory/adjustments")["data"] == []


def test_events_on_the_way_down(api: Api) -> None:
    vid = tracked(api, threshold=3)["variation_id"]
    adjust(api, vid, 5)
    adjust(api, vid, -3, "DAMAGED")  # 5 -> 2: low
    adjust(api, vid, -2, "DAMAGED")  # 2 -> 0: out of stock
    types = [e["type"] for e in api.ok("GET", "/v1/events", params={"page_size": 20})["data"]
             if e["type"].startswith("inventory.")]
    assert types == ["inventory.out_of_stock", "inventory.adjusted", "inventory.low", "inventory.adjusted",
                     "inventory.adjusted"]
    low = api.ok("GET", "/v1/events", params={"type": "inventory.low"})["data"][0]
    assert low["data"]["object"]["available"] == 2 and low["data"]["previous_attributes"]["available"] == 5


def test_concurrent_removals_never_oversell(api: Api, app: Any) -> None:
    vid = tracked(api)["variation_id"]
    adjust(api, vid, 10)
    path = f"/v1/variations/{vid}/inventory/adjustments"
    responses = asyncio.run(concurrently(app, api.key, [("POST", path, {"delta": -1, "reason": "DAMAGED"}, None)] * 25))
    results = [r.status_code for r in responses]
    assert sorted(results) == [200] * 10 + [409] * 15, [r.text for r in responses if r.status_code not in (200, 409)]
    now = api.ok("GET", f"/v1/variations/{vid}/inventory")
    assert now["on_hand"] == 0
    ledger = api.ok("GET", f"/v1/variations/{vid}/inventory/adjustments", params={"page_size": 50})["data"]
    assert len(ledger) == 11 and sum(a["delta"] for a in ledger) == 0
