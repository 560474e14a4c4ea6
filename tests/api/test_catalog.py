"""The catalog over HTTP: items with variations, search, optimistic versions, archive, SKU uniqueness,
events and activities, and bad input that changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, signup, usd


def flat_white(**extra: Any) -> dict[str, Any]:
    return {"name": "Flat white", "description": "Double ristretto, steamed milk", "tax_category": "REDUCED",
            "variations": [{"name": "Small", "sku": "FW-S", "price_money": usd(450)},
                           {"name": "Large", "sku": "FW-L", "price_money": usd(550), "track_inventory": True}],
            **extra}


def test_create_get_list_and_search(api: Api) -> None:
    item = api.ok("POST", "/v1/items", flat_white())
    assert item["object"] == "item" and item["item_id"].startswith("item_") and item["status"] == "ACTIVE"
    assert item["version"] == 1 and item["tax_category"] == "REDUCED"
    small, large = item["variations"]
    assert small["variation_id"].startswith("var_") and small["price_money"] == usd(450)
    assert small["inventory"] is None and large["inventory"] == {"on_hand": 0, "reserved": 0, "available": 0}
    assert set(item["available_actions"]) == {"update_item", "add_variation", "archive_item"}
    assert api.ok("GET", f"/v1/items/{item['item_id']}") == item
    other = api.ok("POST", "/v1/items", {"name": "Croissant", "variations": [{"price_money": usd(300)}]})
    assert other["variations"][0]["name"] == "Regular"
    listed = api.ok("GET", "/v1/items")["data"]
    assert [i["item_id"] for i in listed] == [other["item_id"], item["item_id"]]
    for query in ("flat", "RISTRETTO", "fw-l"):
        found = api.ok("GET", "/v1/items/search", params={"query": query})["data"]
        assert [i["item_id"] for i in found] == [item["item_id"]], query
    assert api.ok("GET", "/v1/items", params={"sku": "fw-s"})["data"][0]["item_id"] == item["item_id"]
    assert api.ok("GET", "/v1/items/search", params={"query": "100%"})["data"] == []


def test_update_with_versions_and_events(api: Api) -> None:
    item = api.ok("POST", "/v1/items", flat_white())
    updated = api.ok("PATCH", f"/v1/items/{item['item_id']}", {"name": "Flat White", "version": 1})
    assert updated["name"] == "Flat White" and updated["version"] == 2
    same = api.ok("PATCH", f"/v1/items/{item['item_id']}", {"name": "Flat White", "image_urls": [],
                                                             "tax_category": "reduced"})
    assert same["version"] == 2  # nothing changed: no new version, no event
    cleared = api.ok("PATCH", f"/v1/items/{item['item_id']}", {"description": ""})
    assert cleared["description"] is None and cleared["version"] == 3
    assert api.ok("PATCH", f"/v1/items/{item['item_id']}", {"description": ""})["version"] == 3
    api.ok("PATCH", f"/v1/items/{item['item_id']}", {"description": "Double ristretto, steamed milk"})
    stale = api.patch(f"/v1/items/{item['item_id']}", {"name": "Again", "version": 1})
    assert stale.status_code == 409
    assert (stale.json()["error"]["code"], stale.json()["error"]["param"]) == ("item_version_conflict", "version")
    large = updated["variations"][1]
    repriced = api.ok("PATCH", f"/v1/variations/{large['variation_id']}", {"price_money": usd(600), "version": 1})
    assert repriced["variations"][1]["price_money"] == usd(600) and repriced["variations"][1]["version"] == 2
    assert repriced["version"] == 5
    events = api.ok("GET", "/v1/events", params={"type": "item.updated"})["data"]
    assert len(events) == 4 and events[0]["data"]["object"]["version"] == 5
    assert "version" in events[0]["data"]["previous_attributes"]
    created = api.ok("GET", "/v1/events", params={"type": "item.created"})["data"]
    assert created[0]["data"]["object"]["item_id"] == item["item_id"]


def test_archive_and_unarchive(api: Api) -> None:
    item = api.ok("POST", "/v1/items", flat_white())
    archived = api.ok("POST", f"/v1/items/{item['item_id']}/archive")
    assert archived["status"] == "ARCHIVED" and archived["available_actions"] == ["update_item", "unarchive_item"]
    again = api.post(f"/v1/items/{item['item_id']}/archive")
    assert again.status_code == 409 and again.json()["error"]["type"] == "state_conflict_error"
    refused = api.post(f"/v1/items/{item['item_id']}/variations", {"name": "XL", "price_money": usd(700)})
    assert refused.status_code == 409
    assert api.ok("POST", f"/v1/items/{item['item_id']}/unarchive")["status"] == "ACTIVE"
    assert [i["item_id"] for i in api.ok("GET", "/v1/items", params={"status": "ACTIVE"})["data"]] == [
        item["item_id"]]
    small = item["variations"][0]["variation_id"]
    gone = api.ok("POST", f"/v1/variations/{small}/archive")
    assert gone["variations"][0]["status"] == "ARCHIVED"
    assert gone["variations"][0]["available_actions"] == ["update_variation", "unarchive_variation"]
    assert api.ok("POST", f"/v1/variations/{small}/unarchive")["variations"][0]["status"] == "ACTIVE"
    activities = api.ok("GET", "/v1/events", params={"type": "item.archived"})["data"]
    assert len(activities) == 1


def test_add_variation_and_sku_uniqueness(api: Api) -> None:
    item = api.ok("POST", "/v1/items", flat_white())
    added = api.ok("POST", f"/v1/items/{item['item_id']}/variations",
                   {"name": "Oat", "sku": "FW-OAT", "pricing_type": "VARIABLE"})
    assert added["variations"][2]["pricing_type"] == "VARIABLE" and added["variations"][2]["price_money"] is None
    priced = api.patch(f"/v1/variations/{added['variations'][2]['variation_id']}", {"price_money": usd(100)})
    assert priced.status_code == 409 and priced.json()["error"]["code"] == "variation_is_variable"
    duplicate = api.post("/v1/items", {"name": "Copy", "variations": [{"sku": "fw-s", "price_money": usd(1)}]})
    assert duplicate.status_code == 409
    error = duplicate.json()["error"]
    assert (error["code"], error["param"]) == ("sku_already_exists", "variations.0.sku")
    assert item["variations"][0]["variation_id"] in error["message"]
    twice = api.post("/v1/items", {"name": "Twice", "variations": [{"sku": "A-1", "price_money": usd(1)},
                                                                   {"sku": "a-1", "price_money": usd(1)}]})
    assert twice.status_code == 409 and twice.json()["error"]["param"] == "variations.1.sku"
    moved = api.patch(f"/v1/variations/{item['variations'][0]['variation_id']}", {"sku": "FW-L"})
    assert moved.status_code == 409 and moved.json()["error"]["param"] == "sku"
    same = api.ok("PATCH", f"/v1/variations/{item['variations'][0]['variation_id']}", {"sku": "fw-s"})
    assert same["variations"][0]["sku"] == "fw-s"  # its own SKU, another case: allowed
    assert len(api.ok("GET", "/v1/items")["data"]) == 1


def test_skus_are_per_merchant(api: Api, client: Any) -> None:
    api.ok("POST", "/v1/items", flat_white())
    other = Api(client, signup(client, "Other shop")["api_key"]["secret"])
    assert other.ok("POST", "/v1/items", flat_white())["variations"][0]["sku"] == "FW-S"
    assert other.get(f"/v1/items/{api.ok('GET', '/v1/items')['data'][0]['item_id']}").status_code == 404


@pytest.mark.parametrize(("body", "param"), [
    ({"name": "No variations", "variations": []}, "variations"),
    ({"name": "Fixed without price", "variations": [{"name": "R"}]}, "variations.0.price_money"),
    ({"name": "Variable with price", "variations": [{"pricing_type": "VARIABLE", "price_money": usd(1)}]},
     "variations.0.price_money"),
    ({"name": "Fractional price", "variations": [{"price_money": {"amount": 1.5, "currency": "USD"}}]},
     "variations.0.price_money.amount"),
    ({"name": "Negative", "variations": [{"price_money": usd(-1)}]}, "variations.0.price_money.amount"),
    ({"name": "Bad policy", "variations": [{"price_money": usd(1), "inventory_policy": "MAYBE"}]},
     "variations.0.inventory_policy"),
    ({"name": "", "variations": [{"price_money": usd(1)}]}, "name"),
    ({"name": "Too many", "variations": [{"price_money": usd(1)}] * 251}, "variations"),
    ({"name": "Unknown", "variations": [{"price_money": usd(1)}], "color": "red"}, "color"),
])
def test_bad_items_are_refused_and_change_nothing(api: Api, body: dict[str, Any], param: str) -> None:
    response = api.post("/v1/items", body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["param"] == param, response.text
    assert api.ok("GET", "/v1/items")["data"] == []


def test_an_item_holds_at_most_250_variations(api: Api) -> None:
    item = api.ok("POST", "/v1/items", {"name": "Many", "variations": [{"price_money": usd(1)}] * 250})
    assert len(item["variations"]) == 250
    full = api.post(f"/v1/items/{item['item_id']}/variations", {"price_money": usd(1)})
    assert full.status_code == 400 and full.json()["error"]["code"] == "too_many_variations"


def test_reads_need_orders_read_and_writes_catalog_write(api: Api) -> None:
    item = api.ok("POST", "/v1/items", flat_white())
    reader = api.ok("POST", "/v1/api_keys", {"scopes": ["orders:read"]})["secret"]
    seen = api.get(f"/v1/items/{item['item_id']}", key=reader)
    assert seen.status_code == 200 and seen.json()["available_actions"] == []
    refused = api.post("/v1/items", flat_white(), key=reader)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "missing_scope"
