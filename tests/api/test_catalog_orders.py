"""Orders that reference the catalog: lines by variation (snapshot, price rules, archived, other tenants),
and the stock they hold while the buyer pays: reserved by pay_order and the hosted page, sold on payment,
released on decline, void, cancel or a lapsed hold (the expiry job, on a moved clock), restocked by refunds.
The 50-buyers race on the last units runs on both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from flint_core.catalog import stock
from flint_core.platform import queue
from flint_core.platform.context import utcnow
from flint_core.store.tables import PaymentIntent, SimulatedCharge
from tests.api.helpers import concurrently, new_session, submit
from tests.conftest import Api, line, signup, usd

DECLINE, THREE_DS = "4000000000000002", "4000002500003155"


def catalog_item(api: Api, *, on_hand: int | None = None, policy: str = "DENY", price: int = 450,
                 **variation: Any) -> dict[str, Any]:
    """An item with one variation (tracked, with ``on_hand`` units, when given) and its variation."""
    fields = {"name": "Large", "price_money": usd(price)} | variation
    if on_hand is not None:
        fields |= {"track_inventory": True, "inventory_policy": policy}
    item = api.ok("POST", "/v1/items", {"name": "Flat white", "tax_category": "REDUCED", "variations": [fields]})
    var = item["variations"][0]
    if on_hand:
        api.ok("POST", f"/v1/variations/{var['variation_id']}/inventory/adjustments",
               {"delta": on_hand, "reason": "RECEIVED"})
    return var


def inventory(api: Api, variation_id: str) -> tuple[int, int, int]:
    got = api.ok("GET", f"/v1/variations/{variation_id}/inventory")
    return got["on_hand"], got["reserved"], got["available"]


def ledger(api: Api, variation_id: str) -> list[dict[str, Any]]:
    return api.ok("GET", f"/v1/variations/{variation_id}/inventory/adjustments", params={"page_size": 100})["data"]


def order_of(api: Api, variation_id: str, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return api.ok("POST", "/v1/orders", {"line_items": [{"variation_id": variation_id, "quantity": quantity}]} | extra)


def pay(api: Api, order_id: str, card: str = "4242424242424242", **extra: Any) -> Any:
    return api.post(f"/v1/orders/{order_id}/pay", {"payment_source": card} | extra)


def test_a_catalog_line_is_a_snapshot(api: Api) -> None:
    var = catalog_item(api, sku="FW-L")
    order = api.ok("POST", "/v1/orders", {"line_items": [{"variation_id": var["variation_id"], "quantity": 2},
                                                         line("Cookie", 300)]})
    first = order["line_items"][0]
    assert (first["name"], first["variation_name"], first["sku"], first["item_id"], first["tax_category"]) == (
        "Flat white", "Large", "FW-L", var["item_id"], "REDUCED")
    assert first["unit_price_money"] == usd(450) and first["gross_money"] == usd(900)
    assert first["variation_id"] == var["variation_id"] and first["catalog_version"] == 1
    assert order["line_items"][1]["variation_id"] is None and order["currency"] == "USD"
    # the catalog changes; the order does not
    api.ok("PATCH", f"/v1/variations/{var['variation_id']}", {"price_money": usd(500)})
    api.ok("PATCH", f"/v1/items/{var['item_id']}", {"name": "Flat white (oat)"})
    again = api.ok("GET", f"/v1/orders/{order['order_id']}")
    assert again["line_items"] == order["line_items"] and again["pricing_amounts"] == order["pricing_amounts"]
    # a new line takes the catalog as it is now, with its version
    updated = api.ok("PATCH", f"/v1/orders/{order['order_id']}",
                     {"add_line_items": [{"variation_id": var["variation_id"], "quantity": 1}]})
    added = updated["line_items"][2]
    assert (added["name"], added["unit_price_money"], added["catalog_version"]) == ("Flat white (oat)", usd(500), 3)
    assert updated["line_items"][0]["unit_price_money"] == usd(450)
    quote = api.ok("POST", "/v1/orders/preview", {"line_items": [{"variation_id": var["variation_id"], "quantity": 3}]})
    assert quote["preview"] and quote["pricing_amounts"]["subtotal_money"] == usd(1500)


def test_variable_prices_and_overrides(api: Api) -> None:
    fixed = catalog_item(api)["variation_id"]
    item = api.ok("POST", "/v1/items", {"name": "Custom cake", "variations": [{"name": "Any", "pricing_type": "VARIABLE"}]})
    variable = item["variations"][0]["variation_id"]
    order = api.ok("POST", "/v1/orders", {"line_items": [{"variation_id": variable, "quantity": 1,
                                                          "unit_price_money": usd(3200)}]})
    assert order["line_items"][0]["unit_price_money"] == usd(3200) and order["line_items"][0]["name"] == "Custom cake"
    cases = [
        ({"variation_id": fixed, "quantity": 1, "unit_price_money": usd(1)}, 422, "price_not_overridable",
         "line_items.0.unit_price_money"),
        ({"variation_id": variable, "quantity": 1}, 400, "parameter_missing", "line_items.0.unit_price_money"),
        ({"variation_id": fixed, "quantity": 1, "name": "Cheaper"}, 400, "parameter_invalid", "line_items.0.name"),
        ({"variation_id": fixed, "quantity": 1.5}, 400, "parameter_invalid", "line_items.0.quantity"),
        ({"variation_id": fixed, "quantity": -1}, 400, "parameter_invalid", "line_items.0.quantity"),
        ({"variation_id": fixed, "quantity": "2"}, 400, "parameter_invalid", "line_items.0.quantity"),
        ({"variation_id": "var_nope", "quantity": 1}, 404, "resource_missing", "line_items.0.variation_id"),
        ({"quantity": 1}, 400, "parameter_missing", "line_items.0.name"),
        ({"name": "Tea", "quantity": 1}, 400, "parameter_missing", "line_items.0.unit_price_money"),
    ]
    before = api.ok("GET", "/v1/orders", params={"page_size": 100})["data"]
    for body, status, code, param in cases:
        for path in ("/v1/orders", "/v1/orders/preview"):
            response = api.post(path, {"line_items": [body]})
            error = response.json()["error"]
            assert (response.status_code, error["code"], error["param"]) == (status, code, param), (body, response.text)
    assert api.ok("GET", "/v1/orders", params={"page_size": 100})["data"] == before
    euro = catalog_item(api, price=100, sku=None)["variation_id"]
    api.ok("PATCH", f"/v1/variations/{euro}", {"price_money": {"amount": 100, "currency": "EUR"}})
    mixed = api.post("/v1/orders", {"line_items": [{"variation_id": fixed, "quantity": 1},
                                                   {"variation_id": euro, "quantity": 1}]})
    assert (mixed.status_code, mixed.json()["error"]["param"]) == (400, "line_items.1.variation_id")
    assert api.ok("POST", "/v1/orders", {"line_items": [{"variation_id": euro, "quantity": 1}]})["currency"] == "EUR"


def test_archived_variations_take_no_new_lines(api: Api) -> None:
    var = catalog_item(api)
    order = order_of(api, var["variation_id"])
    api.ok("POST", f"/v1/items/{var['item_id']}/archive", {})
    refused = api.post("/v1/orders", {"line_items": [{"variation_id": var["variation_id"], "quantity": 1}]})
    assert (refused.status_code, refused.json()["error"]["code"], refused.json()["error"]["param"]) == (
        409, "variation_archived", "line_items.0.variation_id")
    edit = api.patch(f"/v1/orders/{order['order_id']}",
                     {"add_line_items": [{"variation_id": var["variation_id"], "quantity": 1}]})
    assert (edit.status_code, edit.json()["error"]["param"]) == (409, "add_line_items.0.variation_id")
    # the existing order keeps its line, can change its quantity, and can be paid
    changed = api.ok("PATCH", f"/v1/orders/{order['order_id']}", {"update_line_items": [
        {"line_item_id": order["line_items"][0]["line_item_id"], "quantity": 2}]})
    assert changed["pricing_amounts"]["subtotal_money"] == usd(900)
    assert pay(api, order["order_id"]).json()["status"] == "SUCCEEDED"


def test_another_merchants_variation_is_not_found(api: Api, client: Any) -> None:
    theirs = catalog_item(Api(client, signup(client, "Other shop")["api_key"]["secret"]))["variation_id"]
    response = api.post("/v1/orders", {"line_items": [{"variation_id": theirs, "quantity": 1}]})
    assert (response.status_code, response.json()["error"]["param"]) == (404, "line_items.0.variation_id")


def test_paying_sells_and_a_decline_releases_at_once(api: Api) -> None:
    var = catalog_item(api, on_hand=5)
    vid = var["variation_id"]
    declined = order_of(api, vid, 2)
    assert pay(api, declined["order_id"], DECLINE).json()["status"] == "FAILED"
    assert inventory(api, vid) == (5, 0, 5)
    paid = order_of(api, vid, 3)
    assert pay(api, paid["order_id"]).json()["status"] == "SUCCEEDED"
    assert inventory(api, vid) == (2, 0, 2)
    rows = ledger(api, vid)
    assert [(a["reason"], a["delta"], a["reserved_delta"], a["order_id"]) for a in rows[:4]] == [
        ("SOLD", -3, -3, paid["order_id"]), ("RESERVED", 0, 3, paid["order_id"]),
        ("RELEASED", 0, -2, declined["order_id"]), ("RESERVED", 0, 2, declined["order_id"])]
    assert rows[1]["reservation_expires_at"] is not None
    assert sum(a["delta"] for a in rows) == 2 and sum(a["reserved_delta"] for a in rows) == 0
    # more than is available: refused before the processor, naming the line; nothing held or charged
    big = api.ok("POST", "/v1/orders", {"line_items": [line("Cup", 100), {"variation_id": vid, "quantity": 3}]})
    refused = pay(api, big["order_id"])
    error = refused.json()["error"]
    assert (refused.status_code, error["code"], error["param"], error["effect"]) == (
        409, "insufficient_inventory", "line_items.1", "none")
    assert api.ok("GET", f"/v1/orders/{big['order_id']}")["payment_intent_ids"] == []
    assert inventory(api, vid) == (2, 0, 2) and len(ledger(api, vid)) == len(rows)


def test_untracked_and_continue_variations(api: Api) -> None:
    free = catalog_item(api)["variation_id"]  # not tracked: sold without counting
    assert pay(api, order_of(api, free, 50)["order_id"]).json()["status"] == "SUCCEEDED"
    backorder = catalog_item(api, on_hand=1, policy="CONTINUE")["variation_id"]
    assert pay(api, order_of(api, backorder, 3)["order_id"]).json()["status"] == "SUCCEEDED"
    assert inventory(api, backorder) == (-2, 0, -2)


def test_a_hold_lapses_and_a_late_authentication_still_sells(api: Api, client: Any, db: Any) -> None:
    vid = catalog_item(api, on_hand=2)["variation_id"]
    order = order_of(api, vid, 2)
    pi = pay(api, order["order_id"], THREE_DS).json()
    assert pi["status"] == "REQUIRES_ACTION" and inventory(api, vid) == (2, 2, 0)
    assert queue.drain(db, kinds=[stock.EXPIRE_RESERVATIONS]) == 0  # not due yet
    queue.drain(db, kinds=[stock.EXPIRE_RESERVATIONS], now=utcnow() + stock.HOLD + timedelta(seconds=1))
    assert inventory(api, vid) == (2, 0, 2)
    assert ledger(api, vid)[0]["reason"] == "RELEASED"
    # the buyer authenticates after all: the money moved, so the units are sold (a DENY count may go negative)
    other = order_of(api, vid, 1)
    assert pay(api, other["order_id"]).json()["status"] == "SUCCEEDED"
    client.post(pi["next_action"]["url"], data={"outcome": "pass"})
    assert api.ok("POST", f"/v1/payment_intents/{pi['payment_intent_id']}/confirm", {})["status"] == "SUCCEEDED"
    assert inventory(api, vid) == (-1, 0, -1)
    assert sum(a["delta"] for a in ledger(api, vid)) == -1


def test_authentication_within_the_hold_sells_the_held_units(api: Api, client: Any, db: Any) -> None:
    vid = catalog_item(api, on_hand=2)["variation_id"]
    pi = pay(api, order_of(api, vid, 2)["order_id"], THREE_DS).json()
    client.post(pi["next_action"]["url"], data={"outcome": "pass"})
    assert api.ok("POST", f"/v1/payment_intents/{pi['payment_intent_id']}/confirm", {})["status"] == "SUCCEEDED"
    assert inventory(api, vid) == (0, 0, 0)
    queue.drain(db, kinds=[stock.EXPIRE_RESERVATIONS], now=utcnow() + stock.HOLD * 2)  # nothing left to release
    assert inventory(api, vid) == (0, 0, 0)


def test_authorization_sells_and_a_void_or_cancel_puts_back(api: Api) -> None:
    vid = catalog_item(api, on_hand=4)["variation_id"]
    held = pay(api, order_of(api, vid, 1)["order_id"], capture_method="MANUAL").json()
    assert held["status"] == "REQUIRES_CAPTURE" and inventory(api, vid) == (3, 0, 3)
    api.ok("POST", f"/v1/payment_intents/{held['payment_intent_id']}/void", {})
    assert inventory(api, vid) == (4, 0, 4)
    order = order_of(api, vid, 2)
    pay(api, order["order_id"], capture_method="MANUAL")
    assert inventory(api, vid) == (2, 0, 2)
    api.ok("POST", f"/v1/orders/{order['order_id']}/cancel", {})
    assert inventory(api, vid) == (4, 0, 4)
    captured = pay(api, order_of(api, vid, 1)["order_id"], capture_method="MANUAL").json()
    api.ok("POST", f"/v1/payment_intents/{captured['payment_intent_id']}/capture", {})
    assert inventory(api, vid) == (3, 0, 3)
    three_ds = pay(api, order_of(api, vid, 3)["order_id"], THREE_DS).json()
    assert inventory(api, vid) == (3, 3, 0)
    api.ok("POST", f"/v1/payment_intents/{three_ds['payment_intent_id']}/void", {})
    assert inventory(api, vid) == (3, 0, 3)


def test_the_hosted_page_holds_stock_while_it_is_open(api: Api, client: Any, db: Any) -> None:
    vid = catalog_item(api, on_hand=1)["variation_id"]
    cs = new_session(api, {"line_items": [{"variation_id": vid, "quantity": 1}]})
    started = submit(client, cs, THREE_DS)
    assert started.status_code in (200, 303) and inventory(api, vid) == (1, 1, 0)
    queue.drain(db, kinds=[stock.EXPIRE_RESERVATIONS], now=utcnow() + stock.HOLD * 2)
    assert inventory(api, vid) == (1, 1, 0)  # the page is open for 24 hours: the hold lasts as long
    queue.drain(db, kinds=[stock.EXPIRE_RESERVATIONS], now=utcnow() + timedelta(hours=25))
    assert inventory(api, vid) == (1, 0, 1)
    sold_out = catalog_item(api, on_hand=1)["variation_id"]
    pay(api, order_of(api, sold_out)["order_id"])
    cs = new_session(api, {"line_items": [{"variation_id": sold_out, "quantity": 1}]})
    page = submit(client, cs, "4242424242424242")
    assert page.status_code == 400 and "no longer in stock. Nothing was charged." in page.text
    assert inventory(api, sold_out) == (0, 0, 0)


def test_a_refund_with_restock_returns_units(api: Api) -> None:
    vid = catalog_item(api, on_hand=5)["variation_id"]
    order = api.ok("POST", "/v1/orders", {"line_items": [{"variation_id": vid, "quantity": 3}, line("Card", 200)]})
    pay(api, order["order_id"])
    ids = [li["line_item_id"] for li in order["line_items"]]
    bad = api.post("/v1/refunds", {"order_id": order["order_id"], "line_items": [
        {"line_item_id": ids[1], "quantity": 1, "restock": True}]})
    assert (bad.status_code, bad.json()["error"]["param"]) == (400, "line_items.0.restock")
    body = {"order_id": order["order_id"], "line_items": [{"line_item_id": ids[0], "quantity": 2, "restock": True}]}
    preview = api.ok("POST", "/v1/refunds/preview", body)
    assert preview["line_items"][0]["restock"] is True and inventory(api, vid) == (2, 0, 2)
    refund = api.ok("POST", "/v1/refunds", body)
    assert refund["line_items"][0]["restock"] is True
    assert inventory(api, vid) == (4, 0, 4)
    assert (ledger(api, vid)[0]["reason"], ledger(api, vid)[0]["refund_id"]) == ("RESTOCKED", refund["refund_id"])
    api.ok("POST", "/v1/refunds", {"order_id": order["order_id"], "line_items": [
        {"line_item_id": ids[0], "quantity": 1}]})  # no restock: the count stays
    assert inventory(api, vid) == (4, 0, 4)


def test_50_buyers_for_the_last_10_units(api: Api, app: Any, db: Any, merchant: dict[str, Any]) -> None:
    """Exactly 10 paid, 40 refused with insufficient_inventory before any charge; counts and ledger exact."""
    vid = catalog_item(api, on_hand=10)["variation_id"]
    orders = [order_of(api, vid)["order_id"] for _ in range(50)]
    calls = [("POST", f"/v1/orders/{order_id}/pay", {"payment_source": "4242424242424242"}, f"buy-{order_id}")
             for order_id in orders]
    responses = asyncio.run(concurrently(app, api.key, calls))
    codes = sorted((r.status_code, r.json().get("status") or r.json()["error"]["code"]) for r in responses)
    assert codes == [(200, "SUCCEEDED")] * 10 + [(409, "insufficient_inventory")] * 40, codes
    assert inventory(api, vid) == (0, 0, 0)
    rows = ledger(api, vid)
    assert len(rows) == 21 and sum(a["delta"] for a in rows) == 0 and sum(a["reserved_delta"] for a in rows) == 0
    env = merchant["sandbox"]["sandbox_id"]
    with db.transaction(write=False) as session:
        charges = session.scalar(select(func.count()).select_from(SimulatedCharge)
                                 .where(SimulatedCharge.env_id == env))
        payments = session.scalar(select(func.count()).select_from(PaymentIntent)
                                  .where(PaymentIntent.order_id.in_(orders)))
    assert charges == 10 and payments == 10
    paid = [api.ok("GET", f"/v1/orders/{order_id}")["status"] for order_id in orders]
    assert paid.count("PAID") == 10 and paid.count("OPEN") == 40


def test_catalog_lines_through_the_tool_call_endpoint(api: Api) -> None:
    var = catalog_item(api, on_hand=1)
    call = api.ok("POST", "/v1/tool_calls", {"name": "create_order", "arguments": {
        "line_items": [{"variation_id": var["variation_id"], "quantity": 2}], "idempotency_key": "tc-order"}})
    assert call["result"]["line_items"][0]["variation_id"] == var["variation_id"]
    refused = api.post("/v1/tool_calls", {"name": "pay_order", "arguments": {
        "order_id": call["result"]["order_id"], "payment_source": "4242424242424242", "idempotency_key": "tc-pay"}})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "insufficient_inventory")
