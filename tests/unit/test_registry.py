"""The registry is the single source of every surface: each operation is registered, fully described and
classified for safety, and every action a lifecycle offers names a registered operation. That each operation
is routed over HTTP is checked with the app, in tests/api/test_faces_agree.py."""

from __future__ import annotations

from typing import Any

import pytest

from flint_core.platform import registry
from flint_core.platform.registry import SCOPES, Safety

OPERATIONS = registry.operations()


def test_contract_operations_are_registered() -> None:
    names = {op.name for op in OPERATIONS}
    for name in ("create_merchant", "create_api_key", "list_api_keys", "roll_api_key", "revoke_api_key",
                 "create_sandbox", "list_sandboxes", "reset_sandbox", "create_order", "preview_order", "get_order",
                 "list_orders", "update_order", "apply_coupon", "remove_coupon", "cancel_order", "close_order",
                 "list_order_activities", "create_customer", "get_customer", "list_customers", "search_customers",
                 "create_coupon", "get_coupon", "list_coupons", "create_tax_rate", "list_tax_rates",
                 "explain_error", "whoami"):
        assert name in names


def _properties_without_description(schema: dict[str, Any]) -> list[str]:
    missing = []
    for model_name, model in [("<input>", schema), *schema.get("$defs", {}).items()]:
        for name, prop in model.get("properties", {}).items():
            if not prop.get("description"):
                missing.append(f"{model_name}.{name}")
    return missing


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_operation_is_fully_described(op: registry.Operation) -> None:
    assert op.summary and len(op.description) > 40, "summary and an agent-facing description"
    assert _properties_without_description(op.input_model.model_json_schema()) == []
    assert isinstance(op.safety, Safety)
    assert op.scope is None or op.scope in SCOPES
    assert op.auth in ("key", "public")
    assert set(op.path_params) <= set(op.input_model.model_fields), "path params are input fields"
    if op.safety.read_only:
        assert not (op.safety.destructive or op.safety.moves_money)
    if op.method == "GET":
        assert op.safety.read_only


def test_lifecycle_actions_name_registered_operations() -> None:
    for machine in registry.machines().values():
        for action in machine.actions:
            assert registry.registered(action), action
