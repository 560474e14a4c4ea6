"""A state machine as one table of legal transitions, and the actions each status allows.

Pure: no database, no registry. Each domain declares its statuses as a ``StrEnum`` and its machine in its
own ``lifecycle.py``; ``available_actions`` on an object is ``machine.actions_for(status)`` filtered by what
the calling key may do (the caller passes that predicate). Statuses read from the database are plain
strings, which compare and hash equal to their enum members.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from flint_core.kernel.errors import FlintError


def _or_list(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True)
class StateMachine(Generic[S]):
    resource: str  # "order", "payment_intent", ...
    initial: S
    transitions: dict[S, frozenset[S]]  # status -> statuses it may move to (every status is a key)
    actions: dict[str, frozenset[S]]  # operation name -> statuses in which it is legal
    error_codes: dict[str, str]  # operation name -> specific conflict code (default invalid_state_transition)

    @property
    def statuses(self) -> list[S]:
        return list(self.transitions)

    def can(self, status: str, action: str) -> bool:
        return status in self.actions.get(action, ())

    def actions_for(self, status: str, visible: Callable[[str], bool] = lambda _: True) -> list[str]:
        return [action for action, allowed in self.actions.items() if status in allowed and visible(action)]

    def require(self, status: str, action: str, object_id: str,
                visible: Callable[[str], bool] = lambda _: True) -> None:
        """Raise state_conflict_error unless ``action`` is legal in ``status``."""
        if self.can(status, action):
            return
        allowed = [s for s in self.statuses if s in self.actions.get(action, ())]
        code = self.error_codes.get(action, "invalid_state_transition")
        fields = {"status": status, "allowed": _or_list(allowed) if allowed else "no"}
        if code == "invalid_state_transition":
            fields |= {"resource": self.resource.replace("_", " ").capitalize(), "id": object_id, "operation": action}
        else:
            fields[f"{self.resource}_id"] = object_id
        reread = f"get_{self.resource}"
        suggested = [*self.actions_for(status, visible), *([reread] if visible(reread) else [])]
        raise FlintError(code, param=f"{self.resource}_id", suggested_actions=suggested, **fields)

    def check_transition(self, current: str, new: str) -> None:
        """Internal guard: the core never writes a status change the table does not allow."""
        if new != current and new not in self.transitions[current]:
            raise AssertionError(f"illegal {self.resource} transition {current} -> {new}")
