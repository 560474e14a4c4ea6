"""GET /v1/tools and POST /v1/tool_calls: the same operations, schemas and errors as the other faces."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from flint_core.platform import registry, tool_schemas, toolsets
from tests.conftest import WORKED_EXAMPLE, Api, line, usd


def test_catalog_lists_what_the_key_may_use(api: Api, client: Any) -> None:
    full = api.ok("GET", "/v1/tools")
    names = {t["name"] for t in full["data"]}
    assert {"create_order", "pay_order", "create_refund", "whoami"} <= names
    reader = Api(client, api.ok("POST", "/v1/api_keys", {"scopes": ["orders:read"]})["secret"])
    read_only = {t["name"]: t for t in reader.ok("GET", "/v1/tools")["data"]}
    assert "create_order" not in read_only and "get_order" in read_only
    assert all(t["annotations"]["readOnlyHint"] for t in read_only.values())  # not even create_merchant
    for fmt, key in (("openai", "function"), ("openai_responses", "parameters"), ("anthropic", "input_schema"),
                     ("gemini", "parameters"), ("flint", "output_schema")):
        data = api.ok("GET", "/v1/tools", params={"format": fmt})["data"]
        assert len(data) == len(full["data"]) and all(key in t for t in data)
        # exactly the provider's tool objects: `data` goes to the SDK as it is
        assert data == [tool_schemas.tool(registry.get(t["name"] if "name" in t else t["function"]["name"]), fmt)
                        for t in data]
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


def test_catalog_takes_the_toolset_selection(api: Api, client: Any) -> None:
    def names(**params: str) -> list[str]:
        return [t["name"] for t in api.ok("GET", "/v1/tools", params=params)["data"]]

    everything = names()
    assert everything == names(toolsets="all") == [op.name for op in registry.operations()]  # a secret key
    picked = names(toolsets="orders,refunds", format="openai_responses")
    assert picked == [op.name for op in registry.operations() if op.group in ("orders", "refunds")]
    default = names(toolsets="default")
    assert default == [op.name for op in registry.operations() if toolsets.Selection().shows(op)]
    assert "whoami" in default and "create_webhook_endpoint" not in default
    assert names(toolsets="default,webhooks") == [op.name for op in registry.operations() if op.name in default
                                                  or op.group == "webhooks"]
    reads = names(toolsets="orders", read_only="true")
    assert reads and all(registry.get(name).safety.read_only for name in reads)  # type: ignore[union-attr]
    assert set(reads) < set(names(toolsets="orders", read_only="false"))
    # a restricted key still sees only what it may use, whatever it selects
    reader = Api(client, api.ok("POST", "/v1/api_keys", {"scopes": ["orders:read"]})["secret"])
    assert "create_refund" not in [t["name"] for t in reader.ok("GET", "/v1/tools", params={"toolsets": "all"})["data"]]
    for params, param in (({"toolsets": "orders,nope"}, "toolsets"), ({"toolsets": "orderz"}, "toolsets"),
                          ({"read_only": "maybe"}, "read_only")):
        bad = api.get("/v1/tools", params=params)
        assert bad.status_code == 400, bad.text
        assert (bad.json()["error"]["code"], bad.json()["error"]["param"]) == ("parameter_invalid", param)
    assert "default" in api.get("/v1/tools", params={"toolsets": "nope"}).json()["error"]["message"]


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


def _scenario(api: Api) -> list[tuple[str, dict[str, Any]]]:
    """Real calls whose results cover the richer outputs: an order with every part, payments, refunds by
    line, previews, lists, customers, docs and the account."""
    customer = api.ok("POST", "/v1/customers", {"name": "Sarah Chen", "email": "sarah@example.com"})
    api.ok("POST", "/v1/coupons", {"code": "TENOFF", "percentage": "10"}, idempotency_key="cpn-tenoff")
    order = dict(WORKED_EXAMPLE, customer_id=customer["customer_id"], coupon_codes=["TENOFF"],
                 line_items=[line("Jacket", 9900, metadata={"colour": "red"}), line("T-shirt", 2900, 2)],
                 service_charges=[{"name": "Delivery", "amount_money": usd(500), "taxable": True}],
                 tip={"percentage": "10"}, tax_address={"country": "US", "region": "CA", "postal_code": "94103"},
                 metadata={"ref": "scenario"})
    calls: list[tuple[str, dict[str, Any]]] = [("create_order", dict(order, idempotency_key="sc-order")),
                                               ("preview_order", order)]
    created = api.ok("POST", "/v1/tool_calls", {"name": "create_order", "arguments": calls[0][1]})["result"]
    order_id = created["order_id"]
    paid = api.ok("POST", "/v1/tool_calls", {"name": "pay_order", "arguments": {
        "order_id": order_id, "payment_source": "tok_visa", "idempotency_key": "sc-pay"}})["result"]
    line_id = created["line_items"][1]["line_item_id"]
    calls += [
        ("pay_order", {"order_id": order_id, "payment_source": "tok_visa", "idempotency_key": "sc-pay"}),
        ("get_payment_intent", {"payment_intent_id": paid["payment_intent_id"]}),
        ("list_payment_intents", {"order_id": order_id}),
        ("preview_refund", {"order_id": order_id, "line_items": [{"line_item_id": line_id, "quantity": 1}]}),
        ("create_refund", {"order_id": order_id, "line_items": [{"line_item_id": line_id, "quantity": 1}],
                           "idempotency_key": "sc-refund"}),
        ("list_refunds", {"order_id": order_id}),
        ("get_order", {"order_id": order_id}),
        ("list_orders", {}),
        ("preview_cancel_order", {"order_id": api.ok("POST", "/v1/orders", WORKED_EXAMPLE)["order_id"]}),
        ("get_customer", {"customer_id": customer["customer_id"]}),
        ("search_customers", {"email": "sarah@example.com"}),
        ("list_coupons", {}),
        ("list_order_activities", {"order_id": order_id}),
        ("get_order_timeline", {"order_id": order_id}),
        ("list_events", {"order_id": order_id}),
        ("list_request_logs", {}),
        ("whoami", {}),
        ("list_api_keys", {}),
        ("explain_error", {"code": "order_not_refundable"}),
        ("search_docs", {"q": "refund one line item"}),
        ("get_doc", {"slug": "refunds"}),
        ("list_toolsets", {}),
    ]
    return calls


def test_real_outputs_match_the_output_schemas(api: Api) -> None:
    """What each operation returns validates against the MCP outputSchema and the `flint` format's full
    output schema (clients such as the MCP Inspector check structuredContent against outputSchema)."""
    checked = set()
    for name, arguments in _scenario(api):
        result = api.ok("POST", "/v1/tool_calls", {"name": name, "arguments": arguments})["result"]
        op = registry.get(name)
        assert op is not None
        for schema in (tool_schemas.output_schema(op), tool_schemas.full_output_schema(op)):
            errors = list(Draft202012Validator(schema).iter_errors(result))
            assert not errors, (name, errors[0].message, list(errors[0].absolute_path))
        checked.add(op.output_model.__name__)
    assert {"OrderOut", "Page[OrderOut]", "PaymentIntentOut", "RefundOut", "RefundPreview"} <= checked


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_every_depth_of_the_order_schema_validates_a_full_order(api: Api, depth: int) -> None:
    order = dict(WORKED_EXAMPLE, line_items=[line("Jacket", 9900, metadata={"k": "v"})],
                 service_charges=[{"name": "Delivery", "percentage": "5"}], tip={"amount_money": usd(100)},
                 tax_address={"country": "US"}, idempotency_key="depth")
    result = api.ok("POST", "/v1/tool_calls", {"name": "create_order", "arguments": order})["result"]
    op = registry.get("create_order")
    assert op is not None
    schema = tool_schemas.compact_output(op.output_model.model_json_schema(mode="serialization"), depth)
    assert not list(Draft202012Validator(schema).iter_errors(result))
