"""MCP annotations follow one written rule per hint (flint_core/platform/hints.py, docs/mcp.md#annotations).
Each hint is checked against a statement of the MCP definition made here from the operations' names and
schemas, independently of the Safety presets the rule reads."""

from __future__ import annotations

from flint_core import registry, tool_schemas
from flint_core.platform import hints

# Writes that only add new objects (MCP: destructiveHint false means "only additive updates").
ADDITIVE = {"create_item", "create_order", "create_checkout_session", "create_customer", "create_coupon", "create_tax_rate",
            "create_webhook_endpoint", "redeliver_event", "create_merchant", "create_api_key", "create_sandbox",
            "create_setup_intent"}
# Operations that reach outside Flint: the card processor, or a merchant's webhook URL.
OPEN_WORLD = {"cancel_order", "pay_order", "retry_payment", "confirm_payment", "capture_payment", "void_payment",
              "create_refund", "redeliver_event", "create_setup_intent", "confirm_setup_intent", "cancel_setup_intent",
              "detach_payment_method"}
READ_PREFIXES = ("get_", "list_", "search_", "preview_", "explain_")


def test_every_operation_follows_the_rule() -> None:
    for op in registry.operations():
        got = hints.annotations(op)
        reads = op.name.startswith(READ_PREFIXES) or op.name == "whoami"
        assert got["readOnlyHint"] is reads, op.name
        assert got["readOnlyHint"] is (op.method == "GET" or op.name.startswith("preview_")), op.name
        # every write changes or removes existing data unless it only adds new objects
        assert got["destructiveHint"] is (not reads and op.name not in ADDITIVE), op.name
        # same arguments (the required idempotency key among them) -> no additional effect
        required = tool_schemas.input_schema(op)["required"]
        assert got["idempotentHint"] is True and (("idempotency_key" in required) is not reads), op.name
        assert got["openWorldHint"] is (op.name in OPEN_WORLD), op.name


def test_the_cases_the_old_annotations_got_wrong() -> None:
    def hint(name: str, which: str) -> bool:
        op = registry.get(name)
        assert op is not None
        return hints.annotations(op)[which]

    for name in ("update_order", "remove_coupon", "update_tax_rate", "update_webhook_endpoint",
                 "roll_webhook_endpoint_secret", "roll_api_key"):
        assert hint(name, "destructiveHint") is True, name
    assert hint("create_order", "idempotentHint") is True  # the idempotency key is required
    assert hint("redeliver_event", "openWorldHint") is True  # it posts to the endpoint's URL


def test_served_annotations_are_the_rule() -> None:
    for op in registry.operations():
        assert tool_schemas.tool(op, "mcp")["annotations"] == hints.annotations(op), op.name
