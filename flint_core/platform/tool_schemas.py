"""Tool schemas: one portable core per operation, derived from its pydantic input model, and one
function per provider format (DESIGN.md section 5, API.md section 8).

The portable core is `type: object` at the top with the operation's fields, explicit `properties` and
`required`, plain types, `items` on arrays, string `enum`s and a description on every property; no
`$ref`, `anyOf`/`oneOf`/`allOf`, `const`, type arrays, `format` or `pattern` (constraints are stated in
descriptions and enforced server-side). Write tools gain a REQUIRED `idempotency_key`.

An operation's schemas are derived once per process (pydantic's JSON schema generation costs milliseconds
for the larger models) and handed out as copies, so a caller may change what it gets.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from flint_core.platform.registry import Operation

FORMATS = ("mcp", "openai", "anthropic", "gemini")
IDEMPOTENCY_KEY = {"type": "string", "description": "REQUIRED on every write: a unique string (e.g. a UUID) per "
                   "intended operation, 1-255 printable ASCII characters. Retrying with the same key and the "
                   "same arguments returns the first result instead of acting twice."}
_FORMAT_HINTS = {"date-time": "an RFC 3339 date-time, e.g. 2026-12-31T23:59:59Z"}


class NotPortable(ValueError):
    """A model uses a construct the portable subset cannot express (e.g. a union of two types)."""


def _describe(node: dict[str, Any], inner: dict[str, Any]) -> str:
    parts = [node.get("description") or inner.get("description") or ""]
    fmt = inner.get("format") or node.get("format")
    if fmt in _FORMAT_HINTS:
        parts.append(f"Format: {_FORMAT_HINTS[fmt]}.")
    default = node.get("default", inner.get("default"))
    if default not in (None, [], {}, ""):
        parts.append(f"Default: {default}.")
    return " ".join(p for p in parts if p).strip()


def portable(schema: dict[str, Any], *, output: bool = False) -> dict[str, Any]:
    """Inline every `$ref`, collapse `X | None` to `X` (optional = not required), keep only the subset.

    ``output=True`` describes what Flint returns rather than what a model must send: `X | None` stays
    `type: [X, "null"]`, a free-form object (`dict[str, Any]`) stays open and `Any` stays unconstrained,
    because outputs carry their null fields and MCP clients validate `structuredContent` against
    `outputSchema`."""
    defs = schema.get("$defs", {})

    def is_nullable(node: dict[str, Any]) -> bool:
        return any(v.get("type") == "null" for v in node.get("anyOf", ()))

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in node:
            return resolve(defs[node["$ref"].rsplit("/", 1)[1]])
        if "anyOf" in node:
            variants = [v for v in node["anyOf"] if v.get("type") != "null"]
            if len(variants) != 1:
                raise NotPortable(f"union of {len(variants)} types")
            return resolve(variants[0])
        if "allOf" in node and len(node["allOf"]) == 1:
            return resolve(node["allOf"][0])
        return node

    def walk(node: dict[str, Any]) -> dict[str, Any]:
        inner = resolve(node)
        kind = inner.get("type")
        if output and not set(inner) - {"description", "title"}:  # Any: an output value of any type
            return {"description": _describe(node, inner)} if _describe(node, inner) else {}
        if isinstance(kind, list) or kind is None:
            raise NotPortable(f"type {kind!r}")
        out: dict[str, Any] = {"type": [kind, "null"] if output and is_nullable(node) else kind}
        if kind == "object":
            props = inner.get("properties", {})
            extra = inner.get("additionalProperties")
            if output and not props and extra is True:
                pass  # free-form output object: any keys
            elif props or not isinstance(extra, dict):
                out["properties"] = {name: walk(prop) for name, prop in props.items()}
                out["required"] = [name for name in inner.get("required", []) if name in props]
                out["additionalProperties"] = False
            else:  # a map, e.g. metadata: string keys to values of one schema
                out["additionalProperties"] = walk(extra)
        elif kind == "array":
            out["items"] = walk(inner["items"])
        if "enum" in inner:
            out["enum"] = list(inner["enum"]) + ([None] if isinstance(out["type"], list) else [])
        description = _describe(node, inner)
        if description:
            out["description"] = description
        return out

    core = walk(schema)
    core.pop("description", None)  # the tool's own description says what it is
    return core


_DERIVED: dict[tuple[str, str], tuple[Operation, dict[str, Any]]] = {}


def _derived(op: Operation, kind: str, derive: Callable[[Operation], dict[str, Any]]) -> dict[str, Any]:
    """``derive(op)``, computed once per operation object (a registry reloaded in tests yields new ones).
    The shared value: callers that keep or change it take a copy."""
    hit = _DERIVED.get((op.name, kind))
    if hit is None or hit[0] is not op:
        hit = _DERIVED[(op.name, kind)] = (op, derive(op))
    return hit[1]


def _input_schema(op: Operation) -> dict[str, Any]:
    core = portable(op.input_model.model_json_schema())
    if not op.safety.read_only:
        core["properties"]["idempotency_key"] = dict(IDEMPOTENCY_KEY)
        core["required"] = [*core["required"], "idempotency_key"]
    return core


def shared_input_schema(op: Operation) -> dict[str, Any]:
    """:func:`input_schema` without the copy, for readers that never change it (argument validation)."""
    return _derived(op, "input", _input_schema)


def input_schema(op: Operation) -> dict[str, Any]:
    """The portable input schema of a tool (the operation's fields, plus idempotency_key on writes)."""
    return copy.deepcopy(shared_input_schema(op))


def output_schema(op: Operation) -> dict[str, Any]:
    return copy.deepcopy(_derived(op, "output", lambda op: portable(
        op.output_model.model_json_schema(mode="serialization"), output=True)))


def safety_block(op: Operation) -> dict[str, Any]:
    return asdict(op.safety) | {"requires_idempotency_key": not op.safety.read_only, "scope": op.scope}


def description(op: Operation) -> str:
    return f"{op.summary}\n\n{op.description}"


def _strict(node: dict[str, Any], nullable: bool = False) -> dict[str, Any] | None:
    """OpenAI strict mode: every object closed and every property required; optional ones nullable.
    Maps cannot be expressed (strict objects are closed), so map-typed properties are left out."""
    out = copy.copy(node)
    if node["type"] == "object":
        if "properties" not in node:
            return None
        props = {}
        for name, prop in node["properties"].items():
            converted = _strict(prop, nullable=name not in node["required"])
            if converted is not None:
                props[name] = converted
        out["properties"], out["required"], out["additionalProperties"] = props, list(props), False
    elif node["type"] == "array":
        items = _strict(node["items"])
        if items is None:
            return None
        out["items"] = items
    if nullable:
        out["type"] = [node["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def _gemini(node: dict[str, Any]) -> dict[str, Any] | None:
    """Gemini: no additionalProperties, no type arrays; maps are left out."""
    out = {k: v for k, v in node.items() if k != "additionalProperties"}
    if node["type"] == "object":
        if "properties" not in node:
            return None
        props = {name: g for name, prop in node["properties"].items() if (g := _gemini(prop)) is not None}
        out["properties"] = props
        out["required"] = [name for name in node["required"] if name in props]
    elif node["type"] == "array":
        items = _gemini(node["items"])
        if items is None:
            return None
        out["items"] = items
    return out


def tool(op: Operation, fmt: str = "mcp") -> dict[str, Any]:
    """The operation as a tool definition in one provider's format, with Flint's safety block."""
    schema, safety, text = input_schema(op), safety_block(op), description(op)
    if fmt == "mcp":
        return {"name": op.name, "title": op.summary, "description": text, "inputSchema": schema,
                "outputSchema": output_schema(op), "annotations": {
                    "title": op.summary, "readOnlyHint": op.safety.read_only,
                    "destructiveHint": op.safety.destructive, "idempotentHint": op.safety.idempotent,
                    "openWorldHint": op.safety.open_world}, "safety": safety}
    if fmt == "openai":
        return {"type": "function", "function": {"name": op.name, "description": text,
                                                 "parameters": _strict(schema), "strict": True}, "safety": safety}
    if fmt == "anthropic":
        return {"name": op.name, "description": text, "input_schema": schema, "safety": safety}
    if fmt == "gemini":
        return {"name": op.name, "description": text, "parameters": _gemini(schema), "safety": safety}
    raise ValueError(f"unknown format {fmt!r}")
