"""What the skill says about operations, read from the registry and tool_schemas (never re-derived).

Operations are grouped by domain (``op.group``), in the registry's reading order (``registry.DOMAINS``).
"""

from __future__ import annotations

import typing
from dataclasses import dataclass

from pydantic import BaseModel

from flint_core import Operation, registry, tool_schemas


@dataclass(frozen=True)
class Group:
    name: str  # the domain, op.group
    title: str
    doc: str | None
    operations: tuple[Operation, ...]


def ordered() -> list[Operation]:
    """Every operation in the skill's reading order (the order of ``groups()``)."""
    return [op for group in groups() for op in group.operations]


def groups() -> list[Group]:
    """Operations by domain (``op.group``), in the registry's reading order."""
    out = []
    for group in registry.groups():
        ops = tuple(sorted((op for op in registry.operations() if op.group == group.name),
                           key=lambda op: op.handler.__code__.co_firstlineno))  # source order
        if ops:
            out.append(Group(group.name, group.title, group.docs, ops))
    return out


def safety_words(op: Operation) -> str:
    """The safety block in a few words, e.g. `destructive, moves money, open world`."""
    block = tool_schemas.safety_block(op)
    words = ["read-only" if block["read_only"] else "destructive" if block["destructive"] else "write"]
    if block["moves_money"]:
        words.append("moves money")
    if block["open_world"]:
        words.append("open world")
    if block["idempotent"] and not block["read_only"]:
        words.append("idempotent")
    if block["reversible_by"]:
        words.append(f"undo: {block['reversible_by']}")
    return ", ".join(words)


def scope_text(op: Operation) -> str:
    if op.scope:
        return f"`{op.scope}`"
    return "none (no key)" if op.auth == "public" else "any valid key"


def _object_name(model: type[BaseModel]) -> str:
    field = model.model_fields.get("object")
    return str(field.default) if field is not None and isinstance(field.default, str) else model.__name__


def output_name(op: Operation) -> str:
    """The returned object's `object` name; lists say what they hold (`list of order`)."""
    model = op.output_model
    name = _object_name(model)
    data = model.model_fields.get("data")
    if name == "list" and data is not None:
        args = typing.get_args(data.annotation)
        if args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            return f"list of {_object_name(args[0])}"
    return name


def route(op: Operation) -> str:
    return f"{op.method} {op.path}"


def anchor(op: Operation) -> str:
    return op.name  # headings are `### name`; GitHub-style slugs keep snake_case names as they are
