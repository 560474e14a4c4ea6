"""Tool schemas: one portable input schema per operation, derived from its pydantic input model, one compact
output schema, and one function per tool format (DESIGN.md section 5, API.md section 8, docs/tool-catalog.md).

The portable input schema is `type: object` at the top with the operation's fields, explicit `properties`
and `required`, plain types, `items` on arrays, string `enum`s and a description on every property; no
`$ref`, `anyOf`/`oneOf`/`allOf`, `const`, type arrays, `format` or `pattern` (constraints are stated in
descriptions and enforced server-side). Write tools gain a REQUIRED `idempotency_key`.

Output schemas are compact, because MCP clients load every listed tool's schemas before the first call: no
descriptions, open objects (new fields may appear), fields typed (nullable ones as `[T, "null"]`), and
sub-objects used twice or more (Money, line items) written once in `$defs` and referenced. The full one
(:func:`full_output_schema`, the ``flint`` format's) types every level. The MCP `outputSchema`
(:func:`output_schema`) types only the result's **handles**, the fields an agent chains on (`object`, the
ids, `status`, `available_actions`; a list's envelope and its items' handles): typing every field of every
result made the default `tools/list` weigh 72 KB instead of 56 (the budget is 60 KB), while the
result itself, its JSON text and the docs say everything else.

Each provider format is exactly that provider's tool object, with nothing of Flint's added: an SDK that
forbids unknown keys (google-genai's ``FunctionDeclaration``) takes it as served. Flint's safety facts
travel in the MCP tool's ``_meta`` and in the ``flint`` format.

An operation's schemas are derived once per process (pydantic's JSON schema generation costs milliseconds
for the larger models) and handed out as copies, so a caller may change what it gets.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from flint_core.platform import hints
from flint_core.platform.registry import Operation

FORMATS = ("mcp", "openai", "openai_responses", "anthropic", "gemini", "flint")
IDEMPOTENCY_KEY = {"type": "string", "description": "A new unique value (e.g. a UUID) per intended action; a "
                   "retry with the same key and arguments returns the first result."}
_FORMAT_HINTS = {"date-time": "an RFC 3339 date-time, e.g. 2026-12-31T23:59:59Z"}
HANDLES = ("object", "status", "available_actions", "next_page_token", "data")  # and every `*_id`


class NotPortable(ValueError):
    """A model uses a construct the portable subset cannot express (e.g. a union of two types)."""


def _describe(node: dict[str, Any], inner: dict[str, Any]) -> str:
    parts = [node.get("description") or inner.get("description") or ""]
    fmt = inner.get("format") or node.get("format")
    if fmt in _FORMAT_HINTS:
        parts.append(f"Format: {_FORMAT_HINTS[fmt]}.")
    default = node.get("default", inner.get("default"))
    said = any(word in parts[0].lower() for word in ("default", "absent"))  # "AUTOMATIC (default) or MANUAL."
    if default not in (None, [], {}, "") and not said:
        parts.append(f"Default: {default}.")
    return " ".join(p for p in parts if p).strip()


def portable(schema: dict[str, Any]) -> dict[str, Any]:
    """Inline every `$ref`, collapse `X | None` to `X` (optional = not required), keep only the subset."""
    defs = schema.get("$defs", {})

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
        if isinstance(kind, list) or kind is None:
            raise NotPortable(f"type {kind!r}")
        out: dict[str, Any] = {"type": kind}
        if kind == "object":
            props = inner.get("properties", {})
            extra = inner.get("additionalProperties")
            if props or not isinstance(extra, dict):
                out["properties"] = {name: walk(prop) for name, prop in props.items()}
                out["required"] = [name for name in inner.get("required", []) if name in props]
                out["additionalProperties"] = False
            else:  # a map, e.g. metadata: string keys to values of one schema
                out["additionalProperties"] = walk(extra)
        elif kind == "array":
            out["items"] = walk(inner["items"])
        if "enum" in inner:
            out["enum"] = list(inner["enum"])
        description = _describe(node, inner)
        if description:
            out["description"] = description
        return out

    core = walk(schema)
    core.pop("description", None)  # the tool's own description says what it is
    return core


# -- output schemas ------------------------------------------------------------------------------------

_SCALARS = ("string", "integer", "number", "boolean")
_SHORT_ENUM = 80  # an output enum longer than this (as JSON) is left to the type
_MAX_DEPTH = 8  # deeper than any output (a recursive model stops here)


def compact_output(schema: dict[str, Any], depth: int) -> dict[str, Any]:
    """What an operation returns, compactly (see the module docstring), from its pydantic serialization
    schema. ``depth`` is how many levels of objects have their fields typed: 1 the returned object's own
    fields, 2 also the fields of the objects in it, and so on. A list's `data` items count as the returned
    object. A sub-object used twice or more goes once into `$defs`."""
    defs = schema.get("$defs", {})
    built: dict[tuple[str, str], dict[str, Any]] = {}
    uses: Counter[tuple[str, str]] = Counter()

    def unwrap(node: dict[str, Any]) -> tuple[dict[str, Any], bool, str | None]:
        """The schema behind `$ref`/`X | None`/single `allOf`, whether null is allowed, the $defs name."""
        nullable, name = False, None
        while True:
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[1]
                node = defs[name]
            elif "anyOf" in node and len([v for v in node["anyOf"] if v.get("type") != "null"]) == 1:
                nullable = nullable or any(v.get("type") == "null" for v in node["anyOf"])
                node = next(v for v in node["anyOf"] if v.get("type") != "null")
            elif "allOf" in node and len(node["allOf"]) == 1:
                node = node["allOf"][0]
            else:
                return node, nullable, name

    def typed(kind: Any, nullable: bool) -> Any:
        return [kind, "null"] if nullable else kind

    def walk(node: dict[str, Any], level: int) -> dict[str, Any]:
        inner, nullable, name = unwrap(node)
        if "const" in inner:
            return {"enum": [inner["const"], None]} if nullable else {"const": inner["const"]}
        if "anyOf" in inner:  # a union of several types: their scalar types, else anything
            kinds = [v.get("type") for v in inner["anyOf"]]
            if all(k in (*_SCALARS, "null") for k in kinds):
                return {"type": kinds + (["null"] if nullable else [])}
            return {}
        kind = inner.get("type")
        if kind is None:  # Any
            return {}
        out: dict[str, Any] = {"type": typed(kind, nullable)}
        if kind == "object" and inner.get("properties") and level > 0:
            properties = {field: walk(prop, level - 1) for field, prop in inner["properties"].items()}
            if name is not None:  # a named sub-object: shared through $defs when used twice or more
                key = (name, json.dumps(properties, sort_keys=True))
                built.setdefault(key, {"type": "object", "properties": properties})
                uses[key] += 1
                return {"$flint_ref": key, "nullable": nullable}
            out["properties"] = properties
        elif kind == "array":
            items, _, _ = unwrap(inner.get("items", {}))
            if items.get("type") in _SCALARS:
                out["items"] = {"type": items["type"]}
            elif level > 0:
                out["items"] = walk(inner["items"], level - 1)
        if "enum" in inner and len(json.dumps(inner["enum"])) <= _SHORT_ENUM:
            out["enum"] = [*inner["enum"], *([None] if nullable else [])]
        return out

    def root(node: dict[str, Any]) -> dict[str, Any]:
        inner, _, _ = unwrap(node)
        props = inner.get("properties", {})
        fields: dict[str, Any] = {}
        for field, prop in props.items():
            item = unwrap(unwrap(prop)[0].get("items", {}))[0]
            if field == "data" and _is_list(props) and item.get("properties"):
                fields[field] = {"type": "array", "items": root(item)}
            else:
                fields[field] = walk(prop, depth - 1)
        return {"type": "object", "properties": fields}

    out = root(schema)
    names: dict[tuple[str, str], str] = {}
    shared = [key for key in built if uses[key] > 1]  # in the order first met
    for key in shared:
        base = key[0].removesuffix("Out") or key[0]
        names[key] = next(f"{base}{n or ''}" for n in range(len(shared) + 1)
                          if f"{base}{n or ''}" not in names.values())

    def finish(node: Any) -> Any:
        if isinstance(node, list):
            return [finish(v) for v in node]
        if not isinstance(node, dict):
            return node
        if "$flint_ref" in node:
            key, nullable = node["$flint_ref"], node["nullable"]
            if key in names:
                ref = {"$ref": f"#/$defs/{names[key]}"}
                return {"anyOf": [ref, {"type": "null"}]} if nullable else ref
            inline = finish(built[key])
            return {**inline, "type": typed("object", nullable)}
        return {k: finish(v) for k, v in node.items()}

    out = finish(out)
    if names:
        out["$defs"] = {names[key]: finish(built[key]) for key in shared}
    return out


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


def _is_list(properties: dict[str, Any]) -> bool:
    return properties.get("object", {}).get("const") == "list" and "data" in properties


def is_handle(field: str) -> bool:
    """The fields an agent acts on: what the object is, its ids, its status, and what can be done next."""
    return field in HANDLES or field.endswith("_id")


def _handles(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (its top-level fields typed) with only its handles; a list keeps its envelope and the
    handles of its items."""
    fields = schema["properties"]
    if _is_list(fields) and "properties" in fields["data"].get("items", {}):
        items = {"type": "array", "items": _handles(fields["data"]["items"])}
        return {"type": "object", "properties": {**fields, "data": items}}
    return {"type": "object", "properties": {name: kind for name, kind in fields.items() if is_handle(name)}}


