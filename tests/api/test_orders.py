"""The order lifecycle through HTTP: edits recompute every amount (API.md section 6, checked by hand),
versions, cancel and coupons, previews, tax rates by jurisdiction and category, and the audit trail."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from flint_core.platform.settings import Settings
from flint_server import create_server
from tests.conftest import BASE_URL, Api, line, usd

ENVELOPE_FIELDS = {"type", "code", "message", "param", "retryable", "effect", "retry_after_seconds",
                   "request_id", "doc_url", "suggested_actions"}


def assert_error(response: Any, status: int, code: str, param: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == ENVELOPE_FIELDS, error
    assert (error["code"], error["param"]) == (code, param), error
    assert error["type"] == {400: "invalid_request_error", 404: "not_found_error",
                             409: "state_conflict_error"}[status]
    assert error["retryable"] is False and error["effect"] == "none"
    assert error["request_id"] == response.headers["request-id"]
    assert error["doc_url"] == f"{BASE_URL}/docs/errors#{code}"
    assert response.headers["flint-should-retry"] == "false"
    return error


def amounts(order: dict[str, Any]) -> dict[str, int]:
    return {k.removesuffix("_money"): v["amount"] for k, v in order["pricing_amounts"].items()}


def line_amounts(order: dict[str, Any]) -> list[tuple[str, int, int, int, int, int, int]]:
    """(name, quantity, gross, discount, service charge, tax, total) per line."""
    return [(li["name"], li["quantity"], li["gross_money"]["amount"], li["discount_money"]["amount"],
             li["service_charge_money"]["amount"], li["tax_money"]["amount"], li["total_money"]["amount"])
            for li in order["line_items"]]


def breakdown(order: dict[str, Any]) -> list[tuple[str, str, bool, int, int]]:
    return [(t["jurisdiction"], t["rate"], t["inclusive"], t["taxable_money"]["amount"], t["tax_money"]["amount"])
            for t in order["tax_breakdown"]]


def activities(api: Api, order_id: str) -> list[dict[str, Any]]:
    return api.ok("GET", f"/v1/orders/{order_id}/activities", params={"order_by": "created_at"})["data"]


def redeemed(api: Api, coupon: dict[str, Any]) -> int:
    return api.ok("GET", f"/v1/coupons/{coupon['coupon_id']}")["times_redeemed"]


ZERO = {"subtotal": 0, "discount": 0, "service_charge": 0, "tax": 0, "inclusive_tax": 0, "tip": 0, "total": 0}


# --- update_order -----------------------------------------------------------------------------------------

def test_update_order_recomputes_every_amount(api: Api) -> None:
    order = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("Mug", 1500, 2), line("Pen", 2000)],
                                          "metadata": {"channel": "web"}})
    assert amounts(order) == ZERO | {"subtotal": 5000, "tax": 400, "total": 5400}
    assert order["version"] == 1
    mug, pen = (li["line_item_id"] for li in order["line_items"])

    order = api.ok("PATCH", f"/v1/orders/{order['order_id']}", {
        "version": 1,
        "add_line_items": [line("Tea", 700, 3)],
        "update_line_items": [{"line_item_id": mug, "quantity": 1}],
        "remove_line_item_ids": [pen],
        "service_charges": [{"name": "Delivery", "amount_money": usd(500), "taxable": True}],
        "tip": {"percentage": "10"},
        "tax_address": {"country": "us", "region": "ny", "postal_code": "10001"},
        "metadata": {"a": "1", "b": "2"},
    })
    # lines 1500 + 2100 = 3600; taxable base 3600 + 500 (taxable charge) = 4100 -> 8% = 328;
    # tip 10% of 3600 = 360; total 3600 + 500 + 328 + 360 = 4788
    assert order["version"] == 2
    assert amounts(order) == ZERO | {"subtotal": 3600, "service_charge": 500, "tax": 328, "tip": 360, "total": 4788}
    # charge 500 split 1500:2100 -> 208.33/291.67 -> 208/292; its tax 40 -> 16.67/23.33 -> 17/23;
    # own tax 328 * 1500/4100 = 120, 328 * 2100/4100 = 168
    assert line_amounts(order) == [("Mug", 1, 1500, 0, 208, 137, 1845), ("Tea", 3, 2100, 0, 292, 191, 2583)]
    assert order["line_items"][0]["line_item_id"] == mug
    assert order["line_items"][1]["line_item_id"].startswith("li_")
    charge = order["service_charges"][0]
    assert (charge["name"], charge["amount_money"], charge["percentage"], charge["taxable"]) == (
        "Delivery", usd(500), None, True)
    assert (charge["applied_money"], charge["tax_money"]) == (usd(500), usd(40))
    assert order["tip"] == {"amount_money": None, "percentage": "10", "applied_money": usd(360)}
    assert order["tax_address"] == {"country": "US", "region": "NY", "postal_code": "10001"}
    assert breakdown(order) == [("ALL", "8", False, 4100, 328)]
    assert order["metadata"] == {"channel": "web", "a": "1", "b": "2"}
    assert order["settlement_amounts"]["outstanding_money"] == usd(4788)

    # "" deletes a metadata key; amounts do not move
    order = api.ok("PATCH", f"/v1/orders/{order['order_id']}", {"metadata": {"a": "", "channel": "phone"}})
    assert order["metadata"] == {"b": "2", "channel": "phone"}
    assert order["version"] == 3
    assert amounts(order)["total"] == 4788

    # clear the service charges, switch the tip to a fixed amount, change a quantity
    tea = order["line_items"][1]["line_item_id"]
    order = api.ok("PATCH", f"/v1/orders/{order['order_id']}", {
        "version": 3, "service_charges": [], "tip": {"amount_money": usd(250)},
        "update_line_items": [{"line_item_id": tea, "quantity": 1}]})
    # 1500 + 700 = 2200; tax 176; tip 250
    assert amounts(order) == ZERO | {"subtotal": 2200, "tax": 176, "tip": 250, "total": 2626}
    assert line_amounts(order) == [("Mug", 1, 1500, 0, 0, 120, 1620), ("Tea", 1, 700, 0, 0, 56, 756)]
    assert order["service_charges"] == []
    assert order["tip"] == {"amount_money": usd(250), "percentage": None, "applied_money": usd(250)}
    assert order["version"] == 4
    assert api.ok("GET", f"/v1/orders/{order['order_id']}") == order


def test_percentage_service_charge_and_coupon_on_update(api: Api) -> None:
    api.ok("POST", "/v1/coupons", {"code": "QUARTER", "percentage": "25"})
    order = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("Cake", 333, 3)],
                                          "coupon_codes": ["quarter"]})
    # 999 - round(249.75) = 999 - 250 = 749; tax 8% of 749 = 59.92 -> 60
    assert amounts(order) == ZERO | {"subtotal": 999, "discount": 250, "tax": 60, "total": 809}
    order = api.ok("PATCH", f"/v1/orders/{order['order_id']}", {
        "service_charges": [{"name": "Service", "percentage": "12.5"}], "tip": {"percentage": "15"}})
    # charge 12.5% of 749 = 93.625 -> 94 (not taxable); tip 15% of 749 = 112.35 -> 112
    assert amounts(order) == ZERO | {"subtotal": 999, "discount": 250, "service_charge": 94, "tax": 60, "tip": 112,
                                     "total": 1015}
    assert order["coupons"][0]["code"] == "QUARTER"
    assert order["coupons"][0]["discount_money"] == usd(250)


def test_empty_update_changes_nothing(api: Api) -> None:
    order = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("Mug", 1000)]})
    same = api.ok("PATCH", f"/v1/orders/{order['order_id']}", {})
    assert same == order
    assert [a["type"] for a in activities(api, order["order_id"])] == ["ORDER_CREATED"]


def test_stale_version_is_a_conflict_and_changes_nothing(api: Api) -> None:
    order = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("Mug", 1000)]})
    order_id = order["order_id"]
    order = api.ok("PATCH", f"/v1/orders/{order_id}", {"version": 1, "metadata": {"step": "1"}})
    assert order["version"] == 2
    for stale in (1, 3, 0):
        response = api.patch(f"/v1/orders/{order_id}", {"version": stale, "add_line_items": [line("Extra", 99)],
                                                         "metadata": {"step": "lost"}})
        error = assert_error(response, 409, "order_version_conflict", "version")
        assert error["message"] == (f"Order {order_id} is at version 2, not {stale}; it changed since you read it.")
    assert api.ok("GET", f"/v1/orders/{order_id}") == order
    assert [a["type"] for a in activities(api, order_id)] == ["ORDER_CREATED", "ORDER_UPDATED"]
    assert api.ok("PATCH", f"/v1/orders/{order_id}", {"version": 2, "metadata": {"step": "2"}})["version"] == 3


def test_line_item_errors_change_nothing(api: Api) -> None:
    order = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("Mug", 1000), line("Pen", 200)]})
    order_id = order["order_id"]
    mug, pen = (li["line_item_id"] for li in order["line_items"])
    error = assert_error(api.patch(f"/v1/orders/{order_id}", {"remove_line_item_ids": [mug, pen]}), 400,
                         "order_requires_line_items", "remove_line_item_ids")
    assert error["message"] == "An order needs at least one line item."
    error = assert_error(api.patch(f"/v1/orders/{order_id}", {
        "update_line_items": [{"line_item_id": mug, "quantity": 5}, {"line_item_id": "li_ghost", "quantity": 1}]}),
        400, "line_item_not_found", "update_line_items.1.line_item_id")
    assert error["message"] == f"Order {order_id} has no line item li_ghost."
    assert_error(api.patch(f"/v1/orders/{order_id}", {"remove_line_item_ids": [pen, pen]}), 400,
                 "line_item_not_found", "remove_line_item_ids.1")
    other = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("Cup", 300)]})
    foreign = other["line_items"][0]["line_item_id"]
    assert_error(api.patch(f"/v1/orders/{order_id}", {"remove_line_item_ids": [foreign]}), 400,
                 "line_item_not_found", "remove_line_item_ids.0")
    assert api.ok("GET", f"/v1/orders/{order_id}") == order
    assert api.ok("GET", f"/v1/orders/{other['order_id']}") == other
    # replacing every line in one request is fine: the order is never empty at the end
    replaced = api.ok("PATCH", f"/v1/orders/{order_id}", {"remove_line_item_ids": [mug, pen],
                                                          "add_line_items": [line("Lamp", 5000)]})
    assert line_amounts(replaced) == [("Lamp", 1, 5000, 0, 0, 400, 5400)]


# --- cancel and coupons -----------------------------------------------------------------------------------

def test_cancel_releases_redemptions_and_freezes_the_order(api: Api) -> None:
    save10 = api.ok("POST", "/v1/coupons", {"code": "SAVE10", "percentage": "10", "stackable": True,
                                            "max_redemptions": 2})
    five = api.ok("POST", "/v1/coupons", {"code": "FIVE", "amount_money": usd(500), "stackable": True})
    order = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("Lamp", 10000)],
                                          "coupon_codes": ["SAVE10", "five"]})
    # 10% of 10000 = 1000, then 500 off what is left; tax 8% of 8500 = 680
    assert amounts(order) == ZERO | {"subtotal": 10000, "discount": 1500, "tax": 680, "total": 9180}
    assert [(c["code"], c["discount_money"]["amount"]) for c in order["coupons"]] == [("SAVE10", 1000), ("FIVE", 500)]
    assert (redeemed(api, save10), redeemed(api, five)) == (1, 1)
    order_id = order["order_id"]

    canceled = api.ok("POST", f"/v1/orders/{order_id}/cancel", {"reason": "customer changed their mind"})
    assert canceled["status"] == "CANCELED"
    assert canceled["version"] == 2
    assert canceled["available_actions"] == []
    assert amounts(canceled) == amounts(order)
    assert (redeemed(api, save10), redeemed(api, five)) == (0, 0)

    history = activities(api, order_id)
    attempts = {
        "update_order": api.patch(f"/v1/orders/{order_id}", {"metadata": {"a": "b"}}),
        "apply_coupon": api.post(f"/v1/orders/{order_id}/coupons", {"coupon_code": "SAVE10"}),
        "remove_coupon": api.delete(f"/v1/orders/{order_id}/coupons/FIVE"),
    }
    for response in attempts.values():
        error = assert_error(response, 409, "order_not_editable", "order_id")
        assert error["message"] == f"Order {order_id} is CANCELED; only OPEN orders can be edited."
        assert error["suggested_actions"] == canceled["available_actions"] + ["get_order"]
    error = assert_error(api.post(f"/v1/orders/{order_id}/cancel", {}), 409, "order_not_cancelable", "order_id")
    assert error["message"] == f"Order {order_id} is CANCELED; only OPEN or AUTHORIZED orders can be canceled."
    assert error["suggested_actions"] == ["get_order"]
    # nothing moved: no redemption, no version, no activity
    assert api.ok("GET", f"/v1/orders/{order_id}") == canceled
    assert (redeemed(api, save10), redeemed(api, five)) == (0, 0)
    assert activities(api, order_id) == history
    # the released redemptions are usable again: SAVE10 allows two orders at once
    for _ in range(2):
        api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("Lamp", 100)], "coupon_codes": ["SAVE10"]})
    assert redeemed(api, save10) == 2
    assert_error(api.post("/v1/orders", {"currency": "USD", "line_items": [line("Lamp", 100)],
                                         "coupon_codes": ["SAVE10"]}), 400, "coupon_redemption_limit_reached",
                 "coupon_codes.0")


def test_open_order_conflict_suggests_the_legal_actions(api: Api) -> None:
    order = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("Lamp", 100)]})
    assert order["available_actions"][:3] == ["update_order", "apply_coupon", "remove_coupon"]
    assert "cancel_order" in order["available_actions"]
    assert "create_refund" not in order["available_actions"]
    assert "close_order" not in order["available_actions"]
    error = assert_error(api.post(f"/v1/orders/{order['order_id']}/close", {}), 409, "order_not_closable",
                         "order_id")
    assert error["message"] == (f"Order {order['order_id']} is OPEN; only PAID or PARTIALLY_REFUNDED orders can "
                                "be closed.")
    assert error["suggested_actions"] == order["available_actions"] + ["get_order"]
    assert api.ok("GET", f"/v1/orders/{order['order_id']}") == order


def test_apply_and_remove_coupon(api: Api) -> None:
    coupon = api.ok("POST", "/v1/coupons", {"code": "Save10", "percentage": "10"})
    order = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("Lamp", 10000)]})
    order_id = order["order_id"]
    applied = api.ok("POST", f"/v1/orders/{order_id}/coupons", {"coupon_code": " SAVE10 "})
    assert amounts(applied) == ZERO | {"subtotal": 10000, "discount": 1000, "tax": 720, "total": 9720}
    assert applied["coupons"] == [{"coupon_id": coupon["coupon_id"], "code": "Save10",
                                   "discount_money": usd(1000)}]
    assert applied["line_items"][0]["discount_money"] == usd(1000)
    assert applied["version"] == 2
    assert redeemed(api, coupon) == 1

    removed = api.ok("DELETE", f"/v1/orders/{order_id}/coupons/save10")
    assert amounts(removed) == ZERO | {"subtotal": 10000, "tax": 800, "total": 10800}
    assert removed["coupons"] == []
    assert removed["line_items"][0]["discount_money"] == usd(0)
    assert removed["version"] == 3
    assert redeemed(api, coupon) == 0
    assert_error(api.delete(f"/v1/orders/{order_id}/coupons/save10"), 404, "resource_missing", "coupon_code")
    assert redeemed(api, coupon) == 0
    assert api.ok("GET", f"/v1/orders/{order_id}")["version"] == 3


def test_remove_one_of_two_coupons_reprices_the_rest(api: Api) -> None:
    api.ok("POST", "/v1/coupons", {"code": "TENOFF", "amount_money": usd(1000), "stackable": True})
    half = api.ok("POST", "/v1/coupons", {"code": "HALF", "percentage": "50", "stackable": True})
    order = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("A", 3000), line("B", 1000)],
                                          "coupon_codes": ["TENOFF", "HALF"]})
    # 4000 - 1000 = 3000, then 50% of 3000 = 1500 -> discount 2500, base 1500, tax 120
    assert amounts(order) == ZERO | {"subtotal": 4000, "discount": 2500, "tax": 120, "total": 1620}
    # discount 2500 split 3000:1000 -> 1875 / 625
    assert [li["discount_money"]["amount"] for li in order["line_items"]] == [1875, 625]
    order = api.ok("DELETE", f"/v1/orders/{order['order_id']}/coupons/TENOFF")
    # now HALF alone: 2000 off 4000; tax 160
    assert amounts(order) == ZERO | {"subtotal": 4000, "discount": 2000, "tax": 160, "total": 2160}
    assert [(c["code"], c["discount_money"]["amount"]) for c in order["coupons"]] == [("HALF", 2000)]
    assert redeemed(api, half) == 1


# --- preview_order ----------------------------------------------------------------------------------------

PREVIEW_BODY = {
    "currency": "USD",
    "line_items": [line("Jacket", 9900, sku="JKT-1"), line("T-shirt", 2900, 2)],
    "coupon_codes": ["SAVE20"],
    "service_charges": [{"name": "Service", "percentage": "10"}],
    "tip": {"amount_money": usd(500)},
    "tax_address": {"country": "US", "region": "NY"},
    "metadata": {"quote": "yes"},
}


def _without_ids(order: dict[str, Any]) -> dict[str, Any]:
    drop = {"order_id", "preview", "line_items", "service_charges", "available_actions", "created_at", "updated_at"}
    out = {k: v for k, v in order.items() if k not in drop}
    out["line_items"] = [{k: v for k, v in li.items() if k != "line_item_id"} for li in order["line_items"]]
    out["service_charges"] = [{k: v for k, v in sc.items() if k != "service_charge_id"}
                              for sc in order["service_charges"]]
    return out


def test_preview_prices_like_create_and_stores_nothing(client: TestClient, api: Api) -> None:
    coupon = api.ok("POST", "/v1/coupons", {"code": "SAVE20", "percentage": "20", "max_redemptions": 1})
    reader = Api(client, api.ok("POST", "/v1/api_keys", {"scopes": ["orders:read"]})["secret"])
    preview = reader.ok("POST", "/v1/orders/preview", PREVIEW_BODY)
    assert preview["preview"] is True
    assert preview["order_id"] is None and preview["created_at"] is None and preview["updated_at"] is None
    assert [li["line_item_id"] for li in preview["line_items"]] == [None, None]
    assert preview["service_charges"][0]["service_charge_id"] is None
    assert preview["available_actions"] == []
    assert (preview["status"], preview["version"]) == ("OPEN", 1)
    # 9900 + 5800 = 15700; 20% = 3140 (1980 / 1160); base 12560; service 10% = 1256; tax 8% = 1004.8 -> 1005;
    # tip 500; total 12560 + 1256 + 1005 + 500 = 15321
    assert amounts(preview) == ZERO | {"subtotal": 15700, "discount": 3140, "service_charge": 1256, "tax": 1005,
                                       "tip": 500, "total": 15321}
    # line tax 1005 split 7920:4640 -> 633.73 / 371.27 -> 634 / 371
    assert line_amounts(preview) == [("Jacket", 1, 9900, 1980, 792, 634, 9346),
                                     ("T-shirt", 2, 5800, 1160, 464, 371, 5475)]
    # nothing stored: no order, no redemption, so the one allowed redemption is still free (twice over)
    reader.ok("POST", "/v1/orders/preview", PREVIEW_BODY)
    assert api.ok("GET", "/v1/orders")["data"] == []
    assert redeemed(api, coupon) == 0

    created = api.ok("POST", "/v1/orders", PREVIEW_BODY)
    assert created["preview"] is False and created["order_id"].startswith("ord_")
    assert _without_ids(created) == _without_ids(preview)
    assert redeemed(api, coupon) == 1
    # and now the limit is reached, preview says so too (without counting)
    assert_error(reader.post("/v1/orders/preview", PREVIEW_BODY), 400, "coupon_redemption_limit_reached",
                 "coupon_codes.0")
    assert redeemed(api, coupon) == 1
    assert len(api.ok("GET", "/v1/orders")["data"]) == 1


def test_preview_of_the_worked_example(api: Api) -> None:
    body = {"currency": "USD", "line_items": [line("Jacket", 9900), line("T-shirt", 2900)]}
    preview = api.ok("POST", "/v1/orders/preview", body)
    assert amounts(preview) == ZERO | {"subtotal": 12800, "tax": 1024, "total": 13824}
    assert api.ok("GET", "/v1/orders")["data"] == []


# --- tax --------------------------------------------------------------------------------------------------

def _rate(api: Api, **body: Any) -> dict[str, Any]:
    return api.ok("POST", "/v1/tax_rates", body)


def _taxed(api: Api, address: dict[str, str] | None, *lines: dict[str, Any], currency: str = "USD") -> dict[str, Any]:
    body: dict[str, Any] = {"currency": currency, "line_items": list(lines)}
    if address is not None:
        body["tax_address"] = address
    return api.ok("POST", "/v1/orders", body)


def test_most_specific_tax_rate_wins(api: Api) -> None:
    default = api.ok("GET", "/v1/tax_rates")["data"][0]
    ca = _rate(api, name="CA state", percentage="7.25", country="US", region="CA")
    sf = _rate(api, name="San Francisco", percentage="8.625", country="us", region="ca", postal_prefix="941")
    reduced = _rate(api, name="CA groceries", percentage="2.5", country="US", region="CA", tax_category="reduced")
    assert (ca["jurisdiction"], sf["jurisdiction"], reduced["jurisdiction"]) == ("US-CA", "US-CA-941", "US-CA")
    assert (sf["country"], sf["region"], sf["postal_prefix"]) == ("US", "CA", "941")
    assert reduced["tax_category"] == "REDUCED"

    def lines() -> list[dict[str, Any]]:
        return [line("Laptop", 10000), line("Bread", 1000, tax_category="REDUCED"),
                line("Gift card", 5000, tax_category="EXEMPT")]

    # San Francisco: STANDARD 8.625% of 10000 = 862.5 -> 863; REDUCED 2.5% of 1000 = 25; EXEMPT 0
    sf_order = _taxed(api, {"country": "US", "region": "CA", "postal_code": "94103"}, *lines())
    assert amounts(sf_order) == ZERO | {"subtotal": 16000, "tax": 888, "total": 16888}
    assert [li["tax_money"]["amount"] for li in sf_order["line_items"]] == [863, 25, 0]
    assert [li["total_money"]["amount"] for li in sf_order["line_items"]] == [10863, 1025, 5000]
    assert breakdown(sf_order) == [("US-CA-941", "8.625", False, 10000, 863), ("US-CA", "2.5", False, 1000, 25)]
    assert [t["tax_rate_id"] for t in sf_order["tax_breakdown"]] == [sf["tax_rate_id"], reduced["tax_rate_id"]]

    # Los Angeles: STANDARD 7.25% = 725
    la_order = _taxed(api, {"country": "US", "region": "CA", "postal_code": "90001"}, *lines())
    assert amounts(la_order) == ZERO | {"subtotal": 16000, "tax": 750, "total": 16750}
    assert breakdown(la_order) == [("US-CA", "7.25", False, 10000, 725), ("US-CA", "2.5", False, 1000, 25)]

    # a 941 postal code outside CA matches neither CA rule: New York falls back to the default 8% for every
    # category without a rule of its own (REDUCED joins the STANDARD rate: 8% of 11000 = 880, rounded once)
    ny_order = _taxed(api, {"country": "US", "region": "NY", "postal_code": "94100"}, *lines())
    assert amounts(ny_order) == ZERO | {"subtotal": 16000, "tax": 880, "total": 16880}
    assert breakdown(ny_order) == [("ALL", "8", False, 11000, 880)]
    assert [t["tax_rate_id"] for t in ny_order["tax_breakdown"]] == [default["tax_rate_id"]]

    # no address: only rates without a country apply
    bare = _taxed(api, None, *lines())
    assert breakdown(bare) == [("ALL", "8", False, 11000, 880)]

    # rounded once per rate, then apportioned by largest remainder: 8.625% of 1000 = 86.25 -> 86,
    # split 333:333:334 -> 28.64 / 28.64 / 28.72 -> 29 / 28 / 29 (per-line rounding would give 87)
    split = _taxed(api, {"country": "US", "region": "CA", "postal_code": "94110"},
                   line("A", 333), line("B", 333), line("C", 334))
    assert [li["tax_money"]["amount"] for li in split["line_items"]] == [29, 28, 29]
    assert amounts(split)["tax"] == 86

    # a later rule of the same specificity wins the tie
    _rate(api, name="CA override", percentage="7.5", country="US", region="CA")
    la_again = _taxed(api, {"country": "US", "region": "CA", "postal_code": "90001"}, line("Laptop", 10000))
    assert breakdown(la_again) == [("US-CA", "7.5", False, 10000, 750)]


def eur(name: str, amount: int, **extra: Any) -> dict[str, Any]:
    return line(name, amount, **extra) | {"unit_price_money": {"amount": amount, "currency": "EUR"}}


def test_inclusive_vat(api: Api) -> None:
    _rate(api, name="DE VAT", percentage="19", country="DE", inclusive=True)
    _rate(api, name="DE VAT reduced", percentage="7", country="DE", tax_category="REDUCED", inclusive=True)
    order = _taxed(api, {"country": "de", "postal_code": "10115"}, eur("Buch", 10700, tax_category="REDUCED"),
                   eur("Kamera", 11900), currency="EUR")
    # carved out of the price: 10700 * 7/107 = 700, 11900 * 19/119 = 1900; the total is the price
    assert amounts(order) == ZERO | {"subtotal": 22600, "tax": 2600, "inclusive_tax": 2600, "total": 22600}
    assert [(li["tax_money"]["amount"], li["total_money"]["amount"]) for li in order["line_items"]] == [
        (700, 10700), (1900, 11900)]
    assert breakdown(order) == [("DE", "7", True, 10700, 700), ("DE", "19", True, 11900, 1900)]
    assert order["pricing_amounts"]["total_money"] == {"amount": 22600, "currency": "EUR"}
    # 999 * 19/119 = 159.50 -> 160
    pen = _taxed(api, {"country": "DE"}, eur("Stift", 999), currency="EUR")
    assert amounts(pen) == ZERO | {"subtotal": 999, "tax": 160, "inclusive_tax": 160, "total": 999}
    # outside Germany the additive default applies: 8% on top
    us = _taxed(api, {"country": "US"}, line("Kamera", 11900))
    assert amounts(us) == ZERO | {"subtotal": 11900, "tax": 952, "total": 12852}


def test_deactivating_the_default_rate_leaves_unmatched_addresses_untaxed(api: Api) -> None:
    default = api.ok("GET", "/v1/tax_rates")["data"][0]
    _rate(api, name="CA state", percentage="7.25", country="US", region="CA")
    ny_before = _taxed(api, {"country": "US", "region": "NY"}, line("Lamp", 10000))
    assert amounts(ny_before)["tax"] == 800

    updated = api.ok("PATCH", f"/v1/tax_rates/{default['tax_rate_id']}", {"active": False})
    assert updated["active"] is False and updated["percentage"] == "8"
    assert [r["tax_rate_id"] for r in api.ok("GET", "/v1/tax_rates", params={"active": "false"})["data"]] == [
        default["tax_rate_id"]]

    ny = _taxed(api, {"country": "US", "region": "NY"}, line("Lamp", 10000), line("Bread", 500, tax_category="REDUCED"))
    assert amounts(ny) == ZERO | {"subtotal": 10500, "total": 10500}
    assert ny["tax_breakdown"] == []
    assert amounts(_taxed(api, None, line("Lamp", 10000)))["tax"] == 0
    ca = _taxed(api, {"country": "US", "region": "CA"}, line("Lamp", 10000))
    assert breakdown(ca) == [("US-CA", "7.25", False, 10000, 725)]
    # an OPEN order picks the change up on its next edit
    edited = api.ok("PATCH", f"/v1/orders/{ny_before['order_id']}", {"metadata": {"touched": "yes"}})
    assert amounts(edited) == ZERO | {"subtotal": 10000, "total": 10000}
    # and a taxable service charge is untaxed without a STANDARD rate
    charged = api.ok("PATCH", f"/v1/orders/{ny['order_id']}", {
        "service_charges": [{"name": "Delivery", "amount_money": usd(300), "taxable": True}]})
    assert amounts(charged) == ZERO | {"subtotal": 10500, "service_charge": 300, "total": 10800}


def test_exempt_lines_are_untaxed_even_with_coupons_and_charges(api: Api) -> None:
    api.ok("POST", "/v1/coupons", {"code": "OFF10", "amount_money": usd(1000)})
    order = api.ok("POST", "/v1/orders", {"currency": "USD", "coupon_codes": ["OFF10"],
                                          "line_items": [line("Gift card", 5000, tax_category="exempt"),
                                                         line("Mug", 5000)],
                                          "service_charges": [{"name": "Wrap", "amount_money": usd(200),
                                                               "taxable": True}]})
    # discount 1000 split 500/500; taxable: mug 4500 + wrap 200 = 4700 -> 376
    assert amounts(order) == ZERO | {"subtotal": 10000, "discount": 1000, "service_charge": 200, "tax": 376,
                                     "total": 9576}
    assert breakdown(order) == [("ALL", "8", False, 4700, 376)]
    # own tax: exempt 0, mug 376 * 4500/4700 = 360; the charge's 16 split by base 4500:4500 -> 8 / 8
    assert [li["tax_money"]["amount"] for li in order["line_items"]] == [8, 368]
    assert [li["tax_category"] for li in order["line_items"]] == ["EXEMPT", "STANDARD"]


def test_tax_rate_bad_input(api: Api) -> None:
    assert_error(api.post("/v1/tax_rates", {"name": "X", "percentage": "7", "region": "CA"}), 400, "parameter_invalid",
                 "region")
    assert_error(api.post("/v1/tax_rates", {"name": "X", "percentage": 7}), 400, "parameter_invalid", "percentage")
    assert_error(api.post("/v1/tax_rates", {"name": "X", "percentage": "7", "country": "USA"}), 400,
                 "parameter_invalid", "country")
    assert_error(api.post("/v1/tax_rates", {"name": "X", "percentage": "7", "tax_category": "FOOD"}), 400,
                 "parameter_invalid", "tax_category")
    assert_error(api.patch("/v1/tax_rates/txr_nope", {"active": False}), 404, "resource_missing", "tax_rate_id")
    assert len(api.ok("GET", "/v1/tax_rates")["data"]) == 1


# --- the audit trail --------------------------------------------------------------------------------------

def test_activities_record_every_change(client: TestClient, merchant: dict[str, Any], api: Api) -> None:
    api.ok("POST", "/v1/coupons", {"code": "SAVE10", "percentage": "10"})
    clerk = api.ok("POST", "/v1/api_keys", {"scopes": ["orders:write"], "name": "clerk"})
    clerk_api = Api(client, clerk["secret"])
    owner_key = merchant["api_key"]["api_key_id"]

    created = api.post("/v1/orders", {"currency": "USD", "line_items": [line("Lamp", 10000)]})
    order = created.json()
    order_id, lamp = order["order_id"], order["line_items"][0]["line_item_id"]
    updated = clerk_api.patch(f"/v1/orders/{order_id}", {"metadata": {"gift": "yes"},
                                                          "add_line_items": [line("Bulb", 500, 2)]})
    bulb = updated.json()["line_items"][1]["line_item_id"]
    applied = api.post(f"/v1/orders/{order_id}/coupons", {"coupon_code": "save10"})
    removed = api.delete(f"/v1/orders/{order_id}/coupons/SAVE10")
    canceled = clerk_api.post(f"/v1/orders/{order_id}/cancel", {"reason": "changed mind"})
    responses = [created, updated, applied, removed, canceled]
    assert [r.status_code for r in responses] == [200] * 5
    assert canceled.json()["version"] == 5
    # failed attempts leave no trace
    assert api.patch(f"/v1/orders/{order_id}", {"metadata": {"late": "yes"}}).status_code == 409

    trail = activities(api, order_id)
    assert [a["type"] for a in trail] == ["ORDER_CREATED", "ORDER_UPDATED", "COUPON_APPLIED", "COUPON_REMOVED",
                                          "ORDER_CANCELED"]
    assert [a["actor"] for a in trail] == [owner_key, clerk["api_key_id"], owner_key, owner_key, clerk["api_key_id"]]
    assert [a["request_id"] for a in trail] == [r.headers["request-id"] for r in responses]
    for activity in trail:
        assert activity["object"] == "activity" and activity["activity_id"].startswith("act_")
        assert (activity["object_type"], activity["object_id"], activity["face"]) == ("order", order_id, "http")
    assert trail[0]["occurred_at"] == order["created_at"]
    assert trail[-1]["occurred_at"] == canceled.json()["updated_at"]

    created_delta = trail[0]["delta"]
    assert created_delta["status"] == [None, "OPEN"]
    assert created_delta["total_money.amount"] == [None, 10800]
    assert created_delta[f"line_items.{lamp}"] == [None, "1 x Lamp @ 10000"]
    assert all(before is None for before, _ in created_delta.values())
    assert trail[1]["delta"] == {
        "metadata": [{}, {"gift": "yes"}],
        f"line_items.{bulb}": [None, "2 x Bulb @ 500"],
        "subtotal_money.amount": [10000, 11000],
        "tax_money.amount": [800, 880],
        "total_money.amount": [10800, 11880],
    }
    # 10% of 11000 = 1100; 8% of 9900 = 792
    assert trail[2]["delta"] == {
        "coupons": [[], ["SAVE10"]],
        "discount_money.amount": [0, 1100],
        "tax_money.amount": [880, 792],
        "total_money.amount": [11880, 10692],
    }
    assert trail[3]["delta"] == {
        "coupons": [["SAVE10"], []],
        "discount_money.amount": [1100, 0],
        "tax_money.amount": [792, 880],
        "total_money.amount": [10692, 11880],
    }
    assert trail[4]["delta"] == {"status": ["OPEN", "CANCELED"], "reason": [None, "changed mind"]}
    # newest first by default, and the trail is paginated like every list
    newest = api.ok("GET", f"/v1/orders/{order_id}/activities")["data"]
    assert newest == trail[::-1]
    page = api.ok("GET", f"/v1/orders/{order_id}/activities", params={"page_size": 2, "order_by": "created_at"})
    assert page["data"] == trail[:2] and page["next_page_token"]


def test_activities_of_tool_and_reader_keys(client: TestClient, api: Api) -> None:
    order = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("Lamp", 100)]})
    reader = Api(client, api.ok("POST", "/v1/api_keys", {"scopes": ["orders:read"]})["secret"])
    trail = reader.ok("GET", f"/v1/orders/{order['order_id']}/activities")["data"]
    assert [a["type"] for a in trail] == ["ORDER_CREATED"]
    # reads and previews write no activity
    reader.ok("GET", f"/v1/orders/{order['order_id']}")
    reader.ok("POST", "/v1/orders/preview", {"currency": "USD", "line_items": [line("Lamp", 100)]})
    assert reader.ok("GET", f"/v1/orders/{order['order_id']}/activities")["data"] == trail


@pytest.mark.parametrize("quantity,unit,expected_tax", [(1, 1, 0), (1, 6, 0), (1, 7, 1), (3, 19, 5), (1, 1250, 100)])
def test_tax_rounds_half_up_once(api: Api, quantity: int, unit: int, expected_tax: int) -> None:
    # 8% of 6 = 0.48 -> 0; of 7 = 0.56 -> 1; of 57 = 4.56 -> 5; of 1250 = 100
    order = api.ok("POST", "/v1/orders/preview", {"currency": "USD", "line_items": [line("X", unit, quantity)]})
    assert amounts(order)["tax"] == expected_tax
    assert amounts(order)["total"] == quantity * unit + expected_tax


def test_metadata_stays_within_50_keys_after_an_update(api: Api) -> None:
    order = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("Lamp", 100)],
                                          "metadata": {f"k{i}": "v" for i in range(50)}})
    response = api.patch(f"/v1/orders/{order['order_id']}", {"metadata": {f"n{i}": "v" for i in range(50)}})
    assert_error(response, 400, "parameter_invalid", "metadata")
    assert api.ok("GET", f"/v1/orders/{order['order_id']}") == order


def test_every_code_that_can_be_applied_can_be_removed(api: Api) -> None:
    response = api.post("/v1/coupons", {"code": "SPRING/20", "percentage": "20", "stackable": True})
    if response.status_code == 400:  # refusing such codes up front is a fix too
        assert_error(response, 400, "parameter_invalid", "code")
        return
    assert response.status_code == 200, response.text
    order = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("Lamp", 1000)],
                                          "coupon_codes": ["spring/20"]})
    assert amounts(order)["discount"] == 200
    removed = api.request("DELETE", f"/v1/orders/{order['order_id']}/coupons/SPRING%2F20")
    assert removed.status_code == 200, removed.text
    assert removed.json()["coupons"] == []
    assert api.ok("GET", f"/v1/coupons/{response.json()['coupon_id']}")["times_redeemed"] == 0


@pytest.mark.parametrize("look_alike", ["maß10", "MAſS10", "MASS１0", "MASS10\u200b", "ＭASS10", "MAS S10"])
def test_look_alike_codes_never_redeem_a_real_coupon(api: Api, look_alike: str) -> None:
    """Codes compare ASCII case-insensitively and nothing else: Unicode case folding would turn `maß10` (and
    `ſ`, the long s) into MASS10. Such a code is refused with 400 wherever it is typed."""
    coupon = api.ok("POST", "/v1/coupons", {"code": "MASS10", "percentage": "10"})
    order = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("Lamp", 1000)]})
    assert_error(api.post(f"/v1/orders/{order['order_id']}/coupons", {"coupon_code": look_alike}), 400,
                 "parameter_invalid", "coupon_code")
    assert_error(api.post("/v1/orders", {"currency": "USD", "line_items": [line("Lamp", 1000)],
                                         "coupon_codes": [look_alike]}), 400, "parameter_invalid", "coupon_codes.0")
    assert_error(api.get("/v1/coupons", params={"code": look_alike}), 400, "parameter_invalid", "code")
    assert_error(api.post("/v1/coupons", {"code": look_alike, "percentage": "5"}), 400, "parameter_invalid", "code")
    assert api.ok("GET", f"/v1/coupons/{coupon['coupon_id']}")["times_redeemed"] == 0
    assert api.ok("GET", f"/v1/orders/{order['order_id']}")["coupons"] == []
    # the one spelling rule still matches case-insensitively and ignores surrounding spaces
    assert [c["coupon_id"] for c in api.ok("GET", "/v1/coupons", params={"code": " mass10 "})["data"]] == [
        coupon["coupon_id"]]


# --- the currency of an order: given, named by its prices, or the server's default ------------------------

def test_the_currency_is_inferred_from_the_prices_when_they_agree(api: Api) -> None:
    eur = {"amount": 9900, "currency": "eur"}
    order = api.ok("POST", "/v1/orders", {"line_items": [{"name": "Jacket", "quantity": 1, "unit_price_money": eur},
                                                         {"name": "Cap", "quantity": 1,
                                                          "unit_price_money": {"amount": 1500}}]})
    assert order["currency"] == "EUR"
    assert {line["unit_price_money"]["currency"] for line in order["line_items"]} == {"EUR"}
    added = api.ok("PATCH", f"/v1/orders/{order['order_id']}",
                   {"add_line_items": [{"name": "Scarf", "quantity": 1, "unit_price_money": {"amount": 700}}]})
    assert added["line_items"][-1]["unit_price_money"] == {"amount": 700, "currency": "EUR"}


def test_prices_in_two_currencies_name_the_one_that_disagrees(api: Api) -> None:
    body = {"line_items": [line("Jacket", 9900), {"name": "Cap", "quantity": 1,
                                                   "unit_price_money": {"amount": 1500, "currency": "EUR"}}]}
    assert_error(api.post("/v1/orders", body), 400, "currency_mismatch", "line_items.1.unit_price_money.currency")
    tipped = {"line_items": [{"name": "Soup", "quantity": 1, "unit_price_money": {"amount": 900}}],
              "tip": {"amount_money": {"amount": 100, "currency": "GBP"}},
              "service_charges": [{"name": "Delivery", "amount_money": {"amount": 300, "currency": "EUR"}}]}
    assert_error(api.post("/v1/orders", tipped), 400, "currency_mismatch", "tip.amount_money.currency")
    assert api.ok("GET", "/v1/orders")["data"] == []


def test_an_order_that_names_no_currency_is_in_the_default_currency(api: Api, db: Any) -> None:
    """The published samples' spelling: no currency anywhere. The default is a server setting, USD unless set."""
    body = {"line_items": [{"name": "Jacket", "quantity": 1, "unit_price_money": {"amount": 9900}}]}
    assert api.ok("POST", "/v1/orders", body)["currency"] == "USD"
    assert api.ok("GET", "/v1/whoami")["default_currency"] == "USD"
    with TestClient(create_server(db, settings=Settings(default_currency="JPY"))) as yen:
        key = {"Authorization": f"Bearer {api.key}"}
        assert yen.post("/v1/orders/preview", json=body, headers=key).json()["currency"] == "JPY"
        assert yen.get("/v1/whoami", headers=key).json()["default_currency"] == "JPY"


