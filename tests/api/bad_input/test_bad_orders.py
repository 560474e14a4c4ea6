"""Bad input through HTTP: every case is a clear 4xx with the API.md section 2 envelope naming the right
`param`, and nothing in the database changes (no order, no coupon redemption, no activity)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import BASE_URL, Api, line, signup, usd

ENVELOPE_FIELDS = {"type", "code", "message", "param", "retryable", "effect", "retry_after_seconds",
                   "request_id", "doc_url", "suggested_actions"}
TYPE_OF_STATUS = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                  404: "not_found_error", 405: "invalid_request_error", 409: "state_conflict_error",
                  413: "invalid_request_error"}
MAX = 2**53 - 1


def assert_error(response: Any, status: int, code: str, param: str | None = "<any>") -> dict[str, Any]:
    """The full API.md section 2 envelope, with HTTP headers; returns the error object."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"], body
    error = body["error"]
    assert set(error) == ENVELOPE_FIELDS, error
    assert error["code"] == code, error
    assert error["type"] == TYPE_OF_STATUS[status], error
    if param != "<any>":
        assert error["param"] == param, error
    assert isinstance(error["message"], str) and error["message"], error
    assert "Traceback" not in error["message"]
    assert error["retryable"] is False
    assert error["effect"] == "none"
    assert error["retry_after_seconds"] is None
    assert error["request_id"].startswith("req_")
    assert error["request_id"] == response.headers["request-id"]
    assert error["doc_url"] == f"{BASE_URL}/docs/errors#{code}"
    assert isinstance(error["suggested_actions"], list)
    assert response.headers["flint-should-retry"] == "false"
    return error


