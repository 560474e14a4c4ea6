"""Every tool format is exactly what its provider's own SDK takes, and `tools/list` stays within its budgets.

The SDKs are in the `test` extra (pyproject.toml). OpenAI's and Anthropic's tool params are TypedDicts:
pydantic validates their fields but ignores keys they do not declare, so each entry is also checked for
keys outside the TypedDict. google-genai's ``FunctionDeclaration`` forbids extra keys itself; MCP's
``Tool`` is round-tripped (what it keeps must be the whole entry).
"""

from __future__ import annotations

import json
from typing import Any

import mcp_types
import pytest
from anthropic.types import ToolParam
from google.genai import types as genai
from jsonschema import Draft202012Validator
from openai.types.chat import ChatCompletionFunctionToolParam, ChatCompletionToolParam
from openai.types.responses import FunctionToolParam
from openai.types.shared_params import FunctionDefinition
from pydantic import TypeAdapter

from flint_core.platform import hints, registry, tool_schemas, toolsets
from tests.unit.test_tool_schemas import check_gemini, check_openai_strict

OPERATIONS = registry.operations()
# What `tools/list` may weigh (compact JSON of the operations' MCP tools): the default set leaves room under
# the 60 KB wire budget for the MCP server's two discovery tools and the JSON-RPC envelope.
DEFAULT_BUDGET = 57_000
ALL_BUDGET = 195_000


def size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def typed_dict(adapter_type: Any, entry: dict[str, Any], declared: type) -> None:
    """Valid for the SDK's TypedDict, and no key it does not declare (TypedDict validation ignores them)."""
    TypeAdapter(adapter_type).validate_python(entry)
    assert set(entry) <= set(declared.__annotations__), set(entry) - set(declared.__annotations__)


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_openai_chat_completions(op: registry.Operation) -> None:
    entry = tool_schemas.tool(op, "openai")
    typed_dict(ChatCompletionToolParam, entry, ChatCompletionFunctionToolParam)
    typed_dict(FunctionDefinition, entry["function"], FunctionDefinition)
    assert entry["type"] == "function" and entry["function"]["strict"] is True
    assert set(entry["function"]) == {"name", "description", "parameters", "strict"}
    check_openai_strict(entry["function"]["parameters"])


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_openai_responses(op: registry.Operation) -> None:
    entry = tool_schemas.tool(op, "openai_responses")
    typed_dict(FunctionToolParam, entry, FunctionToolParam)
    assert set(entry) == {"type", "name", "description", "parameters", "strict"} and entry["strict"] is True
    check_openai_strict(entry["parameters"])
    assert entry["parameters"] == tool_schemas.tool(op, "openai")["function"]["parameters"]


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_anthropic(op: registry.Operation) -> None:
    entry = tool_schemas.tool(op, "anthropic")
    typed_dict(ToolParam, entry, ToolParam)
    assert set(entry) == {"name", "description", "input_schema"}
    assert entry["input_schema"] == tool_schemas.input_schema(op)


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_gemini(op: registry.Operation) -> None:
    entry = tool_schemas.tool(op, "gemini")
    declaration = genai.FunctionDeclaration.model_validate(entry)  # extra="forbid", on the schema too
    assert declaration.name == op.name and set(entry) == {"name", "description", "parameters"}
    check_gemini(entry["parameters"])
    parsed = declaration.parameters.properties if declaration.parameters else None
    assert set(parsed or {}) == set(entry["parameters"]["properties"])


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_mcp(op: registry.Operation) -> None:
    entry = tool_schemas.tool(op, "mcp")
    tool = mcp_types.Tool.model_validate(entry)
    assert tool.model_dump(by_alias=True, exclude_none=True, mode="json") == entry  # no key the Tool drops
    assert set(entry) == {"name", "title", "description", "inputSchema", "outputSchema", "annotations", "_meta"}
    assert entry["annotations"] == hints.annotations(op) and "title" not in entry["annotations"]
    set_entries = {k: v for k, v in tool_schemas.safety_block(op).items() if v is not None and v is not False}
    assert entry["_meta"] == set_entries
    assert entry["_meta"].get("requires_idempotency_key", False) is not op.safety.read_only
    assert entry["inputSchema"] == tool_schemas.input_schema(op)


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_flint(op: registry.Operation) -> None:
    entry = tool_schemas.tool(op, "flint")
    assert list(entry) == ["name", "toolset", "title", "description", "method", "path", "scope", "auth", "safety",
                           "annotations", "input_schema", "output_schema"]
    assert (entry["toolset"], entry["method"], entry["path"]) == (op.group, op.method, op.path)
    assert entry["safety"] == tool_schemas.safety_block(op) and entry["annotations"] == hints.annotations(op)


