"""Bad input to create_order, preview_order, update_order and apply_coupon: wrong types, out-of-range quantities
and amounts, unknown currencies, unknown and missing fields, totals above 2^53 - 1, too many line items, and enum
spellings. Every case is a clear 4xx with the API.md section 2 envelope naming the right `param`, and nothing in
the database changes (no order, no coupon redemption, no activity)."""

from __future__ import annotations

import pytest

from tests.api.bad_input.helpers import World, assert_error, order_body, price_line, quantity_line
from tests.conftest import Api, line, usd

MAX = 2**53 - 1


# --- create_order: types, ranges, unknown and missing fields ----------------------------------------------

BAD_ORDERS = {
    # wrong types
    "string-quantity": (order_body(quantity_line("2")), "parameter_invalid", "line_items.0.quantity"),
    "string-amount": (order_body(price_line("1000")), "parameter_invalid", "line_items.0.unit_price_money.amount"),
    "bool-amount": (order_body(price_line(True)), "parameter_invalid", "line_items.0.unit_price_money.amount"),
    "float-amount": (order_body(price_line(10.0)), "parameter_invalid", "line_items.0.unit_price_money.amount"),
    "object-for-list": ({"currency": "USD", "line_items": {"0": line("Mug", 1000)}}, "parameter_invalid",
                        "line_items"),
    "string-for-list": ({"currency": "USD", "line_items": "Mug"}, "parameter_invalid", "line_items"),
    "list-for-object": (order_body(line("Mug", 1000), tip=[1]), "parameter_invalid", "tip"),
    "number-currency": ({"currency": 840, "line_items": [line("Mug", 1000)]}, "invalid_currency", "currency"),
    "list-for-money": (order_body({"name": "Mug", "quantity": 1, "unit_price_money": [1000, "USD"]}),
                       "parameter_invalid", "line_items.0.unit_price_money"),
    "bool-quantity": (order_body(quantity_line(True)), "parameter_invalid", "line_items.0.quantity"),
    "second-line-bad": (order_body(line("A", 1), quantity_line("x")), "parameter_invalid", "line_items.1.quantity"),
    # quantities are strict positive integers
    "negative-quantity": (order_body(quantity_line(-1)), "parameter_invalid", "line_items.0.quantity"),
    "zero-quantity": (order_body(quantity_line(0)), "parameter_invalid", "line_items.0.quantity"),
    "fractional-quantity": (order_body(quantity_line(1.5)), "parameter_invalid", "line_items.0.quantity"),
    "integral-float-quantity": (order_body(quantity_line(2.0)), "parameter_invalid", "line_items.0.quantity"),
    "huge-quantity": (order_body(quantity_line(1_000_001)), "parameter_invalid", "line_items.0.quantity"),
    # amounts: 0 .. 2^53 - 1
    "negative-amount": (order_body(price_line(-1)), "parameter_invalid", "line_items.0.unit_price_money.amount"),
    "amount-2^53": (order_body(price_line(2**53)), "parameter_invalid", "line_items.0.unit_price_money.amount"),
    "amount-2^53+1": (order_body(price_line(2**53 + 1)), "parameter_invalid", "line_items.0.unit_price_money.amount"),
    "amount-2^64": (order_body(price_line(2**64)), "parameter_invalid", "line_items.0.unit_price_money.amount"),
    "amount-10^30": (order_body(price_line(10**30)), "parameter_invalid", "line_items.0.unit_price_money.amount"),
    "negative-tip": (order_body(tip={"amount_money": usd(-5)}), "parameter_invalid", "tip.amount_money.amount"),
    "huge-service-charge": (order_body(service_charges=[{"name": "Fee", "amount_money": usd(2**53)}]),
                            "parameter_invalid", "service_charges.0.amount_money.amount"),
    # currencies
    "unknown-currency": ({"currency": "ABC", "line_items": [line("Mug", 1000)]}, "invalid_currency", "currency"),
    "unknown-line-currency": (order_body(price_line(100, "XYZ")), "invalid_currency",
                              "line_items.0.unit_price_money.currency"),
    "test-currency-XTS": ({"currency": "XTS", "line_items": [price_line(100, "XTS")]}, "invalid_currency", "currency"),
    "mixed-currencies": (order_body(line("A", 100), price_line(100, "EUR")), "currency_mismatch",
                         "line_items.1.unit_price_money.currency"),
    "tip-other-currency": (order_body(tip={"amount_money": {"amount": 100, "currency": "EUR"}}), "currency_mismatch",
                           "tip.amount_money.currency"),
    "charge-other-currency": (order_body(service_charges=[{"name": "Fee", "amount_money":
                                                       {"amount": 100, "currency": "GBP"}}]),
                              "currency_mismatch", "service_charges.0.amount_money.currency"),
    # unknown fields
    "unknown-top-level": (order_body(colour="red"), "unknown_parameter", "colour"),
    "unknown-in-line": (order_body(line("Mug", 1000, price=1000)), "unknown_parameter", "line_items.0.price"),
    "unknown-in-money": (order_body({"name": "Mug", "quantity": 1, "unit_price_money":
                                 {"amount": 1, "currency": "USD", "cents": 1}}),
                         "unknown_parameter", "line_items.0.unit_price_money.cents"),
    "unknown-in-tax-address": (order_body(tax_address={"country": "US", "zip": "94103"}), "unknown_parameter",
                               "tax_address.zip"),
    "typo-coupon-code": (order_body(coupon_code="TEN"), "unknown_parameter", "coupon_code"),
    # missing fields
    "missing-line-items": ({"currency": "USD"}, "parameter_missing", "line_items"),
    "empty-line-items": ({"currency": "USD", "line_items": []}, "parameter_invalid", "line_items"),
    "missing-quantity": (order_body({"name": "Mug", "unit_price_money": usd(1)}), "parameter_missing",
                         "line_items.0.quantity"),
    "missing-name": (order_body({"quantity": 1, "unit_price_money": usd(1)}), "parameter_missing",
                     "line_items.0.name"),
    "missing-price": (order_body({"name": "Mug", "quantity": 1}), "parameter_missing", "line_items.0.unit_price_money"),
    "missing-amount": (order_body({"name": "Mug", "quantity": 1, "unit_price_money": {"currency": "USD"}}),
                       "parameter_missing", "line_items.0.unit_price_money.amount"),
    "missing-country": (order_body(tax_address={"region": "CA"}), "parameter_missing", "tax_address.country"),
    # enums
    "bad-tax-category": (order_body(line("Mug", 1000, tax_category="LUXURY")), "parameter_invalid",
                         "line_items.0.tax_category"),
    "number-tax-category": (order_body(line("Mug", 1000, tax_category=1)), "parameter_invalid",
                            "line_items.0.tax_category"),
    # percentages are decimal strings of percent, 0..100
    "tip-pct-abc": (order_body(tip={"percentage": "abc"}), "parameter_invalid", "tip.percentage"),
    "tip-pct-negative": (order_body(tip={"percentage": "-5"}), "parameter_invalid", "tip.percentage"),
    "tip-pct-101": (order_body(tip={"percentage": "101"}), "parameter_invalid", "tip.percentage"),
    "tip-pct-exponent": (order_body(tip={"percentage": "1e2"}), "parameter_invalid", "tip.percentage"),
    "tip-pct-number": (order_body(tip={"percentage": 20}), "parameter_invalid", "tip.percentage"),
    "tip-pct-float": (order_body(tip={"percentage": 20.5}), "parameter_invalid", "tip.percentage"),
    "tip-both": (order_body(tip={"percentage": "10", "amount_money": usd(100)}), "parameter_invalid", "<any>"),
    "charge-pct-abc": (order_body(service_charges=[{"name": "Svc", "percentage": "abc"}]), "parameter_invalid",
                       "service_charges.0.percentage"),
    "charge-neither": (order_body(service_charges=[{"name": "Svc"}]), "parameter_invalid", "<any>"),
    # coupons that do not exist
    "unknown-coupon": (order_body(coupon_codes=["NOPE"]), "resource_missing", "coupon_codes.0"),
}