class World:
    """A merchant with one order (with a coupon applied) and a limited coupon: the state that must not move."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.coupon = api.ok("POST", "/v1/coupons", {"code": "TEN", "percentage": "10", "max_redemptions": 5,
                                                      "stackable": True})
        self.order = api.ok("POST", "/v1/orders", {"currency": "USD", "line_items": [line("Mug", 1000, 2)],
                                                   "coupon_codes": ["TEN"]})
        self.before = self.snapshot()
        assert self.before["coupons"][0]["times_redeemed"] == 1
        assert len(self.before["orders"]) == 1
        assert [a["type"] for a in self.before["activities"]] == ["ORDER_CREATED"]

    def snapshot(self) -> dict[str, Any]:
        api, order_id = self.api, self.order["order_id"]
        return {
            "orders": api.ok("GET", "/v1/orders", params={"page_size": 200})["data"],
            "coupons": api.ok("GET", "/v1/coupons", params={"page_size": 200})["data"],
            "activities": api.ok("GET", f"/v1/orders/{order_id}/activities", params={"page_size": 200})["data"],
        }

    def unchanged(self) -> None:
        before, self.before = self.before, self.snapshot()  # a shared world must not cascade one failure
        assert self.before == before


@pytest.fixture
def world(api: Api) -> World:
    """A world of its own, for tests that create coupons or orders on the side."""
    return World(api)


@pytest.fixture(scope="module")
def frozen(client: TestClient) -> World:
    """One world shared by the tests that only send rejected requests: it must never change."""
    return World(Api(client, signup(client, "Frozen shop")["api_key"]["secret"]))


def raw_post(client: TestClient, key: str, path: str, content: bytes, **headers: str) -> Any:
    return client.post(path, content=content, headers={"Authorization": f"Bearer {key}",
                                                       "Content-Type": "application/json", **headers})


# --- bodies that are not a JSON object -----------------------------------------------------------------

@pytest.mark.parametrize("content", [b"{bad", b'{"currency": "USD",}', b"[1, 2]", b'"a string"', b"42", b"null",
                                     b"NaN", b'{"currency": Infinity}', b"\xff\xfe{}"],
                         ids=["malformed", "trailing-comma", "array", "string", "number", "null", "nan",
                              "infinity", "not-utf8"])
def test_body_that_is_not_a_json_object(client: TestClient, frozen: World, content: bytes) -> None:
    error = assert_error(raw_post(client, frozen.api.key, "/v1/orders", content), 400, "invalid_json", None)
    assert error["message"].startswith("The request body is not valid JSON")
    frozen.unchanged()


def test_bad_json_on_update_and_apply_coupon(client: TestClient, frozen: World) -> None:
    order_id = frozen.order["order_id"]
    response = client.patch(f"/v1/orders/{order_id}", content=b"[]",
                            headers={"Authorization": f"Bearer {frozen.api.key}"})
    assert_error(response, 400, "invalid_json", None)
    assert_error(raw_post(client, frozen.api.key, f"/v1/orders/{order_id}/coupons", b"{oops"),
                 400, "invalid_json", None)
    frozen.unchanged()


# --- create_order: types, ranges, unknown and missing fields --------------------------------------------

def _order(*lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"currency": "USD", "line_items": list(lines) or [line("Mug", 1000)], **extra}


def _price(amount: Any, currency: str = "USD") -> dict[str, Any]:
    return {"name": "Mug", "quantity": 1, "unit_price_money": {"amount": amount, "currency": currency}}


def _qty(quantity: Any) -> dict[str, Any]:
    return {"name": "Mug", "quantity": quantity, "unit_price_money": usd(1000)}


BAD_ORDERS = {
    # wrong types
    "string-quantity": (_order(_qty("2")), "parameter_invalid", "line_items.0.quantity"),
    "string-amount": (_order(_price("1000")), "parameter_invalid", "line_items.0.unit_price_money.amount"),
    "bool-amount": (_order(_price(True)), "parameter_invalid", "line_items.0.unit_price_money.amount"),
    "float-amount": (_order(_price(10.0)), "parameter_invalid", "line_items.0.unit_price_money.amount"),
    "object-for-list": ({"currency": "USD", "line_items": {"0": line("Mug", 1000)}}, "parameter_invalid",
                        "line_items"),
    "string-for-list": ({"currency": "USD", "line_items": "Mug"}, "parameter_invalid", "line_items"),
    "list-for-object": (_order(line("Mug", 1000), tip=[1]), "parameter_invalid", "tip"),
    "number-currency": ({"currency": 840, "line_items": [line("Mug", 1000)]}, "invalid_currency", "currency"),
    "list-for-money": (_order({"name": "Mug", "quantity": 1, "unit_price_money": [1000, "USD"]}),
                       "parameter_invalid", "line_items.0.unit_price_money"),
    "bool-quantity": (_order(_qty(True)), "parameter_invalid", "line_items.0.quantity"),
    "second-line-bad": (_order(line("A", 1), _qty("x")), "parameter_invalid", "line_items.1.quantity"),
    # quantities are strict positive integers
    "negative-quantity": (_order(_qty(-1)), "parameter_invalid", "line_items.0.quantity"),
    "zero-quantity": (_order(_qty(0)), "parameter_invalid", "line_items.0.quantity"),
    "fractional-quantity": (_order(_qty(1.5)), "parameter_invalid", "line_items.0.quantity"),
    "integral-float-quantity": (_order(_qty(2.0)), "parameter_invalid", "line_items.0.quantity"),
    "huge-quantity": (_order(_qty(1_000_001)), "parameter_invalid", "line_items.0.quantity"),
    # amounts: 0 .. 2^53 - 1
    "negative-amount": (_order(_price(-1)), "parameter_invalid", "line_items.0.unit_price_money.amount"),
    "amount-2^53": (_order(_price(2**53)), "parameter_invalid", "line_items.0.unit_price_money.amount"),
    "amount-2^53+1": (_order(_price(2**53 + 1)), "parameter_invalid", "line_items.0.unit_price_money.amount"),
    "amount-2^64": (_order(_price(2**64)), "parameter_invalid", "line_items.0.unit_price_money.amount"),
    "amount-10^30": (_order(_price(10**30)), "parameter_invalid", "line_items.0.unit_price_money.amount"),
    "negative-tip": (_order(tip={"amount_money": usd(-5)}), "parameter_invalid", "tip.amount_money.amount"),
    "huge-service-charge": (_order(service_charges=[{"name": "Fee", "amount_money": usd(2**53)}]),
                            "parameter_invalid", "service_charges.0.amount_money.amount"),
    # currencies
    "unknown-currency": ({"currency": "ABC", "line_items": [line("Mug", 1000)]}, "invalid_currency", "currency"),
    "unknown-line-currency": (_order(_price(100, "XYZ")), "invalid_currency",
                              "line_items.0.unit_price_money.currency"),
    "test-currency-XTS": ({"currency": "XTS", "line_items": [_price(100, "XTS")]}, "invalid_currency", "currency"),
    "mixed-currencies": (_order(line("A", 100), _price(100, "EUR")), "currency_mismatch",
                         "line_items.1.unit_price_money.currency"),
    "tip-other-currency": (_order(tip={"amount_money": {"amount": 100, "currency": "EUR"}}), "currency_mismatch",
                           "tip.amount_money.currency"),
    "charge-other-currency": (_order(service_charges=[{"name": "Fee", "amount_money":
                                                       {"amount": 100, "currency": "GBP"}}]),
                              "currency_mismatch", "service_charges.0.amount_money.currency"),
    # unknown fields
    "unknown-top-level": (_order(colour="red"), "unknown_parameter", "colour"),
    "unknown-in-line": (_order(line("Mug", 1000, price=1000)), "unknown_parameter", "line_items.0.price"),
    "unknown-in-money": (_order({"name": "Mug", "quantity": 1, "unit_price_money":
                                 {"amount": 1, "currency": "USD", "cents": 1}}),
                         "unknown_parameter", "line_items.0.unit_price_money.cents"),
    "unknown-in-tax-address": (_order(tax_address={"country": "US", "zip": "94103"}), "unknown_parameter",
                               "tax_address.zip"),
    "typo-coupon-code": (_order(coupon_code="TEN"), "unknown_parameter", "coupon_code"),
    # missing fields
    "missing-line-items": ({"currency": "USD"}, "parameter_missing", "line_items"),
    "empty-line-items": ({"currency": "USD", "line_items": []}, "parameter_invalid", "line_items"),
    "missing-quantity": (_order({"name": "Mug", "unit_price_money": usd(1)}), "parameter_missing",
                         "line_items.0.quantity"),
    "missing-name": (_order({"quantity": 1, "unit_price_money": usd(1)}), "parameter_missing",
                     "line_items.0.name"),
    "missing-price": (_order({"name": "Mug", "quantity": 1}), "parameter_missing", "line_items.0.unit_price_money"),
    "missing-amount": (_order({"name": "Mug", "quantity": 1, "unit_price_money": {"currency": "USD"}}),
                       "parameter_missing", "line_items.0.unit_price_money.amount"),
    "missing-country": (_order(tax_address={"region": "CA"}), "parameter_missing", "tax_address.country"),
    # enums
    "bad-tax-category": (_order(line("Mug", 1000, tax_category="LUXURY")), "parameter_invalid",
                         "line_items.0.tax_category"),
    "number-tax-category": (_order(line("Mug", 1000, tax_category=1)), "parameter_invalid",
                            "line_items.0.tax_category"),
    # percentages are decimal strings of percent, 0..100
    "tip-pct-abc": (_order(tip={"percentage": "abc"}), "parameter_invalid", "tip.percentage"),
    "tip-pct-negative": (_order(tip={"percentage": "-5"}), "parameter_invalid", "tip.percentage"),
    "tip-pct-101": (_order(tip={"percentage": "101"}), "parameter_invalid", "tip.percentage"),
    "tip-pct-exponent": (_order(tip={"percentage": "1e2"}), "parameter_invalid", "tip.percentage"),
    "tip-pct-number": (_order(tip={"percentage": 20}), "parameter_invalid", "tip.percentage"),
    "tip-pct-float": (_order(tip={"percentage": 20.5}), "parameter_invalid", "tip.percentage"),
    "tip-both": (_order(tip={"percentage": "10", "amount_money": usd(100)}), "parameter_invalid", "<any>"),
    "charge-pct-abc": (_order(service_charges=[{"name": "Svc", "percentage": "abc"}]), "parameter_invalid",
                       "service_charges.0.percentage"),
    "charge-neither": (_order(service_charges=[{"name": "Svc"}]), "parameter_invalid", "<any>"),
    # coupons that do not exist
    "unknown-coupon": (_order(coupon_codes=["NOPE"]), "resource_missing", "coupon_codes.0"),
}


@pytest.mark.parametrize("case", list(BAD_ORDERS), ids=list(BAD_ORDERS))
def test_create_order_rejects_bad_input(frozen: World, case: str) -> None:
    body, code, param = BAD_ORDERS[case]
    status = 404 if code == "resource_missing" else 400
    assert_error(frozen.api.post("/v1/orders", body), status, code, param)
    frozen.unchanged()


def test_null_required_amount_names_the_field(frozen: World) -> None:
    response = frozen.api.post("/v1/orders", _order(_price(None)))
    assert response.status_code == 400, response.text
    code = response.json()["error"]["code"]
    assert code in ("parameter_missing", "parameter_invalid")
    assert_error(response, 400, code, "line_items.0.unit_price_money.amount")
    frozen.unchanged()


def test_null_nested_optional_fields_mean_absent(api: Api) -> None:
    body = _order(line("Mug", 1000, sku=None, item_id=None, tax_category=None, metadata=None),
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
    order = api.ok("POST", "/v1/orders", {"currency": " usd ", "line_items": [_price(500, "Usd")]})
    assert order["currency"] == "USD"
    assert order["line_items"][0]["unit_price_money"] == {"amount": 500, "currency": "USD"}
    assert order["pricing_amounts"]["total_money"] == {"amount": 540, "currency": "USD"}


def test_largest_amount_is_accepted_when_untaxed(api: Api) -> None:
    body = _order(line("Gold", MAX, tax_category="EXEMPT"))
    order = api.ok("POST", "/v1/orders/preview", body)
    assert order["pricing_amounts"]["total_money"]["amount"] == MAX
    assert order["pricing_amounts"]["tax_money"]["amount"] == 0


AMOUNT_TOO_LARGE = {
    "sum-of-lines": _order(line("A", 2**52, tax_category="EXEMPT"), line("B", 2**52, tax_category="EXEMPT")),
    "quantity-times-price": _order(line("A", 2**52, 2, tax_category="EXEMPT")),
    "tax-pushes-total-over": _order(line("A", MAX - 100)),
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


# --- size limits ----------------------------------------------------------------------------------------

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


def test_one_megabyte_body_is_request_too_large(client: TestClient, frozen: World) -> None:
    body = _order(metadata={"note": "x" * 400})
    response = frozen.api.post("/v1/orders", body | {"padding": "x" * 1_000_000})
    assert_error(response, 413, "request_too_large", None)
    response = raw_post(client, frozen.api.key, "/v1/orders", b" " * 1_048_576)
    assert_error(response, 413, "request_too_large", None)
    frozen.unchanged()


# --- coupons: percentages on create_coupon, and coupons that cannot apply --------------------------------

@pytest.mark.parametrize("percentage", ["abc", "-5", "101", "1e2", 20, 20.0, "", "NaN", "Infinity", "5%",
                                        "20.1234567", "0x10", True])
def test_bad_percentages_on_create_coupon(frozen: World, percentage: Any) -> None:
    response = frozen.api.post("/v1/coupons", {"code": "BAD", "percentage": percentage})
    assert_error(response, 400, "parameter_invalid", "percentage")
    frozen.unchanged()


@pytest.mark.parametrize("percentage,stored", [("20", "20"), ("8.875", "8.875"), ("20.0", "20"), ("100", "100"),
                                               ("0.000001", "0.000001")])
def test_good_percentages_on_create_coupon(api: Api, percentage: str, stored: str) -> None:
    assert api.ok("POST", "/v1/coupons", {"code": "OK", "percentage": percentage})["percentage"] == stored


def test_create_coupon_bad_input(frozen: World) -> None:
    api = frozen.api
    assert_error(api.post("/v1/coupons", {"code": "X"}), 400, "parameter_invalid")
    assert_error(api.post("/v1/coupons", {"code": "X", "percentage": "5", "amount_money": usd(5)}), 400,
                 "parameter_invalid")
    assert_error(api.post("/v1/coupons", {"percentage": "5"}), 400, "parameter_missing", "code")
    assert_error(api.post("/v1/coupons", {"code": "X", "percentage": "5", "max_redemptions": 0}), 400,
                 "parameter_invalid", "max_redemptions")
    assert_error(api.post("/v1/coupons", {"code": "X", "percentage": "5", "stackable": "yes"}), 400,
                 "parameter_invalid", "stackable")
    assert_error(api.post("/v1/coupons", {"code": "X", "amount_money": {"amount": 5, "currency": "ABC"}}), 400,
                 "invalid_currency", "amount_money.currency")
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert_error(api.post("/v1/coupons", {"code": "X", "percentage": "5", "expires_at": past}), 400,
                 "parameter_invalid", "expires_at")
    assert_error(api.post("/v1/coupons", {"code": "ten", "percentage": "5"}), 400, "resource_already_exists",
                 "code")
    frozen.unchanged()


def test_naive_coupon_expiry_is_utc(api: Api) -> None:
    response = api.post("/v1/coupons", {"code": "NAIVE", "percentage": "5", "expires_at": "2099-01-01T00:00:00"})
    assert response.status_code == 200, response.text
    assert response.json()["expires_at"] == "2099-01-01T00:00:00Z"


def _redeemed(api: Api, coupon_id: str) -> int:
    return api.ok("GET", f"/v1/coupons/{coupon_id}")["times_redeemed"]


def test_expired_coupon(world: World) -> None:
    api = world.api
    expires = datetime.now(UTC) + timedelta(milliseconds=400)
    coupon = api.ok("POST", "/v1/coupons", {"code": "SOON", "percentage": "5", "expires_at": expires.isoformat()})
    assert coupon["valid"] is True
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.05)
    world.before = world.snapshot()
    error = assert_error(api.post("/v1/orders", _order(coupon_codes=["soon"])), 400, "coupon_expired",
                         "coupon_codes.0")
    assert "SOON" in error["message"]
    error = assert_error(api.post(f"/v1/orders/{world.order['order_id']}/coupons", {"coupon_code": "SOON"}), 400,
                         "coupon_expired", "coupon_code")
    assert_error(api.post("/v1/orders/preview", _order(coupon_codes=["SOON"])), 400, "coupon_expired",
                 "coupon_codes.0")
    assert api.ok("GET", f"/v1/coupons/{coupon['coupon_id']}")["valid"] is False
    assert _redeemed(api, coupon["coupon_id"]) == 0
    world.unchanged()


def test_coupon_over_its_redemption_limit(world: World) -> None:
    api = world.api
    coupon = api.ok("POST", "/v1/coupons", {"code": "ONCE", "amount_money": usd(100), "max_redemptions": 1,
                                            "stackable": True})
    api.ok("POST", "/v1/orders", _order(coupon_codes=["ONCE"]))
    assert _redeemed(api, coupon["coupon_id"]) == 1
    world.before = world.snapshot()
    error = assert_error(api.post("/v1/orders", _order(coupon_codes=["ONCE"])), 400,
                         "coupon_redemption_limit_reached", "coupon_codes.0")
    assert "ONCE" in error["message"] and "1" in error["message"]
    assert_error(api.post(f"/v1/orders/{world.order['order_id']}/coupons", {"coupon_code": "once"}), 400,
                 "coupon_redemption_limit_reached", "coupon_code")
    assert_error(api.post("/v1/orders/preview", _order(coupon_codes=["ONCE"])), 400,
                 "coupon_redemption_limit_reached", "coupon_codes.0")
    assert _redeemed(api, coupon["coupon_id"]) == 1
    world.unchanged()


def test_inactive_coupon(world: World) -> None:
    api = world.api
    coupon = api.ok("POST", "/v1/coupons", {"code": "OFF", "percentage": "50", "active": False})
    assert coupon["valid"] is False
    world.before = world.snapshot()
    assert_error(api.post("/v1/orders", _order(coupon_codes=["OFF"])), 400, "coupon_inactive", "coupon_codes.0")
    assert_error(api.post(f"/v1/orders/{world.order['order_id']}/coupons", {"coupon_code": "OFF"}), 400,
                 "coupon_inactive", "coupon_code")
    assert _redeemed(api, coupon["coupon_id"]) == 0
    world.unchanged()


def test_non_stackable_coupon_with_another(world: World) -> None:
    api = world.api
    solo = api.ok("POST", "/v1/coupons", {"code": "SOLO", "percentage": "30"})
    assert solo["stackable"] is False
    also = api.ok("POST", "/v1/coupons", {"code": "ALSO", "percentage": "5", "stackable": True})
    world.before = world.snapshot()
    # the world order already carries the stackable TEN: SOLO cannot join it
    error = assert_error(api.post(f"/v1/orders/{world.order['order_id']}/coupons", {"coupon_code": "SOLO"}), 400,
                         "coupon_not_stackable", "coupon_code")
    assert "SOLO" in error["message"]
    # SOLO first, then anything else: the second code is refused, naming the non-stackable one
    error = assert_error(api.post("/v1/orders", _order(coupon_codes=["SOLO", "ALSO"])), 400, "coupon_not_stackable",
                         "coupon_codes.1")
    assert "SOLO" in error["message"]
    assert_error(api.post("/v1/orders", _order(coupon_codes=["ALSO", "SOLO"])), 400, "coupon_not_stackable",
                 "coupon_codes.1")
    assert _redeemed(api, solo["coupon_id"]) == 0
    assert _redeemed(api, also["coupon_id"]) == 0
    world.unchanged()


def test_coupon_applied_twice(frozen: World) -> None:
    api = frozen.api
    assert_error(api.post(f"/v1/orders/{frozen.order['order_id']}/coupons", {"coupon_code": "ten"}), 400,
                 "coupon_already_applied", "coupon_code")
    assert_error(api.post("/v1/orders", _order(coupon_codes=["TEN", "TEN"])), 400, "coupon_already_applied",
                 "coupon_codes.1")
    frozen.unchanged()


def test_fixed_coupon_in_another_currency(world: World) -> None:
    api = world.api
    coupon = api.ok("POST", "/v1/coupons", {"code": "EUR5", "amount_money": {"amount": 500, "currency": "eur"}})
    assert coupon["amount_money"] == {"amount": 500, "currency": "EUR"}
    world.before = world.snapshot()
    assert_error(api.post("/v1/orders", _order(coupon_codes=["EUR5"])), 400, "currency_mismatch", "coupon_codes.0")
    assert_error(api.post(f"/v1/orders/{world.order['order_id']}/coupons", {"coupon_code": "EUR5"}), 400,
                 "currency_mismatch", "coupon_code")
    assert _redeemed(api, coupon["coupon_id"]) == 0
    world.unchanged()
    # and it does apply to a EUR order
    order = api.ok("POST", "/v1/orders", {"currency": "EUR", "line_items": [_price(2000, "EUR")],
                                          "coupon_codes": ["eur5"]})
    assert order["pricing_amounts"]["discount_money"] == {"amount": 500, "currency": "EUR"}


# --- other merchants and sandboxes: 404, never 403, and nothing changes -----------------------------------

def test_another_merchants_key_sees_nothing_and_changes_nothing(client: TestClient, frozen: World) -> None:
    other = Api(client, signup(client, "Other shop")["api_key"]["secret"])
    other.ok("POST", "/v1/coupons", {"code": "TEN", "percentage": "90"})
    order_id = frozen.order["order_id"]
    coupon_id = frozen.coupon["coupon_id"]
    attempts = [
        other.get(f"/v1/orders/{order_id}"),
        other.patch(f"/v1/orders/{order_id}", {"add_line_items": [line("Free", 0)]}),
        other.patch(f"/v1/orders/{order_id}", {"metadata": {"owned": "yes"}}),
        other.post(f"/v1/orders/{order_id}/coupons", {"coupon_code": "TEN"}),
        other.delete(f"/v1/orders/{order_id}/coupons/TEN"),
        other.post(f"/v1/orders/{order_id}/cancel", {}),
        other.get(f"/v1/orders/{order_id}/activities"),
    ]
    for response in attempts:
        error = assert_error(response, 404, "resource_missing", "order_id")
        assert order_id in error["message"]
    assert_error(other.get(f"/v1/coupons/{coupon_id}"), 404, "resource_missing", "coupon_id")
    assert other.ok("GET", "/v1/orders")["data"] == []
    frozen.unchanged()


def test_another_sandbox_of_the_same_merchant_sees_nothing(client: TestClient, world: World) -> None:
    created = world.api.ok("POST", "/v1/sandboxes", {"name": "second"})
    world.before = world.snapshot()
    other = Api(client, created["api_key"]["secret"])
    order_id = world.order["order_id"]
    assert_error(other.get(f"/v1/orders/{order_id}"), 404, "resource_missing", "order_id")
    assert_error(other.patch(f"/v1/orders/{order_id}", {"metadata": {"x": "y"}}), 404, "resource_missing",
                 "order_id")
    assert_error(other.post(f"/v1/orders/{order_id}/cancel", {}), 404, "resource_missing", "order_id")
    assert_error(other.post("/v1/orders", _order(coupon_codes=["TEN"])), 404, "resource_missing", "coupon_codes.0")
    assert other.ok("GET", "/v1/orders")["data"] == []
    world.unchanged()


def test_unknown_order_id(frozen: World) -> None:
    for response in (frozen.api.get("/v1/orders/ord_doesnotexist"),
                     frozen.api.patch("/v1/orders/ord_doesnotexist", {"metadata": {"a": "b"}}),
                     frozen.api.post("/v1/orders/ord_doesnotexist/cancel", {}),
                     frozen.api.get("/v1/orders/ord_doesnotexist/activities")):
        error = assert_error(response, 404, "resource_missing", "order_id")
        assert "ord_doesnotexist" in error["message"]
    frozen.unchanged()


# --- enums: bad spellings rejected, lenient spellings accepted --------------------------------------------

@pytest.mark.parametrize("spelling", ["reduced", "REDUCED", "Reduced", "TAX_CATEGORY_REDUCED", "tax_category_reduced",
                                      " reduced "])
def test_lenient_tax_category_spellings_are_accepted(api: Api, spelling: str) -> None:
    order = api.ok("POST", "/v1/orders/preview", _order(line("Bread", 1000, tax_category=spelling)))
    assert order["line_items"][0]["tax_category"] == "REDUCED"


@pytest.mark.parametrize("spelling", ["REDUCE", "REDUCED_RATE", "CATEGORY_REDUCED", "", "TAX_CATEGORY_"])
def test_bad_tax_category_spellings_are_rejected(frozen: World, spelling: str) -> None:
    response = frozen.api.post("/v1/orders", _order(line("Bread", 1000, tax_category=spelling)))
    assert_error(response, 400, "parameter_invalid", "line_items.0.tax_category")
    frozen.unchanged()


@pytest.mark.parametrize("spelling,canceled", [("open", "canceled"), ("OPEN", "CANCELED"), ("Open", "Canceled"),
                                               ("ORDER_STATUS_OPEN", "order_status_canceled")])
def test_lenient_status_filter(frozen: World, spelling: str, canceled: str) -> None:
    listed = frozen.api.ok("GET", "/v1/orders", params={"status": spelling})
    assert [o["order_id"] for o in listed["data"]] == [frozen.order["order_id"]]
    assert frozen.api.ok("GET", "/v1/orders", params={"status": canceled})["data"] == []


@pytest.mark.parametrize("spelling", ["opened", "PENDING", "0"])
def test_bad_status_filter(frozen: World, spelling: str) -> None:
    assert_error(frozen.api.get("/v1/orders", params={"status": spelling}), 400, "parameter_invalid", "status")


def test_bad_list_parameters(frozen: World) -> None:
    api = frozen.api
    assert_error(api.get("/v1/orders", params={"page_size": "ten"}), 400, "parameter_invalid", "page_size")
    assert_error(api.get("/v1/orders", params={"page_size": -1}), 400, "parameter_invalid", "page_size")
    assert_error(api.get("/v1/orders", params={"order_by": "total"}), 400, "parameter_invalid", "order_by")
    assert_error(api.get("/v1/orders", params={"created_after": "yesterday"}), 400, "parameter_invalid",
                 "created_after")
    assert_error(api.get("/v1/orders", params={"colour": "red"}), 400, "unknown_parameter", "colour")
    assert_error(api.get("/v1/coupons", params={"active": "maybe"}), 400, "parameter_invalid", "active")


@pytest.mark.parametrize("list_path", ["/v1/orders", "/v1/events", "/v1/request_logs"])
@pytest.mark.parametrize("value", ["0.5", "1767225600", "2026-12-31", "2026-12-31 23:59:59Z", "yesterday"])
def test_created_before_takes_only_rfc3339_date_times(frozen: World, list_path: str, value: str) -> None:
    # pydantic alone read `0.5` and `1767225600` as Unix times: /openapi.json declares `format: date-time`
    assert_error(frozen.api.get(list_path, params={"created_before": value}), 400, "parameter_invalid",
                 "created_before")


def test_a_number_is_not_a_timestamp_in_a_body_either(api: Api) -> None:
    assert_error(api.post("/v1/coupons", {"code": "UNIX", "percentage": "5", "expires_at": 4102444800}), 400,
                 "parameter_invalid", "expires_at")


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
def test_date_times_at_the_ends_of_the_calendar_are_not_500s(frozen: World, value: str) -> None:
    # valid RFC 3339, but out of datetime's range once converted to UTC
    response = frozen.api.get("/v1/orders", params={"created_before": value})
    assert response.status_code == 200, response.text


def test_list_choices_are_refused_by_name(frozen: World) -> None:
    assert_error(frozen.api.get("/v1/orders", params={"order_by": ""}), 400, "parameter_invalid", "order_by")
    assert_error(frozen.api.get("/v1/request_logs", params={"face": "fax"}), 400, "parameter_invalid", "face")
    assert frozen.api.ok("GET", "/v1/request_logs", params={"face": "tool_call", "order_by": "-created_at"})


def test_naive_created_after_is_not_a_500(frozen: World) -> None:
    response = frozen.api.get("/v1/orders", params={"created_after": "2000-01-01T00:00:00"})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert_error(response, 400, "parameter_invalid", "created_after")
    else:
        assert [o["order_id"] for o in response.json()["data"]] == [frozen.order["order_id"]]


# --- routes and methods -----------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [("GET", "/v1/nothing"), ("GET", "/v1/orders/ord_x/nothing"),
                                         ("POST", "/v2/orders"), ("GET", "/nothing"), ("DELETE", "/v1/unknown/thing")])
def test_unknown_routes_are_enveloped_404s(frozen: World, method: str, path: str) -> None:
    error = assert_error(frozen.api.request(method, path), 404, "route_not_found", None)
    assert method in error["message"] and path in error["message"]
    frozen.unchanged()


@pytest.mark.parametrize("method,path", [("PUT", "/v1/orders"), ("DELETE", "/v1/orders"),
                                         ("PATCH", "/v1/orders"), ("PUT", "/v1/orders/preview"),
                                         ("DELETE", "/v1/orders/{order_id}"), ("GET", "/v1/orders/{order_id}/cancel"),
                                         ("POST", "/v1/whoami"), ("POST", "/")])  # GET / is the landing page
def test_wrong_methods_are_enveloped_405s(frozen: World, method: str, path: str) -> None:
    path = path.format(order_id=frozen.order["order_id"])
    response = frozen.api.request(method, path)
    error = assert_error(response, 405, "method_not_allowed", None)
    assert method in error["message"] and path in error["message"]
    # RFC 9110: the methods the resource does take, as /openapi.json declares them
    assert response.headers["allow"] == {"/v1/orders": "POST, GET", "/v1/orders/preview": "POST",
                                         "/v1/whoami": "GET", "/": "GET"}.get(path, "GET, PATCH" if method == "DELETE"
                                                                              else "POST")
    frozen.unchanged()


def test_path_parameter_in_the_body_is_rejected(frozen: World) -> None:
    order_id = frozen.order["order_id"]
    response = frozen.api.patch(f"/v1/orders/{order_id}", {"order_id": "ord_other", "metadata": {"a": "b"}})
    assert_error(response, 400, "unknown_parameter", "order_id")
    frozen.unchanged()


# --- Idempotency-Key header -------------------------------------------------------------------------------

@pytest.mark.parametrize("key", [b"", b"k" * 256, "ключ".encode(), "caf\u00e9".encode("latin-1"), b"tab\there",
                                 b"\x7f"], ids=["empty", "256-chars", "cyrillic", "latin1", "tab", "del"])
@pytest.mark.parametrize("path", ["/v1/orders", "/v1/coupons"])
def test_invalid_idempotency_keys(client: TestClient, frozen: World, key: bytes, path: str) -> None:
    body = _order() if path == "/v1/orders" else {"code": "NEW", "percentage": "5"}
    response = client.post(path, json=body, headers={"Authorization": f"Bearer {frozen.api.key}",
                                                     "Idempotency-Key": key})  # type: ignore[dict-item]
    assert_error(response, 400, "invalid_idempotency_key", "idempotency_key")
    frozen.unchanged()


def test_invalid_idempotency_key_on_update(client: TestClient, frozen: World) -> None:
    response = client.patch(f"/v1/orders/{frozen.order['order_id']}", json={"metadata": {"a": "b"}},
                            headers={"Authorization": f"Bearer {frozen.api.key}", "Idempotency-Key": "x" * 300})
    assert_error(response, 400, "invalid_idempotency_key", "idempotency_key")
    frozen.unchanged()


@pytest.mark.parametrize("key", ["k" * 255, "a", "order-1 retry #2 ~!"])
def test_valid_idempotency_keys_at_the_limits(api: Api, key: str) -> None:
    first = api.post("/v1/orders", _order(), idempotency_key=key)
    assert first.status_code == 200, first.text
    again = api.post("/v1/orders", _order(), idempotency_key=key)
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["order_id"] == first.json()["order_id"]
    assert len(api.ok("GET", "/v1/orders")["data"]) == 1


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
        ({"add_line_items": [line("A", 1), _price(1, "EUR")]}, "currency_mismatch",
         "add_line_items.1.unit_price_money.currency"),
        ({"add_line_items": [_qty(1.5)]}, "parameter_invalid", "add_line_items.0.quantity"),
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


# --- control characters: one rule on every database (PostgreSQL cannot store NUL) ------------------------

@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85"], ids=["nul", "bell", "escape", "del", "c1"])
def test_control_characters_in_text_are_refused_naming_the_field(frozen: World, char: str) -> None:
    api = frozen.api
    cases = [
        (api.post("/v1/customers", {"name": f"x{char}y"}), "name"),
        (api.post("/v1/orders", _order(line(f"Mug{char}", 1000))), "line_items.0.name"),
        (api.post("/v1/orders", _order(metadata={f"k{char}": "v"})), f"metadata.k{char}"),
        (api.post("/v1/orders", _order(metadata={"k": f"v{char}"})), "metadata.k"),
        (api.get("/v1/customers/search", params={"name": f"Sa{char}"}), "name"),
        (api.get("/v1/coupons", params={"code": f"TEN{char}"}), "code"),
        (api.patch(f"/v1/orders/{frozen.order['order_id']}", {"metadata": {"note": char}}), "metadata.note"),
    ]
    for response, param in cases:
        error = assert_error(response, 400, "parameter_invalid", param)
        assert "control characters" in error["message"]
    frozen.unchanged()


@pytest.mark.parametrize("path", ["/v1/orders/ord_%00abc", "/v1/orders/ord_%00abc/activities",
                                  "/v1/customers/cus_%01x", "/v1/payment_intents/pi_%00", "/v1/refunds/re_%1b"])
def test_an_id_holding_a_control_character_names_nothing(frozen: World, path: str) -> None:
    error = assert_error(frozen.api.get(path), 404, "resource_missing")
    assert error["param"].endswith("_id")
    assert_error(frozen.api.get("/v1/orders", params={"customer_id": "cus_\x00"}), 404, "resource_missing",
                 "customer_id")
    frozen.unchanged()


def test_tab_and_newline_are_text(api: Api) -> None:
    customer = api.ok("POST", "/v1/customers", {"name": "Sarah\tChen", "phone": "line one\r\nline two"})
    assert customer["name"] == "Sarah\tChen"
    assert api.ok("GET", f"/v1/customers/{customer['customer_id']}")["phone"] == "line one\r\nline two"


def test_tool_calls_refuse_control_characters_alike(client: TestClient, frozen: World) -> None:
    def call(name: str, arguments: dict[str, Any]) -> Any:
        return client.post("/v1/tool_calls", json={"name": name, "arguments": arguments},
                           headers={"Authorization": f"Bearer {frozen.api.key}"})

    assert call("get_order", {"order_id": "ord_\x00abc"}).json()["error"]["code"] == "resource_missing"
    error = call("create_customer", {"name": "a\x00", "idempotency_key": "nul-1"}).json()["error"]
    assert (error["code"], error["param"]) == ("parameter_invalid", "name")
    frozen.unchanged()


def test_hosted_pages_treat_a_control_character_in_the_id_as_not_found(client: TestClient) -> None:
    assert client.get("/checkout/cs_%00abc").status_code == 404
    assert client.get("/checkout/cs_%00abc/return").status_code == 404
    assert client.post("/checkout/cs_%00abc", data={"card_number": "4242424242424242"}).status_code == 404
