"""What the skill says about operations, read from the registry and tool_schemas (never re-derived).

Operations are grouped by resource (the ``flint_core/operations`` module that declares them), in a fixed
reading order; unknown modules follow alphabetically, so a new module appears without touching this file.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass

from pydantic import BaseModel

from flint_core import registry, tool_schemas
from flint_core.registry import Operation

# module -> (section title, docs slug or None). Order is the reading order of the skill.
GROUPS: dict[str, tuple[str, str | None]] = {
    "orders": ("Orders", "orders"),
    "payments": ("Payments", "payments"),
    "refunds": ("Refunds", "refunds"),
    "action_previews": ("Action previews", None),
    "checkout": ("Hosted checkout", "checkout"),
    "customers": ("Customers", None),
    "coupons": ("Coupons", "coupons"),
    "tax_rates": ("Tax rates", "tax"),
    "activities": ("Order activities", "orders"),
    "timeline": ("Order timeline", "orders"),
    "events": ("Events", "events"),
    "webhooks": ("Webhooks", "webhooks"),
    "request_logs": ("Request logs", "request-logs"),
    "merchants": ("Merchant and identity", "authentication"),
    "keys": ("API keys", "authentication"),
    "sandboxes": ("Sandboxes", "sandboxes"),
    "simulator": ("Test-mode simulator", "testing"),
    "docs": ("Docs and errors", None),
}


@dataclass(frozen=True)
class Group:
    module: str
    title: str
    doc: str | None
    operations: tuple[Operation, ...]


def ordered() -> list[Operation]:
    """Every operation in the skill's reading order (the order of ``groups()``)."""
    return [op for group in groups() for op in group.operations]


def module_of(op: Operation) -> str:
    return op.handler.__module__.rsplit(".", 1)[-1]


def groups() -> list[Group]:
    """Operations by resource; within a resource, in source order (whatever the registry's own order)."""
    by_module: dict[str, list[Operation]] = {}
    for op in registry.operations():
        by_module.setdefault(module_of(op), []).append(op)
    known = [m for m in GROUPS if m in by_module]
    order = known + sorted(m for m in by_module if m not in GROUPS)
    out = []
    for module in order:
        title, doc = GROUPS.get(module, (module.replace("_", " ").capitalize(), None))
        ops = sorted(by_module[module], key=lambda op: op.handler.__code__.co_firstlineno)
        out.append(Group(module, title, doc, tuple(ops)))
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
