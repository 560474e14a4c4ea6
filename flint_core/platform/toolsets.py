"""Toolsets: which tools an agent face shows (API.md section 8a, docs/mcp.md#toolsets).

Every operation belongs to exactly one toolset, the domain folder that declares it (``op.group``). A
selection names toolsets (``orders,refunds``), ``all``, or nothing: then the **default set**, the
toolsets an agent selling and refunding needs (``DEFAULT``) plus ``whoami``. ``read_only`` keeps only the
tools that change nothing. Scopes and key limits still decide what a key may call (:func:`visible`); a
selection only decides what is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from flint_core.kernel.errors import FlintError
from flint_core.platform import registry
from flint_core.platform.auth import Principal

ALL = "all"
DEFAULT_NAME = "default"  # ?toolsets=default: the default set, said explicitly
DEFAULT = ("orders", "payments", "refunds", "customers", "agent_docs")
DEFAULT_EXTRA = ("whoami",)  # tools of other toolsets that every default session needs
DEFAULT_MAX_TOOLS = 40  # the default set stays under what clients load well (checked by a test)


def visible(principal: Principal, op: registry.Operation) -> bool:
    """Whether the key may use the operation: its scopes allow it and a `read_only` key limit does not
    rule it out (listing a tool the key can never call only invites a 403). Keyless write operations
    (create_merchant) are offered to unrestricted secret keys only: an agent on a restricted key has no
    business signing up merchants."""
    limits = principal.limits or {}
    if op.auth == "public" and not op.safety.read_only and (principal.kind != "secret" or limits):
        return False
    return principal.has_scope(op.scope) and not (limits.get("read_only") and not op.safety.read_only)


def names() -> list[str]:
    """Every toolset, in reading order."""
    return list(registry.DOMAINS)


@dataclass(frozen=True, slots=True)
class Selection:
    """What a face shows. ``toolsets`` None is the default set; ``enabled`` are toolsets added to it
    during an MCP session (``enable_toolset``)."""

    toolsets: frozenset[str] | None = None
    read_only: bool = False
    enabled: frozenset[str] = frozenset()

    @property
    def is_default(self) -> bool:
        return self.toolsets is None

    def shows(self, op: registry.Operation) -> bool:
        if self.read_only and not op.safety.read_only:
            return False
        if op.group in self.enabled:
            return True
        if self.toolsets is None:
            return op.group in DEFAULT or op.name in DEFAULT_EXTRA
        return op.group in self.toolsets

    def shows_toolset(self, name: str) -> bool:
        """Whether the whole toolset is shown (a toolset of the default set, selected or enabled)."""
        return name in self.enabled or name in (DEFAULT if self.toolsets is None else self.toolsets)

    def enabling(self, toolsets: frozenset[str]) -> Selection:
        return Selection(self.toolsets, self.read_only, self.enabled | toolsets)


def _split(value: str | None) -> set[str]:
    return {part.strip() for part in (value or "").split(",") if part.strip()}


def _refuse_unknown(wanted: set[str], keywords: tuple[str, ...]) -> None:
    unknown = sorted(wanted - {*names(), *keywords})
    if unknown:
        said = ", ".join(f"`{k}`" for k in keywords)
        raise FlintError("parameter_invalid", param="toolsets", detail=f"unknown toolset {unknown[0]!r}; use "
                         f"{said} or some of: {', '.join(names())}")


def parse(value: str | None) -> frozenset[str] | None:
    """``orders,refunds`` -> the toolsets; ``all`` -> every toolset; empty or absent -> None. Unknown
    names are a 400 naming ``toolsets`` and the known ones."""
    wanted = _split(value)
    _refuse_unknown(wanted, (ALL,))
    if not wanted:
        return None
    return frozenset(names()) if ALL in wanted else frozenset(wanted)


def parse_flag(value: str | None, *, param: str = "read_only") -> bool:
    """``true``/``false`` (also 1/0, yes/no); absent is false; anything else a 400 naming ``param``."""
    if value is None or value == "":
        return False
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise FlintError("parameter_invalid", param=param, detail="use true or false")


def selection(value: str | None, read_only: str | None = None, *, absent_means_all: bool = False) -> Selection:
    """The selection a query string, header or command line asks for: toolset names, ``all``, ``default``
    (the default set; ``default,webhooks`` is it and more), or nothing: the default set (MCP), or every
    toolset when ``absent_means_all`` (the tool catalog lists every operation the key may use)."""
    flag = parse_flag(read_only)
    wanted = _split(value)
    _refuse_unknown(wanted, (ALL, DEFAULT_NAME))
    if not wanted:
        return Selection(frozenset(names()) if absent_means_all else None, flag)
    chosen = frozenset(names()) if ALL in wanted else frozenset(wanted - {DEFAULT_NAME})
    return Selection(None, flag, chosen) if DEFAULT_NAME in wanted else Selection(chosen, flag)


def shown(principal: Principal, chosen: Selection) -> list[registry.Operation]:
    """The operations a face lists for this key and selection, in reading order."""
    return [op for op in registry.operations() if chosen.shows(op) and visible(principal, op)]
