"""Bad requests whatever the operation: bodies that are not a JSON object, bodies over the size limit, unknown
routes and wrong methods, path parameters repeated in the body, and invalid Idempotency-Key headers. Every case is
a clear 4xx with the API.md section 2 envelope naming the right `param`, and nothing in the database changes (no
order, no coupon redemption, no activity)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.bad_input.helpers import World, assert_error, order_body, raw_post
from tests.conftest import Api

# --- bodies that are not a JSON object --------------------------------------------------------------------

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


# --- size limits ------------------------------------------------------------------------------------------

def test_one_megabyte_body_is_request_too_large(client: TestClient, frozen: World) -> None:
    body = order_body(metadata={"note": "x" * 400})
    response = frozen.api.post("/v1/orders", body | {"padding": "x" * 1_000_000})
    assert_error(response, 413, "request_too_large", None)
    response = raw_post(client, frozen.api.key, "/v1/orders", b" " * 1_048_576)
    assert_error(response, 413, "request_too_large", None)
    frozen.unchanged()


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
    body = order_body() if path == "/v1/orders" else {"code": "NEW", "percentage": "5"}
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
    first = api.post("/v1/orders", order_body(), idempotency_key=key)
    assert first.status_code == 200, first.text
    again = api.post("/v1/orders", order_body(), idempotency_key=key)
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["order_id"] == first.json()["order_id"]
    assert len(api.ok("GET", "/v1/orders")["data"]) == 1