def _output_schema(op: Operation) -> dict[str, Any]:
    return _handles(compact_output(op.output_model.model_json_schema(mode="serialization"), 1))


def _full_output_schema(op: Operation) -> dict[str, Any]:
    return compact_output(op.output_model.model_json_schema(mode="serialization"), _MAX_DEPTH)


def output_schema(op: Operation) -> dict[str, Any]:
    """The MCP `outputSchema`: the result's handles (:func:`is_handle`), typed; every other field is
    allowed and described by :func:`full_output_schema` (see the module docstring)."""
    return copy.deepcopy(_derived(op, "output", _output_schema))


def full_output_schema(op: Operation) -> dict[str, Any]:
    """The compact output schema of a tool at every depth (the ``flint`` format's `output_schema`)."""
    return copy.deepcopy(_derived(op, "full_output", _full_output_schema))


def safety_block(op: Operation) -> dict[str, Any]:
    """Flint's safety facts about an operation: the `safety` of the ``flint`` format and SKILL.md, and
    (its set entries only) the MCP tool's ``_meta``."""
    return asdict(op.safety) | {"requires_idempotency_key": hints.requires_idempotency_key(op), "scope": op.scope}


def meta(op: Operation) -> dict[str, Any]:
    """The MCP tool's ``_meta``: the safety block's entries that are set (neither null nor false)."""
    return {key: value for key, value in safety_block(op).items() if value is not None and value is not False}


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


