"""The operation registry: every operation declared once, exposed on every face (DESIGN.md section 2).

An operation is a typed function ``handler(ctx, params) -> Output`` plus the facts each face needs: its
name, HTTP route, scope and safety block. ``flint_http`` builds its routes from ``operations()``; later faces
(MCP, tool catalog, SKILL.md) read the same list.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

# Scopes a key can carry. `x:write` implies `x:read`.
SCOPES = (
    "orders:read", "orders:write", "payments:write", "refunds:write", "customers:read", "customers:write",
    "coupons:write", "catalog:read", "catalog:write", "checkout:write", "logs:read", "keys:write",
    "sandboxes:write", "events:read", "webhooks:read", "webhooks:write",
)


@dataclass(frozen=True, slots=True)
class Safety:
    """Becomes the MCP annotations and the `safety` block of the tool catalog and SKILL.md."""

    read_only: bool
    destructive: bool = False
    idempotent: bool = False
    open_world: bool = False
    moves_money: bool = False
    reversible_by: str | None = None


READ_ONLY = Safety(read_only=True, idempotent=True)
WRITE = Safety(read_only=False)
DESTRUCTIVE = Safety(read_only=False, destructive=True)


@dataclass(frozen=True)
class Operation:
    name: str
    summary: str
    description: str
    method: str
    path: str
    scope: str | None  # None: any valid key (or no key when auth is "public")
    auth: str  # "key" or "public"
    safety: Safety
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    handler: Callable[..., BaseModel]

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)


_OPERATIONS: dict[str, Operation] = {}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def operation(name: str, *, http: str, scope: str | None, safety: Safety, summary: str,
              auth: str = "key") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an operation. The handler's docstring is its description, written for an agent."""

    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        hints = typing.get_type_hints(handler)
        method, path = http.split(" ", 1)
        if not _NAME.match(name) or name in _OPERATIONS:
            raise ValueError(f"bad or duplicate operation name {name!r}")
        if scope is not None and scope not in SCOPES:
            raise ValueError(f"{name}: unknown scope {scope!r}")
        _OPERATIONS[name] = Operation(
            name=name, summary=summary, description=inspect.cleandoc(handler.__doc__ or ""), method=method,
            path=path, scope=scope, auth=auth, safety=safety, input_model=hints["params"],
            output_model=hints["return"], handler=handler)
        return handler

    return register


@functools.cache
def _load() -> None:
    """Import every operations module once (importing one module alone registers only its operations)."""
    import flint_core.operations as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")


def operations() -> list[Operation]:
    """Every operation, in a stable order (module, then position in it) whatever was imported first."""
    _load()
    return sorted(_OPERATIONS.values(), key=lambda op: (op.handler.__module__, op.handler.__code__.co_firstlineno))


def get(name: str) -> Operation | None:
    _load()
    return _OPERATIONS.get(name)


def registered(name: str) -> bool:
    return get(name) is not None
