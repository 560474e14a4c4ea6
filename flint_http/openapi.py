"""OpenAPI 3.1 document generated from the registry (the routes themselves bypass FastAPI's
parameter parsing so every face validates with the same models).

The document declares what the server accepts, no more and no less: tests/api/test_openapi_contract.py
fuzzes the served document with schemathesis and fails on any request the server answers differently
from what the document promises. Unlike the tool catalog it may use the whole of JSON Schema
(`format`, `pattern`, `$ref`, `oneOf`)."""

from __future__ import annotations

import copy
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI
from pydantic.json_schema import models_json_schema

from flint_core import OPENAPI_ONLY, Operation, registry, tool_schemas

REF = "#/components/schemas/{model}"
ERROR_REF = {"$ref": REF.format(model="Error")}
# What runtime.invoke (idempotency.validate_key) accepts: 1 to 255 characters from space to tilde.
IDEMPOTENCY_KEY_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7E]+$"}
IDEMPOTENCY_KEY_HEADER = {
    "name": "Idempotency-Key", "in": "header", "required": False, "schema": IDEMPOTENCY_KEY_SCHEMA,
    "description": "1-255 printable ASCII characters; retries with the same key return the first response."}
# Operations that need no key still take one (a signup made with a key is attributed to it).
KEY_OPTIONAL: list[dict[str, list[str]]] = [{}, {"bearer": []}]

ERROR_SCHEMA = {
    "type": "object", "required": ["error"], "additionalProperties": False,
    "description": "The error envelope every face returns (see /docs/errors).",
    "properties": {"error": {"type": "object", "additionalProperties": False, "required": [
        "type", "code", "message", "param", "retryable", "effect", "retry_after_seconds", "request_id", "doc_url",
        "suggested_actions"], "properties": {
        "type": {"type": "string", "description": "The error's family, e.g. invalid_request_error."},
        "code": {"type": "string", "description": "The specific error, e.g. order_not_refundable."},
        "message": {"type": "string", "description": "What went wrong, for a person."},
        "param": {"type": ["string", "null"], "description": "The input field at fault, if one is."},
        "retryable": {"type": "boolean", "description": "Whether the same request may succeed later."},
        "effect": {"type": "string", "enum": ["none", "unknown"],
                   "description": "What the failed request changed: nothing, or not yet known."},
        "retry_after_seconds": {"type": ["number", "null"], "description": "When to retry, if retryable."},
        "request_id": {"type": ["string", "null"], "description": "The request's id (`req_...`)."},
        "doc_url": {"type": "string", "description": "Where this error is explained."},
        "suggested_actions": {"type": "array", "items": {"type": "string"},
                              "description": "Operations that may help next."}}}}}


# flint_core.text: no string input (nor object key) holds a control character other than tab, LF and CR.
TEXT_PATTERN = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"


# Patterns of the models that would let a control character through, as the document states them.
_WITHOUT_CONTROLS = {"^[^@\\s]+@[^@\\s]+$": "^[^@\\s\\x00-\\x1f\\x7f-\\x9f]+@[^@\\s\\x00-\\x1f\\x7f-\\x9f]+$"}


def _input_rules(node: Any) -> None:
    """State in an input schema, in place, what the server checks beyond the portable tool schema: the
    ``x-flint-openapi`` rules of the models (merged into the node, or into the non-null variant of an
    optional one), and no control characters in any free string or object key."""
    if isinstance(node, list):
        for item in node:
            _input_rules(item)
        return
    if not isinstance(node, dict):
        return
    extra = node.pop(OPENAPI_ONLY, None) or {}
    for value in list(node.values()):
        _input_rules(value)
    if node.get("type") == "string" and not {"pattern", "enum", "const", "format"} & (set(node) | set(extra)):
        node["pattern"] = TEXT_PATTERN
    elif node.get("pattern") in _WITHOUT_CONTROLS:
        node["pattern"] = _WITHOUT_CONTROLS[node["pattern"]]
    if node.get("type") == "object" and isinstance(node.get("additionalProperties"), dict) and "propertyNames" in node and "pattern" not in node["propertyNames"]:
        node["propertyNames"]["pattern"] = TEXT_PATTERN  # a map, e.g. metadata: its null values mean absent too
        node["additionalProperties"] = _nullable(node["additionalProperties"])
    if extra:  # stated as written: its cases only narrow what the node already says
        variants = [v for v in node.get("anyOf", ()) if v.get("type") != "null"]
        target = variants[0] if len(variants) == 1 else node
        if target.get("pattern") == TEXT_PATTERN and {"enum", "pattern"} & set(extra):
            del target["pattern"]
        target.update(extra)