@pytest.mark.parametrize("fmt", [fmt for fmt in tool_schemas.FORMATS if fmt != "flint"])
def test_no_flint_keys_in_provider_entries(fmt: str) -> None:
    for op in OPERATIONS:
        entry = tool_schemas.tool(op, fmt)
        assert "safety" not in entry and "safety" not in entry.get("function", {}), (fmt, op.name)


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_output_schemas_are_compact(op: registry.Operation) -> None:
    """No descriptions, open objects, the returned object typed; the MCP one only its handles."""
    served, full = tool_schemas.output_schema(op), tool_schemas.full_output_schema(op)
    for schema in (served, full):
        Draft202012Validator.check_schema(schema)
        assert schema["type"] == "object" and schema["properties"]
        for path, node in schema_nodes(schema):
            assert not {"description", "title", "additionalProperties", "required"} & set(node), path
            if "$ref" in node:
                assert node["$ref"].removeprefix("#/$defs/") in schema.get("$defs", {}), path
    assert served["properties"].get("object") == full["properties"]["object"]  # what it is, always said
    # the served schema is the full one's handles: every id, status and available_actions, typed the same
    listing = served["properties"]["object"].get("const") == "list"
    items = served["properties"]["data"]["items"] if listing else served
    full_items = full["properties"]["data"]["items"] if listing else full
    assert set(items["properties"]) == {f for f in full_items["properties"] if tool_schemas.is_handle(f)}
    for field, schema in items["properties"].items():
        assert kind(schema) == kind(full_items["properties"][field]), field


def kind(schema: dict[str, Any]) -> Any:
    """The JSON type a schema gives (a `$ref` names an object; `anyOf` is a nullable one)."""
    if "$ref" in schema:
        return "object"
    if "anyOf" in schema:
        return ["object", "null"]
    return schema.get("type", schema.get("const", schema.get("enum")))


def schema_nodes(node: dict[str, Any], path: str = "") -> Any:
    """Every schema in ``node`` (itself, its properties, items, `anyOf` variants and `$defs`)."""
    yield path, node
    for name, prop in node.get("properties", {}).items():
        yield from schema_nodes(prop, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        yield from schema_nodes(node["items"], f"{path}[]")
    for i, variant in enumerate(node.get("anyOf", ())):
        yield from schema_nodes(variant, f"{path}|{i}")
    for name, definition in node.get("$defs", {}).items():
        yield from schema_nodes(definition, f"$defs.{name}")


def test_repeated_sub_objects_are_defined_once() -> None:
    order = tool_schemas.full_output_schema(registry.get("get_order"))  # type: ignore[arg-type]
    assert order["$defs"]["Money"] == {"type": "object", "properties": {"amount": {"type": "integer"},
                                                                       "currency": {"type": "string"}}}
    assert order["properties"]["pricing_amounts"]["properties"]["total_money"] == {"$ref": "#/$defs/Money"}
    assert order["properties"]["tip"]["type"] == ["object", "null"]
    listed = tool_schemas.full_output_schema(registry.get("list_orders"))  # type: ignore[arg-type]
    assert listed["properties"]["data"]["items"]["properties"] == order["properties"]  # items like the object
    assert listed["$defs"] == order["$defs"]


def test_tools_list_budgets() -> None:
    default = [op for op in OPERATIONS if toolsets.Selection().shows(op)]
    shown = size([tool_schemas.tool(op, "mcp") for op in default])
    everything = size([tool_schemas.tool(op, "mcp") for op in OPERATIONS])
    assert shown <= DEFAULT_BUDGET, f"default tools/list is {shown} bytes"
    assert everything <= ALL_BUDGET, f"tools/list with toolsets=all is {everything} bytes"
