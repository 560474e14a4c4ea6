"""Request logs: every request on every face is logged (redacted), filterable, and an error's request_id
leads straight to its entry."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from flint_core.platform import registry, request_logs
from flint_core.platform.request_logs import REDACTED, redact
from tests.conftest import BASE_URL, WORKED_EXAMPLE, Api, signup, usd


def log_of(api: Api, request_id: str) -> dict[str, Any]:
    return api.ok("GET", f"/v1/request_logs/{request_id}")


def logs(api: Api, **params: Any) -> list[dict[str, Any]]:
    return api.ok("GET", "/v1/request_logs", params=params | {"page_size": 200})["data"]


def test_a_write_is_logged_with_its_key_idempotency_key_and_the_object_it_made(api: Api, merchant: dict) -> None:
    response = api.post("/v1/orders", WORKED_EXAMPLE | {"metadata": {"note": "gift"}}, idempotency_key="k-1")
    assert response.status_code == 200
    order_id, request_id = response.json()["order_id"], response.headers["request-id"]
    entry = log_of(api, request_id)
    assert entry["object"] == "request_log" and entry["request_id"] == request_id
    assert (entry["face"], entry["operation"], entry["method"], entry["path"]) == (
        "http", "create_order", "POST", "/v1/orders")
    assert entry["api_key_id"] == merchant["api_key"]["api_key_id"]
    assert (entry["idempotency_key"], entry["replayed"], entry["status"]) == ("k-1", False, 200)
    assert entry["error_type"] is None and entry["error_code"] is None and entry["duration_ms"] >= 0
    assert order_id in entry["object_ids"]
    assert entry["params"]["metadata"] == {"note": "gift"} and len(entry["params"]["line_items"]) == 2
    # the replay is a request of its own, marked replayed
    again = api.post("/v1/orders", WORKED_EXAMPLE | {"metadata": {"note": "gift"}}, idempotency_key="k-1")
    assert again.headers["idempotent-replayed"] == "true"
    replay = log_of(api, again.headers["request-id"])
    assert (replay["replayed"], replay["status"], replay["idempotency_key"]) == (True, 200, "k-1")
    assert order_id in replay["object_ids"]
    attempts = logs(api, idempotency_key="k-1")
    assert [a["request_id"] for a in attempts] == [again.headers["request-id"], request_id]  # newest first


@pytest.mark.parametrize("kind", ["409", "400", "422", "bad_json", "404_route"])
def test_an_error_request_id_leads_to_its_log(api: Api, kind: str) -> None:
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    if kind == "409":  # refund an unpaid order
        response = api.post("/v1/refunds", {"order_id": order["order_id"]}, idempotency_key="r-1")
        want = (409, "state_conflict_error", "order_not_refundable", "create_refund")
    elif kind == "400":
        response = api.post("/v1/orders", {"currency": "USD", "line_items": [{"name": "x", "quantity": 0,
                                                                            "unit_price_money": usd(1)}]})
        want = (400, "invalid_request_error", response.json()["error"]["code"], "create_order")
    elif kind == "422":  # same idempotency key, other parameters
        api.ok("POST", "/v1/orders", WORKED_EXAMPLE, idempotency_key="i-1")
        response = api.post("/v1/orders", {"currency": "EUR", "line_items": WORKED_EXAMPLE["line_items"]},
                            idempotency_key="i-1")
        want = (422, "idempotency_error", "idempotency_key_reused", "create_order")
    elif kind == "bad_json":
        response = api.client.post("/v1/orders", content=b"{not json", headers={
            "Authorization": f"Bearer {api.key}", "Content-Type": "application/json"})
        want = (400, "invalid_request_error", response.json()["error"]["code"], "create_order")
    else:
        response = api.get(f"/v1/orders/{order['order_id']}/nope")
        want = (404, "not_found_error", "route_not_found", None)
    error = response.json()["error"]
    assert response.status_code == want[0] and error["request_id"] == response.headers["request-id"]
    entry = log_of(api, error["request_id"])
    assert (entry["status"], entry["error_type"], entry["error_code"], entry["operation"]) == want
    if kind == "409":
        assert order["order_id"] in entry["object_ids"] and entry["idempotency_key"] == "r-1"


def test_card_numbers_cvc_and_secrets_are_redacted(api: Api, client: Any) -> None:
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE | {"metadata": {
        "password": "hunter2", "note": "key sk_test_abcdefghijklmnop and whsec_abcdefghijkl", "ref": "A-1"}})
    paid = api.post(f"/v1/orders/{order['order_id']}/pay", {"payment_source": "4242 4242 4242 4242"})
    assert paid.status_code == 200
    params = log_of(api, paid.headers["request-id"])["params"]
    assert params["payment_source"] == "[REDACTED card ending 4242]"
    created = logs(api, operation="create_order", object_id=order["order_id"])[0]["params"]["metadata"]
    assert created["password"] == REDACTED and created["ref"] == "A-1"
    assert "abcdefghijklmnop" not in created["note"] and "abcdefghijkl" not in created["note"]
    assert created["note"] == f"key sk_test_{REDACTED} and whsec_{REDACTED}"
    # nothing anywhere in the stored logs holds the card number
    assert "4242424242424242" not in str(logs(api)).replace(" ", "")


def test_redact_rules() -> None:
    assert redact({"cvc": "123", "card_number": "4000 0000 0000 0002", "expiry": "12/34", "client_secret": "x",
                   "api_key_id": "key_1", "page_token": "abc", "secret": None}) == {
        "cvc": REDACTED, "card_number": REDACTED, "expiry": REDACTED, "client_secret": REDACTED,
        "api_key_id": "key_1", "page_token": "abc", "secret": None}
    assert redact({"payment_source": "4000-0025-0000-3155"}) == {"payment_source": "[REDACTED card ending 3155]"}
    assert redact(["paid with 4242424242424242 today"]) == [f"paid with {REDACTED} today"]
    assert redact("order 1234567890123") == "order 1234567890123"  # not Luhn-valid: not a card
    assert redact({"nested": [{"Password": "p"}], "bad\x00key": "a\x00b\ud800"}) == {
        "nested": [{"Password": REDACTED}], "badkey": "ab?"}
    assert redact(float("nan")) == "nan"


def test_filters(api: Api, merchant: dict[str, Any]) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    reader = api.ok("POST", "/v1/api_keys", {"scopes": ["orders:read", "logs:read"]})
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    api.ok("GET", f"/v1/orders/{order['order_id']}", key=reader["secret"])
    api.post(f"/v1/orders/{order['order_id']}/close", {})  # 409: not paid
    api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    by_reader = logs(api, api_key_id=reader["api_key_id"])
    assert [e["operation"] for e in by_reader] == ["get_order"]
    touched = logs(api, object_id=order["order_id"])
    assert [e["operation"] for e in touched] == ["close_order", "get_order", "create_order"]
    assert {e["operation"] for e in logs(api, operation="create_order")} == {"create_order"}
    assert len(logs(api, operation="create_order")) == 2
    failed = logs(api, status="4xx")
    assert [e["status"] for e in failed] == [409] and logs(api, status="409") == failed
    assert all(e["status"] == 200 for e in logs(api, status="2xx"))
    assert logs(api, face="mcp") == [] and len(logs(api, face="http")) >= 5
    later = datetime.now(UTC) + timedelta(seconds=5)
    assert logs(api, created_after=later.isoformat()) == []
    assert len(logs(api, created_after=start.isoformat(), created_before=later.isoformat())) >= 5
    # oldest first, one per page, tokens bound to the filters
    first = api.ok("GET", "/v1/request_logs", params={"object_id": order["order_id"], "page_size": 1,
                                                      "order_by": "created_at"})
    assert first["data"][0]["operation"] == "create_order" and first["next_page_token"]
    second = api.ok("GET", "/v1/request_logs", params={"object_id": order["order_id"], "page_size": 1,
                                                       "order_by": "created_at",
                                                       "page_token": first["next_page_token"]})
    assert second["data"][0]["operation"] == "get_order"
    wrong = api.get("/v1/request_logs", params={"page_token": first["next_page_token"]})
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "page_token"
    for bad in ("4x", "600", "abc"):
        response = api.get("/v1/request_logs", params={"status": bad})
        assert response.status_code == 400 and response.json()["error"]["param"] == "status"
    assert api.get("/v1/request_logs", params={"face": "fax"}).json()["error"]["param"] == "face"


def test_reading_logs_is_logged_and_needs_logs_read(api: Api) -> None:
    listed = api.get("/v1/request_logs")
    assert log_of(api, listed.headers["request-id"])["operation"] == "list_request_logs"
    reader = api.ok("POST", "/v1/api_keys", {"scopes": ["orders:read"]})["secret"]
    denied = api.get("/v1/request_logs", key=reader)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "missing_scope"
    assert log_of(api, denied.headers["request-id"])["status"] == 403  # the refusal is logged too


def test_logs_are_scoped_to_merchant_and_sandbox(api: Api, client: Any) -> None:
    order = api.post("/v1/orders", WORKED_EXAMPLE)
    other = Api(client, signup(client, "Other shop")["api_key"]["secret"])
    missing = other.get(f"/v1/request_logs/{order.headers['request-id']}")
    assert missing.status_code == 404 and missing.json()["error"]["param"] == "request_id"
    assert all(e["operation"] != "create_order" for e in logs(other))
    sandbox = api.ok("POST", "/v1/sandboxes", {"name": "second"})
    in_second = Api(client, sandbox["api_key"]["secret"])
    assert in_second.get(f"/v1/request_logs/{order.headers['request-id']}").status_code == 404


def test_requests_without_a_valid_key_are_not_stored(api: Api, client: Any, db: Any) -> None:
    bad = client.get("/v1/whoami", headers={"Authorization": "Bearer sk_test_nope"})
    assert bad.status_code == 401
    assert api.get(f"/v1/request_logs/{bad.headers['request-id']}").status_code == 404
    public = client.get("/v1/errors/order_not_refundable")
    assert public.status_code == 200
    assert api.get(f"/v1/request_logs/{public.headers['request-id']}").status_code == 404


def test_signup_is_logged_in_the_new_sandbox(client: Any) -> None:
    response = client.post("/v1/merchants", json={"name": "New shop", "email": "o@example.com"})
    signed = response.json()
    api = Api(client, signed["api_key"]["secret"])
    entry = log_of(api, response.headers["request-id"])
    assert (entry["operation"], entry["api_key_id"], entry["status"]) == ("create_merchant", None, 200)
    assert signed["merchant"]["merchant_id"] in entry["object_ids"]
    assert entry["params"] == {"name": "New shop", "email": "o@example.com"}


def test_tool_calls_are_logged_with_their_face(api: Api) -> None:
    done = api.post("/v1/tool_calls", {"name": "create_order",
                                       "arguments": WORKED_EXAMPLE | {"idempotency_key": "t-1"}})
    assert done.status_code == 200
    entry = log_of(api, done.headers["request-id"])
    assert (entry["face"], entry["method"], entry["path"], entry["operation"]) == (
        "tool_call", "POST", "/v1/tool_calls", "create_order")
    assert entry["idempotency_key"] == "t-1" and done.json()["result"]["order_id"] in entry["object_ids"]
    assert "idempotency_key" not in entry["params"]
    wrong = api.post("/v1/tool_calls", {"name": "create_order", "arguments": {"currency": "USD"}})
    assert wrong.status_code == 400
    failed = log_of(api, wrong.json()["error"]["request_id"])
    assert (failed["status"], failed["error_code"], failed["face"]) == (400, wrong.json()["error"]["code"],
                                                                       "tool_call")
    unknown = api.post("/v1/tool_calls", {"name": "make_coffee", "arguments": {}})
    assert log_of(api, unknown.headers["request-id"])["operation"] == "make_coffee"


def test_hosted_pages_are_logged_for_the_sessions_merchant(api: Api, client: Any) -> None:
    cs = api.ok("POST", "/v1/checkout_sessions", {"currency": "USD", "line_items": WORKED_EXAMPLE["line_items"],
                                                  "success_url": "https://shop.example/ok"})
    page = client.get(cs["checkout_session_url"])
    assert page.status_code == 200
    viewed = log_of(api, page.headers["request-id"])
    assert (viewed["face"], viewed["method"], viewed["path"], viewed["operation"]) == (
        "hosted", "GET", cs["checkout_session_url"].removeprefix(BASE_URL), None)
    assert viewed["api_key_id"] is None and cs["checkout_session_id"] in viewed["object_ids"]
    paid = client.post(cs["checkout_session_url"], data={"email": "b@example.com", "card_number": "4242424242424242",
                                                         "expiry": "12 / 34", "cvc": "123"},
                       follow_redirects=False)
    assert paid.status_code == 303
    entry = log_of(api, paid.headers["request-id"])
    assert (entry["face"], entry["operation"], entry["status"]) == ("hosted", "pay_order", 303)
    assert entry["params"] == {"email": "b@example.com", "card_number": REDACTED, "expiry": REDACTED,
                               "cvc": REDACTED}
    order_logs = logs(api, object_id=cs["order_id"], face="hosted")
    assert [e["request_id"] for e in order_logs] == [paid.headers["request-id"], page.headers["request-id"]]
    assert client.get("/checkout/cs_unknown").status_code == 404  # no merchant: not logged, no failure


def test_3d_secure_page_is_logged_for_the_payments_merchant(api: Api, client: Any) -> None:
    order = api.ok("POST", "/v1/orders", WORKED_EXAMPLE)
    pi = api.ok("POST", f"/v1/orders/{order['order_id']}/pay", {"payment_source": "4000002500003155"})
    url = pi["next_action"]["url"]
    page = client.get(url)
    answer = client.post(url, data={"outcome": "pass"}, follow_redirects=False)
    for response, method in ((page, "GET"), (answer, "POST")):
        entry = log_of(api, response.headers["request-id"])
        assert (entry["face"], entry["method"]) == ("hosted", method)
        assert pi["payment_intent_id"] in entry["object_ids"] and order["order_id"] in entry["object_ids"]


def test_a_failing_log_write_never_fails_the_request(api: Api, monkeypatch: Any, caplog: Any) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(request_logs.Entry, "rows", broken)
    response = api.post("/v1/orders", WORKED_EXAMPLE)
    read = api.get(f"/v1/orders/{response.json()['order_id']}")
    monkeypatch.undo()
    assert response.status_code == 200 and read.status_code == 200
    assert "could not be built" in caplog.text
    assert api.get(f"/v1/request_logs/{response.headers['request-id']}").status_code == 404


def test_duration_is_measured(api: Api) -> None:
    op = registry.get("whoami")
    assert op is not None
    original = op.handler

    def slow(ctx: Any, params: Any) -> Any:
        time.sleep(0.05)
        return original(ctx, params)

    object.__setattr__(op, "handler", slow)  # Operation is frozen
    try:
        response = api.get("/v1/whoami")
    finally:
        object.__setattr__(op, "handler", original)
    assert log_of(api, response.headers["request-id"])["duration_ms"] >= 50