def _referenced(schema: Any, schemas: dict[str, Any], found: set[str]) -> set[str]:
    """The names of the component schemas a schema uses, at any depth."""
    if isinstance(schema, list):
        for item in schema:
            _referenced(item, schemas, found)
    elif isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.rsplit("/", 1)[1] not in found:
            found.add(ref.rsplit("/", 1)[1])
            _referenced(schemas[ref.rsplit("/", 1)[1]], schemas, found)
        for value in schema.values():
            _referenced(value, schemas, found)
    return found


def _responses(success: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "Success", "content": {"application/json": {"schema": success}}},
            "default": {"description": "Error envelope (see /docs/errors)",
                        "content": {"application/json": {"schema": ERROR_REF}}}}


def _query_schema(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is optional by being absent; a query string cannot carry JSON null, so the
    ``X | None`` of an optional field is declared as X."""
    variants = [v for v in prop.get("anyOf", ()) if v.get("type") != "null"]
    if len(variants) == 1 and len(prop["anyOf"]) == 2:
        rest = {k: v for k, v in prop.items() if k not in ("anyOf", "default")}
        return {**rest, **variants[0]}
    return {k: v for k, v in prop.items() if k != "default" or v is not None}


def _nullable(prop: dict[str, Any]) -> dict[str, Any]:
    """An optional field also takes null, at any depth, which means the same as leaving it out
    (runtime.parse; OpenAI strict mode sends null for every optional argument)."""
    if any(v.get("type") == "null" for v in prop.get("anyOf", ())):
        return prop
    outer = {k: v for k, v in prop.items() if k in ("description", "default", "title")}
    inner = {k: v for k, v in prop.items() if k not in outer}
    return {**outer, "anyOf": [inner, {"type": "null"}]}


def _operation_item(op: Operation, input_schema: dict[str, Any], output_ref: dict[str, Any]) -> dict[str, Any]:
    in_path = set(op.path_params)
    parameters = [{"name": name, "in": "path", "required": True,
                   "description": input_schema["properties"][name].get("description", ""),
                   "schema": {k: v for k, v in _query_schema(input_schema["properties"][name]).items()
                              if k not in ("description", "title")}} for name in op.path_params]
    item: dict[str, Any] = {
        "operationId": op.name, "summary": op.summary, "description": op.description,
        "tags": [op.path.split("/")[2]],
        "x-flint-scope": op.scope, "x-flint-safety": asdict(op.safety),
        "responses": _responses(output_ref),
    }
    if op.auth == "public":
        item["security"] = KEY_OPTIONAL
    if op.method in ("GET", "DELETE"):
        parameters += [{"name": name, "in": "query", "required": name in input_schema.get("required", []),
                        "description": prop.get("description", ""), "schema": _query_schema(prop)}
                       for name, prop in input_schema["properties"].items() if name not in in_path]
    else:
        required = [name for name in input_schema.get("required", []) if name not in in_path]
        body = {**input_schema, "required": required,
                "properties": {name: prop for name, prop in input_schema["properties"].items() if name not in in_path}}
        # No body reads as `{}`: it is required only when some field is.
        # (or when a cross-field rule needs one of some fields)
        needed = bool(required) or "anyOf" in body or "allOf" in body
        item["requestBody"] = {"required": needed, "content": {"application/json": {"schema": body}}}
    if not op.safety.read_only:
        parameters.append(IDEMPOTENCY_KEY_HEADER)
    if parameters:
        item["parameters"] = parameters
    return item


def _tool_paths(input_schemas: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`GET /v1/tools` and `POST /v1/tool_calls` (flint_http/tools.py). A tool call's body is declared per
    tool, so the document says which arguments each name takes: the operation's input, with its path
    parameters, plus `idempotency_key` (required on writes)."""
    calls = []
    for op in registry.operations():
        arguments = copy.deepcopy(input_schemas[op.name])
        arguments.pop("title", None)
        if not op.safety.read_only:
            arguments["properties"]["idempotency_key"] = {
                **IDEMPOTENCY_KEY_SCHEMA, "description": tool_schemas.IDEMPOTENCY_KEY["description"]}
            arguments["required"] = [*arguments.get("required", []), "idempotency_key"]
        # null arguments mean none, as null fields mean absent ones: allowed only where none is required
        arguments["type"] = "object" if arguments.get("required") else ["object", "null"]
        calls.append({"type": "object", "title": op.name, "additionalProperties": False,
                      "required": ["name", "arguments"] if arguments.get("required") else ["name"],
                      "properties": {"name": {"type": "string", "enum": [op.name], "description": "The tool."},
                                     "arguments": arguments}})
    tools = {"type": "object", "required": ["object", "format", "data", "next_page_token"],
             "properties": {"object": {"type": "string", "enum": ["list"]},
                            "format": {"type": "string", "enum": list(tool_schemas.FORMATS)},
                            "data": {"type": "array", "items": {"type": "object"},
                                     "description": "One tool definition per operation the key may use."},
                            "next_page_token": {"type": "string", "enum": [""],
                                                "description": "Always empty: the list is never paginated."}}}
    return {
        "/v1/tools": {"get": {
            "operationId": "list_tools", "tags": ["tools"],
            "summary": "List the operations this key may use as tool definitions in a provider's format.",
            "description": "See /docs/tool-catalog. An unknown format, toolset or query parameter is 400.",
            "parameters": [{"name": "format", "in": "query", "required": False,
                            "description": "The provider format of each definition; default `mcp`.",
                            "schema": {"type": "string", "enum": list(tool_schemas.FORMATS)}},
                           {"name": "toolsets", "in": "query", "required": False,
                            "description": "Comma-separated toolsets (GET /v1/toolsets), `all`, or `default` (the "
                                           "default set of MCP sessions); absent: every toolset.",
                            "schema": {"type": "string"}},
                           {"name": "read_only", "in": "query", "required": False,
                            "description": "`true`: only the tools that change nothing.",
                            "schema": {"type": "boolean"}}],
            "responses": _responses(tools)}},
        "/v1/tool_calls": {"post": {
            "operationId": "call_tool", "tags": ["tools"],
            "summary": "Run one tool: the same operation as its HTTP route and MCP tool.",
            "description": "See /docs/tool-catalog. The answer is `{\"result\": ...}`, the operation's own "
                           "JSON; failures are the error envelope. Writes take `idempotency_key` among the "
                           "arguments (the Idempotency-Key header is not read here).",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": calls}}}},
            "responses": _responses({"type": "object", "required": ["result"], "additionalProperties": False,
                                     "properties": {"result": {"type": "object"}}})}},
    }


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    ops = registry.operations()
    models = [(m, mode) for op in ops for m, mode in ((op.input_model, "validation"),
                                                      (op.output_model, "serialization"))]
    keys, top = models_json_schema(models, ref_template=REF)
    schemas = top.get("$defs", {})
    for schema in schemas.values():
        optional = set(schema.get("properties", {})) - set(schema.get("required", []))
        schema.get("properties", {}).update({name: _nullable(schema["properties"][name]) for name in optional})
    input_schemas = {op.name: schemas[keys[(op.input_model, "validation")]["$ref"].rsplit("/", 1)[1]]
                     for op in ops}
    for name in _referenced([keys[(op.input_model, "validation")] for op in ops], schemas, set()):
        _input_rules(schemas[name])
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        item = _operation_item(op, input_schemas[op.name], keys[(op.output_model, "serialization")])
        paths.setdefault(op.path, {})[op.method.lower()] = item
    paths |= _tool_paths(input_schemas)
    app.openapi_schema = {
        "openapi": "3.1.0",
        "info": {"title": app.title, "version": app.version, "summary": app.summary},
        "paths": paths,
        "components": {"schemas": schemas | {"Error": ERROR_SCHEMA},
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    }
    return app.openapi_schema
