"""Bad input to create_coupon (percentages, amounts, limits, expiry, duplicate codes), and coupons that cannot
apply to an order: expired, over their redemption limit, inactive, not stackable, applied twice, or in another
currency. Every case is a clear 4xx with the API.md section 2 envelope naming the right `param`, and nothing in
the database changes (no order, no coupon redemption, no activity)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.bad_input.helpers import World, assert_error, order_body, price_line
from tests.conftest import Api, usd

# --- percentages on create_coupon -------------------------------------------------------------------------

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


# --- coupons that cannot apply ----------------------------------------------------------------------------

def _redeemed(api: Api, coupon_id: str) -> int:
    return api.ok("GET", f"/v1/coupons/{coupon_id}")["times_redeemed"]


def test_expired_coupon(world: World) -> None:
    api = world.api
    expires = datetime.now(UTC) + timedelta(milliseconds=400)
    coupon = api.ok("POST", "/v1/coupons", {"code": "SOON", "percentage": "5", "expires_at": expires.isoformat()})
    assert coupon["valid"] is True
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.05)
    world.before = world.snapshot()
    error = assert_error(api.post("/v1/orders", order_body(coupon_codes=["soon"])), 400, "coupon_expired",
                         "coupon_codes.0")
    assert "SOON" in error["message"]
    error = assert_error(api.post(f"/v1/orders/{world.order['order_id']}/coupons", {"coupon_code": "SOON"}), 400,
                         "coupon_expired", "coupon_code")
    assert_error(api.post("/v1/orders/preview", order_body(coupon_codes=["SOON"])), 400, "coupon_expired",
                 "coupon_codes.0")
    assert api.ok("GET", f"/v1/coupons/{coupon['coupon_id']}")["valid"] is False
    assert _redeemed(api, coupon["coupon_id"]) == 0
    world.unchanged()


def test_coupon_over_its_redemption_limit(world: World) -> None:
    api = world.api
    coupon = api.ok("POST", "/v1/coupons", {"code": "ONCE", "amount_money": usd(100), "max_redemptions": 1,
                                            "stackable": True})
    api.ok("POST", "/v1/orders", order_body(coupon_codes=["ONCE"]))
    assert _redeemed(api, coupon["coupon_id"]) == 1
    world.before = world.snapshot()
    error = assert_error(api.post("/v1/orders", order_body(coupon_codes=["ONCE"])), 400,
                         "coupon_redemption_limit_reached", "coupon_codes.0")
    assert "ONCE" in error["message"] and "1" in error["message"]
    assert_error(api.post(f"/v1/orders/{world.order['order_id']}/coupons", {"coupon_code": "once"}), 400,
                 "coupon_redemption_limit_reached", "coupon_code")
    assert_error(api.post("/v1/orders/preview", order_body(coupon_codes=["ONCE"])), 400,
                 "coupon_redemption_limit_reached", "coupon_codes.0")
    assert _redeemed(api, coupon["coupon_id"]) == 1
    world.unchanged()


def test_inactive_coupon(world: World) -> None:
    api = world.api
    coupon = api.ok("POST", "/v1/coupons", {"code": "OFF", "percentage": "50", "active": False})
    assert coupon["valid"] is False
    world.before = world.snapshot()
    assert_error(api.post("/v1/orders", order_body(coupon_codes=["OFF"])), 400, "coupon_inactive", "coupon_codes.0")
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
    error = assert_error(api.post("/v1/orders", order_body(coupon_codes=["SOLO", "ALSO"])), 400, "coupon_not_stackable",
                         "coupon_codes.1")
    assert "SOLO" in error["message"]
    assert_error(api.post("/v1/orders", order_body(coupon_codes=["ALSO", "SOLO"])), 400, "coupon_not_stackable",
                 "coupon_codes.1")
    assert _redeemed(api, solo["coupon_id"]) == 0
    assert _redeemed(api, also["coupon_id"]) == 0
    world.unchanged()


def test_coupon_applied_twice(frozen: World) -> None:
    api = frozen.api
    assert_error(api.post(f"/v1/orders/{frozen.order['order_id']}/coupons", {"coupon_code": "ten"}), 400,
                 "coupon_already_applied", "coupon_code")
    assert_error(api.post("/v1/orders", order_body(coupon_codes=["TEN", "TEN"])), 400, "coupon_already_applied",
                 "coupon_codes.1")
    frozen.unchanged()


def test_fixed_coupon_in_another_currency(world: World) -> None:
    api = world.api
    coupon = api.ok("POST", "/v1/coupons", {"code": "EUR5", "amount_money": {"amount": 500, "currency": "eur"}})
    assert coupon["amount_money"] == {"amount": 500, "currency": "EUR"}
    world.before = world.snapshot()
    assert_error(api.post("/v1/orders", order_body(coupon_codes=["EUR5"])), 400, "currency_mismatch", "coupon_codes.0")
    assert_error(api.post(f"/v1/orders/{world.order['order_id']}/coupons", {"coupon_code": "EUR5"}), 400,
                 "currency_mismatch", "coupon_code")
    assert _redeemed(api, coupon["coupon_id"]) == 0
    world.unchanged()
    # and it does apply to a EUR order
    order = api.ok("POST", "/v1/orders", {"currency": "EUR", "line_items": [price_line(2000, "EUR")],
                                          "coupon_codes": ["eur5"]})
    assert order["pricing_amounts"]["discount_money"] == {"amount": 500, "currency": "EUR"}
