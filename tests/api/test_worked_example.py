"""API.md section 6 worked example, through the real ASGI app."""

from tests.conftest import WORKED_EXAMPLE, Api


def amounts(order: dict) -> dict[str, int]:
    return {k.removesuffix("_money"): v["amount"] for k, v in order["pricing_amounts"].items()}


def test_worked_example_create_and_coupon(api: Api) -> None:
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    assert order["status"] == "OPEN"
    assert amounts(order) | {} == {"subtotal": 12800, "discount": 0, "service_charge": 0, "tax": 1024,
                                   "inclusive_tax": 0, "tip": 0, "total": 13824}
    api.ok("POST", "/v1/coupons", {"code": "SAVE20", "percentage": "20"})
    order = api.ok("POST", f"/v1/orders/{order['order_id']}/coupons", {"coupon_code": "save20"})
    assert amounts(order)["discount"] == 2560
    assert amounts(order)["tax"] == 819
    assert amounts(order)["total"] == 11059
    assert order["version"] == 2
    assert order["coupons"][0]["discount_money"] == {"amount": 2560, "currency": "USD"}
    assert "update_order" in order["available_actions"]