def _selects_while(db: Any, call: Any) -> int:
    """How many SELECT statements the database runs during ``call()``."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engines = {db.read_engine, db.write_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    return sum(1 for statement in seen if statement.lstrip().upper().startswith("SELECT"))


def test_a_page_of_orders_reads_each_relation_once_whatever_its_size(api: Api, db: Any) -> None:
    """No N+1: a page of 5 and a page of 40 orders (paid, refunded, with open checkout sessions) run the same
    number of SELECTs, one per relation the order shows."""
    for i in range(40):
        order = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("Tea", 450, 2)]})
        if i % 2:
            api.ok("POST", f"/v1/orders/{order['order_id']}/pay", {"payment_source": "tok_visa"})
            if i % 4 == 1:
                api.ok("POST", "/v1/refunds", {"order_id": order["order_id"], "amount_money": usd(100)})
        elif i % 4 == 0:
            api.ok("POST", "/v1/checkout_sessions", {"order_id": order["order_id"], "success_url": "/done"})
    small = _selects_while(db, lambda: api.ok("GET", "/v1/orders", params={"page_size": 5}))
    page = {}
    large = _selects_while(db, lambda: page.update(api.ok("GET", "/v1/orders", params={"page_size": 40})))
    assert small == large
    urls = [o["checkout_session_url"] for o in page["data"] if o["checkout_session_url"]]
    assert len(urls) == 10 and all(url.startswith(BASE_URL + "/checkout/cs_") for url in urls)
    assert sum(1 for o in page["data"] if o["settlement_amounts"]["refunded_money"]["amount"]) == 10


@pytest.mark.parametrize("filters", [{}, {"status": "OPEN"}, {"customer_id": "cus_none"}],
                         ids=["all", "status", "customer"])
def test_a_page_of_orders_walks_an_index_in_its_order(api: Api, db: Any, filters: dict[str, str]) -> None:
    """Each list filter has an index ending with order_id, the list's key: SQLite reads a page straight off
    it instead of sorting the merchant's orders again (no temporary B-tree)."""
    if db.url.startswith("postgresql"):
        pytest.skip("SQLite's plan; PostgreSQL picks by table statistics")
    api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("Tea", 450)]})
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM orders" in statement and "ORDER BY" in statement:
            seen.append((statement, parameters))

    event.listen(db.read_engine, "before_cursor_execute", keep)
    try:
        api.ok("GET", "/v1/orders", params={"page_size": 10, **filters})
    finally:
        event.remove(db.read_engine, "before_cursor_execute", keep)
    [(statement, parameters)] = seen
    with db.read_engine.connect() as conn:
        plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
    assert "TEMP B-TREE" not in plan and "USING INDEX ix_orders_" in plan, plan