def _strict_parameters(op: Operation) -> dict[str, Any]:
    return _derived(op, "strict", lambda op: _strict(shared_input_schema(op)) or {})


def tool(op: Operation, fmt: str = "mcp") -> dict[str, Any]:
    """The operation as one format's tool object: exactly the provider's shape, or Flint's own (``flint``)."""
    text = description(op)
    if fmt == "mcp":
        return {"name": op.name, "title": op.summary, "description": text, "inputSchema": input_schema(op),
                "outputSchema": output_schema(op), "annotations": hints.annotations(op), "_meta": meta(op)}
    if fmt == "openai":
        return {"type": "function", "function": {"name": op.name, "description": text,
                                                 "parameters": copy.deepcopy(_strict_parameters(op)),
                                                 "strict": True}}
    if fmt == "openai_responses":
        return {"type": "function", "name": op.name, "description": text,
                "parameters": copy.deepcopy(_strict_parameters(op)), "strict": True}
    if fmt == "anthropic":
        return {"name": op.name, "description": text, "input_schema": input_schema(op)}
    if fmt == "gemini":
        return {"name": op.name, "description": text,
                "parameters": copy.deepcopy(_derived(op, "gemini", lambda op: _gemini(shared_input_schema(op)) or {}))}
    if fmt == "flint":
        return {"name": op.name, "toolset": op.group, "title": op.summary, "description": text,
                "method": op.method, "path": op.path, "scope": op.scope, "auth": op.auth,
                "safety": safety_block(op), "annotations": hints.annotations(op), "input_schema": input_schema(op),
                "output_schema": full_output_schema(op)}
    raise ValueError(f"unknown format {fmt!r}")
