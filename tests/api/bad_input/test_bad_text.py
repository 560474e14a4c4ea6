"""Control characters in text: one rule on every database (PostgreSQL cannot store NUL). Text holding one is
refused naming the field, on HTTP and on tool calls alike; an ID holding one names nothing; tab and newline are
text."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.bad_input.helpers import World, assert_error, order_body
from tests.conftest import Api, line


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85"], ids=["nul", "bell", "escape", "del", "c1"])
def test_control_characters_in_text_are_refused_naming_the_field(frozen: World, char: str) -> None:
    api = frozen.api
    cases = [
        (api.post("/v1/customers", {"name": f"x{char}y"}), "name"),
        (api.post("/v1/orders", order_body(line(f"Mug{char}", 1000))), "line_items.0.name"),
        (api.post("/v1/orders", order_body(metadata={f"k{char}": "v"})), f"metadata.k{char}"),
        (api.post("/v1/orders", order_body(metadata={"k": f"v{char}"})), "metadata.k"),
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
