"""The statuses of items and variations. Pure.

Archiving is how a catalog object leaves sale: orders keep referring to it, so nothing in the catalog is
ever deleted (a dangling id in an old order is the failure this avoids)."""

from __future__ import annotations

from enum import StrEnum

from flint_core.kernel.state_machine import StateMachine


class CatalogStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


S = CatalogStatus

ITEM = StateMachine(
    resource="item",
    initial=S.ACTIVE,
    transitions={S.ACTIVE: frozenset({S.ARCHIVED}), S.ARCHIVED: frozenset({S.ACTIVE})},
    actions={"update_item": frozenset({S.ACTIVE, S.ARCHIVED}), "add_variation": frozenset({S.ACTIVE}),
             "archive_item": frozenset({S.ACTIVE}), "unarchive_item": frozenset({S.ARCHIVED})},
    error_codes={},
)

VARIATION = StateMachine(
    resource="variation",
    initial=S.ACTIVE,
    transitions={S.ACTIVE: frozenset({S.ARCHIVED}), S.ARCHIVED: frozenset({S.ACTIVE})},
    actions={"update_variation": frozenset({S.ACTIVE, S.ARCHIVED}), "archive_variation": frozenset({S.ACTIVE}),
             "unarchive_variation": frozenset({S.ARCHIVED})},
    error_codes={},
)

MACHINES = (ITEM, VARIATION)