@pytest.mark.parametrize("case", list(BAD_ORDERS), ids=list(BAD_ORDERS))
def test_create_order_rejects_bad_input(frozen: World, case: str) -> None:
    body, code, param = BAD_ORDERS[case]
    status = 404 if code == "resource_missing" else 400
    assert_error(frozen.api.post("/v1/orders", body), status, code, param)
    frozen.unchanged()


def test_null_required_amount_names_the_field(frozen: World) -> None:
    response = frozen.api.post("/v1/orders", order_body(price_line(None)))
    assert response.status_code == 400, response.text
    code = response.json()["error"]["code"]
    assert code in ("parameter_missing", "parameter_invalid")
    assert_error(response, 400, code, "line_items.0.unit_price_money.amount")
    frozen.unchanged()


def test_null_nested_optional_fields_mean_absent(api: Api) -> None:
    body = order_body(line("Mug", 1000, sku=None, item_id=None, tax_category=None, metadata=None),
                  service_charges=[{"name": "Svc", "percentage": "10", "amount_money": None, "taxable": None}],
                  tip={"amount_money": usd(100), "percentage": None},
                  tax_address={"country": "US", "region": None, "postal_code": None})
    order = api.ok("POST", "/v1/orders/preview", body)
    # 1000 + 10% service charge 100 (not taxable) + 8% tax on 1000 = 80 + tip 100
    assert order["line_items"][0]["tax_category"] == "STANDARD"
    assert order["pricing_amounts"]["total_money"]["amount"] == 1280


