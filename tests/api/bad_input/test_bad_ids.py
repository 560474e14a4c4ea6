"""IDs that name nothing the key may see: an unknown order, or another merchant's or another sandbox's order or
coupon, is a 404 `resource_missing` naming the ID, never a 403, and nothing changes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.bad_input.helpers import World, assert_error, order_body
from tests.conftest import Api, line, signup

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
    assert_error(other.post("/v1/orders", order_body(coupon_codes=["TEN"])), 404, "resource_missing", "coupon_codes.0")
    assert other.ok("GET", "/v1/orders")["data"] == []
    world.unchanged()


# --- unknown IDs ------------------------------------------------------------------------------------------

def test_unknown_order_id(frozen: World) -> None:
    for response in (frozen.api.get("/v1/orders/ord_doesnotexist"),
                     frozen.api.patch("/v1/orders/ord_doesnotexist", {"metadata": {"a": "b"}}),
                     frozen.api.post("/v1/orders/ord_doesnotexist/cancel", {}),
                     frozen.api.get("/v1/orders/ord_doesnotexist/activities")):
        error = assert_error(response, 404, "resource_missing", "order_id")
        assert "ord_doesnotexist" in error["message"]
    frozen.unchanged()
