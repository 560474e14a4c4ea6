"""GET /v1/tools and POST /v1/tool_calls: the same operations, schemas and errors as the other faces."""

from __future__ import annotations

from typing import Any

from tests.conftest import WORKED_EXAMPLE, Api


def test_catalog_lists_what_the_key_may_use(api: Api, client: Any) -> None:
    full = api.ok("GET", "/v1/tools")
    names = {t["name"] for t in full["data"]}
    assert {"create_order", "pay_order", "create_refund", "whoami"} <= names
    reader = Api(client, api.ok("POST", "/v1/api_keys", {"scopes": ["orders:read"]})["secret"])
    read_only = {t["name"]: t for t in reader.ok("GET", "/v1/tools")["data"]}
    assert "create_order" not in read_only and "get_order" in read_only
    assert all(t["annotations"]["readOnlyHint"] for t in read_only.values())  # not even create_merchant
    for fmt, key in (("openai", "function"), ("anthropic", "input_schema"), ("gemini", "parameters")):
        data = api.ok("GET", "/v1/tools", params={"format": fmt})["data"]
        assert len(data) == len(full["data"]) and all(key in t for t in data)
    bad = api.get("/v1/tools", params={"format": "xml"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "format"
    assert client.get("/v1/tools").status_code == 401


def test_tool_call_runs_the_operation(api: Api) -> None:
    created = api.ok("POST", "/v1/tool_calls", {"name": "create_order", "arguments": dict(
        WORKED_EXAMPLE, idempotency_key="tc-1", customer_id=None)})
    order = created["result"]
    assert order["pricing_amounts"]["total_money"]["amount"] == 13824
    replay = api.post("/v1/tool_calls", {"name": "create_order", "arguments": dict(WORKED_EXAMPLE,
                                                                                   idempotency_key="tc-1")})
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == created
    # the same idempotency key over HTTP is the same request
    http = api.post("/v1/orders", WORKED_EXAMPLE, idempotency_key="tc-1")
    assert http.json() == order and http.headers["Idempotent-Replayed"] == "true"
    activity = api.ok("GET", f"/v1/orders/{order['order_id']}/activities")["data"][0]
    assert activity["face"] == "tool_call"
    got = api.ok("POST", "/v1/tool_calls", {"name": "get_order", "arguments": {"order_id": order["order_id"]}})
    assert got["result"]["order_id"] == order["order_id"]


def test_tool_call_errors_are_envelopes(api: Api) -> None:
    def error(body: dict[str, Any], status: int) -> dict[str, Any]:
        response = api.post("/v1/tool_calls", body)
        assert response.status_code == status, response.text
        return response.json()["error"]

    assert error({"name": "create_order", "arguments": WORKED_EXAMPLE}, 400)["param"] == "idempotency_key"
    bad_type = error({"name": "create_order", "arguments": dict(WORKED_EXAMPLE, idempotency_key="x",
                                                                 currency=5)}, 400)
    assert (bad_type["code"], bad_type["param"]) == ("parameter_invalid", "currency")
    nested = error({"name": "create_order", "arguments": {"currency": "USD", "idempotency_key": "y", "line_items": [
        {"name": "x", "quantity": "2", "unit_price_money": {"amount": 1, "currency": "USD"}}]}}, 400)
    assert nested["param"] == "line_items.0.quantity"
    assert error({"name": "create_order", "arguments": {"idempotency_key": "z", "currency": "USD", "line_items": [],
                                                         "colour": "red"}}, 400)["code"] == "unknown_parameter"
    assert error({"name": "no_such_tool", "arguments": {}}, 404)["param"] == "name"
    conflict = error({"name": "create_refund", "arguments": {"order_id": api.ok(
        "POST", "/v1/orders", WORKED_EXAMPLE)["order_id"], "idempotency_key": "r"}}, 409)
    assert conflict["code"] == "order_not_refundable"
    # lenient enum spellings pass schema validation and are normalized by the operation
    lenient = api.ok("POST", "/v1/tool_calls", {"name": "list_orders", "arguments": {"status": "open"}})
    assert lenient["result"]["object"] == "list"


def test_unknown_parameters_are_refused(api: Api) -> None:
    # the catalog has no `toolset` or `names` filter: answering with every tool would look like one
    for params in ({"toolset": "orders"}, {"names": "get_order"}):
        response = api.get("/v1/tools", params=params)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "unknown_parameter"
        assert response.json()["error"]["param"] == next(iter(params))
    call = api.request("POST", "/v1/tool_calls", {"name": "whoami", "arguments": {}}, params={"dry_run": "1"})
    assert call.status_code == 400 and call.json()["error"]["param"] == "dry_run", call.text


def test_list_choices_are_enums_in_the_tool_schemas(api: Api) -> None:
    tools = {tool["name"]: tool["inputSchema"] for tool in api.ok("GET", "/v1/tools")["data"]}
    assert tools["list_orders"]["properties"]["order_by"]["enum"] == ["created_at", "-created_at"]
    assert tools["list_request_logs"]["properties"]["face"]["enum"] == ["http", "mcp", "tool_call", "hosted"]
