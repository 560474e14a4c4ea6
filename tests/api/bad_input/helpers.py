"""What every bad-input test checks, and the state it checks against: the full error envelope with its headers, a
World (a merchant with one order and a limited coupon) that must not change, and order bodies with one field set
to the value under test."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import BASE_URL, Api, line, usd

ENVELOPE_FIELDS = {"type", "code", "message", "param", "retryable", "effect", "retry_after_seconds",
                   "request_id", "doc_url", "suggested_actions"}
TYPE_OF_STATUS = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                  404: "not_found_error", 405: "invalid_request_error", 409: "state_conflict_error",
                  413: "invalid_request_error"}


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


def raw_post(client: TestClient, key: str, path: str, content: bytes, **headers: str) -> Any:
    return client.post(path, content=content, headers={"Authorization": f"Bearer {key}",
                                                       "Content-Type": "application/json", **headers})


def order_body(*lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"currency": "USD", "line_items": list(lines) or [line("Mug", 1000)], **extra}


def price_line(amount: Any, currency: str = "USD") -> dict[str, Any]:
    return {"name": "Mug", "quantity": 1, "unit_price_money": {"amount": amount, "currency": currency}}


def quantity_line(quantity: Any) -> dict[str, Any]:
    return {"name": "Mug", "quantity": quantity, "unit_price_money": usd(1000)}
