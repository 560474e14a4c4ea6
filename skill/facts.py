"""What the skill says about toolsets and operations, read from the registry and tool_schemas (never
re-derived).

A toolset is a registry group (``registry.groups()``, one domain folder); every operation belongs to the
toolset ``op.group``. The skill reads them in the registry's reading order (``registry.DOMAINS``).
"""

from __future__ import annotations

import typing
from dataclasses import dataclass

from pydantic import BaseModel

from flint_core import DEFAULT_PUBLIC_URL, Operation, StateMachine, registry, tool_schemas, toolsets

# Where the committed files point for docs pages: the address `flint serve` listens on unless told
# otherwise. Over HTTP the server rewrites it to its own public URL (flint_http/skill_pages.py).
BASE_URL = DEFAULT_PUBLIC_URL


@dataclass(frozen=True)
class Group:
    name: str  # the toolset, op.group
    title: str
    description: str
    doc: str | None  # the slug of its guide under /docs
    operations: tuple[Operation, ...]
    machines: tuple[StateMachine[typing.Any], ...]  # the lifecycles its lifecycle.py declares

    @property
    def reference(self) -> str:
        """Its reference file, relative to the skill folder."""
        return f"references/{self.name}.md"

    @property
    def default(self) -> bool:
        """Whether an MCP client sees this toolset with no selection."""
        return self.name in toolsets.DEFAULT


def ordered() -> list[Operation]:
    """Every operation in the skill's reading order (the order of ``groups()``)."""
    return [op for group in groups() for op in group.operations]


def machine_toolset(machine: StateMachine[typing.Any]) -> str:
    """The toolset whose ``lifecycle.py`` declares the machine: ``flint_core.orders.lifecycle`` -> orders."""
    return type(machine.initial).__module__.split(".")[1]


def groups() -> list[Group]:
    """Every toolset with operations, in the registry's reading order; operations in source order."""
    out = []
    machines = list(registry.machines().values())
    for group in registry.groups():
        ops = tuple(sorted((op for op in registry.operations() if op.group == group.name),
                           key=lambda op: op.handler.__code__.co_firstlineno))  # source order
        if ops:
            owned = tuple(m for m in machines if machine_toolset(m) == group.name)
            out.append(Group(group.name, group.title, group.description, group.docs, ops, owned))
    return out


def group_of(op: Operation) -> Group:
    return next(group for group in groups() if group.name == op.group)


def keyless() -> list[Operation]:
    """The operations that need no API key (``auth == "public"``), in reading order."""
    return [op for op in ordered() if op.auth == "public"]


def doc_url(slug: str, anchor: str | None = None) -> str:
    """A docs page as an absolute link (it must work from an installed skill folder, which has no host)."""
    return f"{BASE_URL}/docs/{slug}" + (f"#{anchor}" if anchor else "")


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
    return op.name  # entries carry `<a id="name">`; snake_case names are valid anchors as they are
