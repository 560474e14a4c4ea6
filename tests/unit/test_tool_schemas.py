"""Every operation's tool definition, in every format, is valid JSON Schema and follows its format's rules."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from flint_core.platform import hints, registry, tool_schemas

OPERATIONS = registry.operations()
NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
FORBIDDEN = {"$ref", "$defs", "anyOf", "oneOf", "allOf", "const", "format", "pattern", "title"}


def walk(node: Any, path: str = "") -> Any:
    """Yield (path, schema) for every schema node."""
    yield path, node
    for name, prop in node.get("properties", {}).items():
        yield from walk(prop, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        yield from walk(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from walk(node["additionalProperties"], f"{path}{{}}")


def check_portable(schema: dict[str, Any]) -> None:
    assert schema["type"] == "object" and "properties" in schema and "required" in schema
    for path, node in walk(schema):
        assert not FORBIDDEN & set(node), (path, FORBIDDEN & set(node))
        assert isinstance(node["type"], str), path
        if path and not path.endswith(("[]", "{}")):  # every property; array items and map values need none
            assert node.get("description"), f"{path} has no description"
        if node["type"] == "array":
            assert "items" in node, path
        if "enum" in node:
            assert node["type"] == "string" and all(isinstance(v, str) for v in node["enum"]), path


def check_openai_strict(schema: dict[str, Any]) -> None:
    for path, node in walk(schema):
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        if "object" in types:
            assert node.get("additionalProperties") is False, path
            assert set(node["required"]) == set(node["properties"]), f"{path}: every property required"
        if "null" in types and "enum" in node:
            assert None in node["enum"], path


def check_gemini(schema: dict[str, Any]) -> None:
    for path, node in walk(schema):
        assert "additionalProperties" not in node, path
        assert isinstance(node["type"], str), f"{path}: no type arrays"
        assert set(node.get("required", [])) <= set(node.get("properties", {})), path


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_every_format_is_valid(op: registry.Operation) -> None:
    assert NAME.match(op.name)
    core = tool_schemas.input_schema(op)
    check_portable(core)
    assert ("idempotency_key" in core["required"]) is (not op.safety.read_only)
    mcp = tool_schemas.tool(op, "mcp")
    openai = tool_schemas.tool(op, "openai")["function"]
    anthropic = tool_schemas.tool(op, "anthropic")
    gemini = tool_schemas.tool(op, "gemini")
    for schema in (mcp["inputSchema"], mcp["outputSchema"], openai["parameters"], anthropic["input_schema"],
                   gemini["parameters"]):
        Draft202012Validator.check_schema(schema)
    check_openai_strict(openai["parameters"])
    assert openai["strict"] is True and openai["name"] == op.name
    check_gemini(gemini["parameters"])
    assert mcp["annotations"] == hints.annotations(op) and mcp["annotations"]["readOnlyHint"] is op.safety.read_only
    assert mcp["_meta"].get("scope") == op.scope and bool(mcp["_meta"].get("moves_money")) is op.safety.moves_money
    flint = tool_schemas.tool(op, "flint")
    assert flint["safety"] == tool_schemas.safety_block(op) and flint["input_schema"] == core
    Draft202012Validator.check_schema(flint["output_schema"])


def test_portable_core_keeps_the_structure() -> None:
    schema = tool_schemas.input_schema(registry.get("create_order"))  # type: ignore[arg-type]
    line = schema["properties"]["line_items"]["items"]
    assert line["properties"]["unit_price_money"]["required"] == ["amount"]  # currency: the order's when absent
    assert set(schema["required"]) == {"line_items", "idempotency_key"}  # currency: inferred, else the default
    assert line["properties"]["tax_category"]["enum"] == ["STANDARD", "REDUCED", "EXEMPT", "DIGITAL"]
    assert line["properties"]["metadata"]["additionalProperties"]["type"] == "string"  # a map
    # a default is stated once: appended unless the description already says it
    assert "(default)" in line["properties"]["tax_category"]["description"]
    assert "Default:" not in line["properties"]["tax_category"]["description"]
    charge = schema["properties"]["service_charges"]["items"]["properties"]
    assert charge["taxable"]["description"].endswith("Default: False.")