@pytest.mark.parametrize("case", ["tip-both", "charge-neither"])
def test_exactly_one_of_amount_or_percentage_names_the_object(frozen: World, case: str) -> None:
    body, _, _ = BAD_ORDERS[case]
    error = assert_error(frozen.api.post("/v1/orders", body), 400, "parameter_invalid")
    prefix = "tip" if case == "tip-both" else "service_charges.0"
    assert error["param"] in (f"{prefix}.amount_money", f"{prefix}.percentage", prefix)
    frozen.unchanged()


def test_preview_order_rejects_the_same_bad_input(frozen: World) -> None:
    for case in ("integral-float-quantity", "amount-2^53", "mixed-currencies", "unknown-in-line",
                 "tip-pct-exponent"):
        body, code, param = BAD_ORDERS[case]
        assert_error(frozen.api.post("/v1/orders/preview", body), 400, code, param)
    frozen.unchanged()


def test_currency_is_normalized_case_insensitively(api: Api) -> None:
    order = api.ok("POST", "/v1/orders", {"currency": " usd ", "line_items": [price_line(500, "Usd")]})
    assert order["currency"] == "USD"
    assert order["line_items"][0]["unit_price_money"] == {"amount": 500, "currency": "USD"}
    assert order["pricing_amounts"]["total_money"] == {"amount": 540, "currency": "USD"}


def test_largest_amount_is_accepted_when_untaxed(api: Api) -> None:
    body = order_body(line("Gold", MAX, tax_category="EXEMPT"))
    order = api.ok("POST", "/v1/orders/preview", body)
    assert order["pricing_amounts"]["total_money"]["amount"] == MAX
    assert order["pricing_amounts"]["tax_money"]["amount"] == 0


AMOUNT_TOO_LARGE = {
    "sum-of-lines": order_body(line("A", 2**52, tax_category="EXEMPT"), line("B", 2**52, tax_category="EXEMPT")),
    "quantity-times-price": order_body(line("A", 2**52, 2, tax_category="EXEMPT")),
    "tax-pushes-total-over": order_body(line("A", MAX - 100)),
}


@pytest.mark.parametrize("case", list(AMOUNT_TOO_LARGE), ids=list(AMOUNT_TOO_LARGE))
@pytest.mark.parametrize("path", ["/v1/orders", "/v1/orders/preview"])
def test_totals_above_2_pow_53_are_amount_too_large(frozen: World, case: str, path: str) -> None:
    error = assert_error(frozen.api.post(path, AMOUNT_TOO_LARGE[case]), 400, "amount_too_large")
    assert error["param"].startswith("line_items")
    frozen.unchanged()


def test_update_that_overflows_is_amount_too_large(frozen: World) -> None:
    order_id = frozen.order["order_id"]
    response = frozen.api.patch(f"/v1/orders/{order_id}", {"add_line_items": [line("Big", MAX, tax_category="EXEMPT")]})
    error = assert_error(response, 400, "amount_too_large")
    assert error["param"].startswith("line_items") or error["param"].startswith("add_line_items")
    frozen.unchanged()


# --- size limits: how many line items ---------------------------------------------------------------------

def test_ten_thousand_line_items_are_rejected(frozen: World) -> None:
    response = frozen.api.post("/v1/orders", {"currency": "USD", "line_items": [line("Pin", 1)] * 10_000})
    if response.status_code == 413:
        assert_error(response, 413, "request_too_large", None)
    else:
        assert_error(response, 400, "too_many_line_items", "line_items")
    frozen.unchanged()


