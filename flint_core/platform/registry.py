"""The operation registry: every operation declared once, exposed on every face.

An operation is a typed function ``handler(ctx, params) -> Output`` plus the facts each face needs: its
name, HTTP route, scope, safety block and group (the domain folder that declares it). ``flint_http``
builds its routes from ``operations()``; MCP, the tool catalog and SKILL.md read the same list.

Discovery is explicit: ``DOMAINS`` names every domain folder in reading order, and each declares its
operations in ``flint_core/<domain>/operations.py``. The order of ``operations()`` (domain, then source
line) is the order of every published list; it never depends on which module was imported first.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from flint_core.kernel.state_machine import StateMachine

# Scopes a key can carry. `x:write` implies `x:read`.
SCOPES = (
    "orders:read", "orders:write", "payments:write", "refunds:write", "customers:read", "customers:write",
    "coupons:write", "catalog:read", "catalog:write", "checkout:write", "logs:read", "keys:write",
    "sandboxes:write", "events:read", "webhooks:read", "webhooks:write",
)


@dataclass(frozen=True, slots=True)
class Safety:
    """The facts the MCP annotations (``hints``) and the `safety` block of the tool catalog and SKILL.md
    are derived from."""

    read_only: bool  # writes nothing but its request log
    destructive: bool = False  # cannot be undone: preview it first (key limit require_preview)
    idempotent: bool = False  # repeating it even with a NEW idempotency key changes nothing more
    open_world: bool = False  # reaches outside Flint: the card processor or a merchant's URL
    moves_money: bool = False
    reversible_by: str | None = None
    additive: bool = False  # only adds new objects: changes or removes nothing that exists


# Every operation's safety is one of these presets: the same words mean the same annotations everywhere.
READ_ONLY = Safety(read_only=True, idempotent=True)
CREATE = Safety(read_only=False, additive=True)  # adds new objects and changes nothing else
WRITE = Safety(read_only=False)  # changes existing objects (reversibly)
IDEMPOTENT_WRITE = Safety(read_only=False, idempotent=True)  # setting a value twice changes nothing more
DESTRUCTIVE = Safety(read_only=False, destructive=True)
# Charges the buyer's card (or captures a hold): undone by a refund.
MOVES_MONEY = Safety(read_only=False, open_world=True, moves_money=True, reversible_by="create_refund")
# Finishes a payment already started (a retry, 3D Secure): repeating it charges no more.
RESUMES_PAYMENT = Safety(read_only=False, idempotent=True, open_world=True, moves_money=True,
                         reversible_by="create_refund")
# Gives money back or lets a hold go (refund, void, cancel an authorized order): cannot be undone.
RELEASES_MONEY = Safety(read_only=False, destructive=True, open_world=True, moves_money=True)
# Queues new deliveries of an event to the merchant's URLs.
DELIVERS = Safety(read_only=False, additive=True, open_world=True)
# Saves a customer's card at the processor (a setup intent): adds, never charges.
SAVES_CARD = Safety(read_only=False, additive=True, open_world=True)
# Finishes a card setup already started (after 3D Secure): repeating it saves nothing more.
RESUMES_SETUP = Safety(read_only=False, idempotent=True, open_world=True)
# Ends something at the processor for good (a card setup, a saved card): cannot be undone.
ENDS_AT_PROCESSOR = Safety(read_only=False, destructive=True, open_world=True)


# Every domain folder that declares operations, in reading order: the order of the API reference, the
# tool catalog and SKILL.md.
DOMAINS = ("orders", "payments", "refunds", "checkout", "customers", "payment_methods", "catalog", "coupons", "tax", "activity",
           "webhooks", "notifications", "accounts", "test_helpers", "agent_docs")


@dataclass(frozen=True, slots=True)
class Group:
    """A domain as the faces present it, declared by its package (``flint_core/<domain>/__init__.py``)."""

    name: str  # the folder, e.g. "orders": also the name of its toolset
    title: str  # e.g. "Hosted checkout"
    description: str  # one line saying when an agent needs it (GET /v1/toolsets, list_toolsets)
    docs: str | None  # the slug of its guide under /docs, if it has one


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
    group: str  # the domain that declares it (one of DOMAINS)
    preview_by: str | None = None  # the preview whose preview_id confirms it (key limit require_preview)

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)


_OPERATIONS: dict[str, Operation] = {}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def operation(name: str, *, http: str, scope: str | None, safety: Safety, summary: str, auth: str = "key",
              group: str | None = None,
              preview_by: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an operation. The handler's docstring is its description, written for an agent; its group
    is the domain whose ``operations.py`` declares it unless ``group`` says otherwise."""

    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        hints = typing.get_type_hints(handler)
        method, path = http.split(" ", 1)
        domain = group or _domain_of(handler.__module__)
        if not _NAME.match(name) or name in _OPERATIONS:
            raise ValueError(f"bad or duplicate operation name {name!r}")
        if scope is not None and scope not in SCOPES:
            raise ValueError(f"{name}: unknown scope {scope!r}")
        if domain not in DOMAINS:
            raise ValueError(f"{name}: declared outside the domains of DOMAINS ({handler.__module__})")
        _OPERATIONS[name] = Operation(
            name=name, summary=summary, description=inspect.cleandoc(handler.__doc__ or ""), method=method,
            path=path, scope=scope, auth=auth, safety=safety, input_model=hints["params"],
            output_model=hints["return"], handler=handler, group=domain, preview_by=preview_by)
        return handler

    return register


def _domain_of(module: str) -> str:
    """``flint_core.orders.operations`` -> ``orders``."""
    parts = module.split(".")
    return parts[1] if len(parts) == 3 and parts[0] == "flint_core" and parts[2] == "operations" else module


@functools.cache
def declare() -> None:
    """Import every domain's package: each declares its error codes and event types (its errors.py and
    events.py import nothing that runs operations, so this is safe from anywhere, mid-import included)."""
    for domain in DOMAINS:
        importlib.import_module(f"flint_core.{domain}")


@functools.cache
def load() -> None:
    """Import every domain's operations once (importing one module alone registers only its operations),
    after every domain has declared its codes and event types."""
    declare()
    for domain in DOMAINS:
        importlib.import_module(f"flint_core.{domain}.operations")


def operations() -> list[Operation]:
    """Every operation in reading order: by domain (DOMAINS), then by position in its module."""
    load()
    return sorted(_OPERATIONS.values(),
                  key=lambda op: (DOMAINS.index(op.group), op.handler.__code__.co_firstlineno))


@functools.cache
def group(name: str) -> Group:
    """The presentation of one domain, read from its package: ``TITLE``, ``DESCRIPTION`` and ``DOCS``."""
    package = importlib.import_module(f"flint_core.{name}")
    return Group(name=name, title=package.TITLE, description=package.DESCRIPTION, docs=package.DOCS)


def groups() -> list[Group]:
    """Every domain, in reading order."""
    return [group(name) for name in DOMAINS]


@functools.cache
def machines() -> dict[str, StateMachine[Any]]:
    """Every state machine by resource, in reading order: each domain's ``lifecycle.MACHINES``."""
    found: dict[str, StateMachine[Any]] = {}
    for domain in DOMAINS:
        if importlib.util.find_spec(f"flint_core.{domain}.lifecycle") is not None:
            module = importlib.import_module(f"flint_core.{domain}.lifecycle")
            found.update((machine.resource, machine) for machine in module.MACHINES)
    return found


def get(name: str) -> Operation | None:
    load()
    return _OPERATIONS.get(name)


def registered(name: str) -> bool:
    return get(name) is not None