def test_501_line_items_are_too_many(frozen: World) -> None:
    error = assert_error(frozen.api.post("/v1/orders", {"currency": "USD", "line_items": [line("Pin", 1)] * 501}),
                         400, "too_many_line_items", "line_items")
    assert "500" in error["message"] and "501" in error["message"]
    frozen.unchanged()


# --- enums: bad spellings rejected, lenient spellings accepted --------------------------------------------

@pytest.mark.parametrize("spelling", ["reduced", "REDUCED", "Reduced", "TAX_CATEGORY_REDUCED", "tax_category_reduced",
                                      " reduced "])
def test_lenient_tax_category_spellings_are_accepted(api: Api, spelling: str) -> None:
    order = api.ok("POST", "/v1/orders/preview", order_body(line("Bread", 1000, tax_category=spelling)))
    assert order["line_items"][0]["tax_category"] == "REDUCED"


@pytest.mark.parametrize("spelling", ["REDUCE", "REDUCED_RATE", "CATEGORY_REDUCED", "", "TAX_CATEGORY_"])
def test_bad_tax_category_spellings_are_rejected(frozen: World, spelling: str) -> None:
    response = frozen.api.post("/v1/orders", order_body(line("Bread", 1000, tax_category=spelling)))
    assert_error(response, 400, "parameter_invalid", "line_items.0.tax_category")
    frozen.unchanged()


# --- update_order and apply_coupon input ------------------------------------------------------------------

def test_update_order_bad_input(frozen: World) -> None:
    api, order_id = frozen.api, frozen.order["order_id"]
    line_id = frozen.order["line_items"][0]["line_item_id"]
    cases = [
        ({"update_line_items": [{"line_item_id": line_id, "quantity": 2.0}]}, "parameter_invalid",
         "update_line_items.0.quantity"),
        ({"update_line_items": [{"line_item_id": line_id, "quantity": 0}]}, "parameter_invalid",
         "update_line_items.0.quantity"),
        ({"update_line_items": [{"line_item_id": line_id}]}, "parameter_missing", "update_line_items.0.quantity"),
        ({"update_line_items": [{"line_item_id": "li_nope", "quantity": 3}]}, "line_item_not_found",
         "update_line_items.0.line_item_id"),
        ({"remove_line_item_ids": ["li_nope"]}, "line_item_not_found", "remove_line_item_ids.0"),
        ({"add_line_items": [line("A", 1), price_line(1, "EUR")]}, "currency_mismatch",
         "add_line_items.1.unit_price_money.currency"),
        ({"add_line_items": [quantity_line(1.5)]}, "parameter_invalid", "add_line_items.0.quantity"),
        ({"metadata": {"k": 1}}, "parameter_invalid", "metadata.k"),
        ({"metadata": "text"}, "parameter_invalid", "metadata"),
        ({"tip": {"percentage": "1e2"}}, "parameter_invalid", "tip.percentage"),
        ({"service_charges": [{"name": "Fee", "percentage": 5}]}, "parameter_invalid",
         "service_charges.0.percentage"),
        ({"tax_address": {"country": "USA"}}, "parameter_invalid", "tax_address.country"),
        ({"version": "one"}, "parameter_invalid", "version"),
        ({"add_line_item": [line("A", 1)]}, "unknown_parameter", "add_line_item"),
        ({"update_line_items": [{"line_item_id": line_id, "quantity": 2, "price": 5}]}, "unknown_parameter",
         "update_line_items.0.price"),
        ({"remove_line_item_ids": [line_id]}, "order_requires_line_items", "remove_line_item_ids"),
        ({"customer_id": "cus_nope"}, "resource_missing", "customer_id"),
    ]
    for body, code, param in cases:
        status = 404 if code == "resource_missing" else 400
        assert_error(api.patch(f"/v1/orders/{order_id}", body), status, code, param)
    assert_error(api.post(f"/v1/orders/{order_id}/coupons", {}), 400, "parameter_missing", "coupon_code")
    assert_error(api.post(f"/v1/orders/{order_id}/coupons", {"coupon_code": ""}), 400, "parameter_invalid",
                 "coupon_code")
    assert_error(api.post(f"/v1/orders/{order_id}/coupons", {"coupon_code": "NOPE"}), 404, "resource_missing",
                 "coupon_code")
    frozen.unchanged()
