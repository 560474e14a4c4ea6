"""An API key's statuses. Pure."""

from __future__ import annotations

from enum import StrEnum

from flint_core.kernel.state_machine import StateMachine


class ApiKeyStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ROLLED = "ROLLED"  # replaced; works until its grace period ends
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


S = ApiKeyStatus

API_KEY = StateMachine(
    resource="api_key",
    initial=S.ACTIVE,
    transitions={S.ACTIVE: frozenset({S.ROLLED, S.EXPIRED, S.REVOKED}),
                 S.ROLLED: frozenset({S.EXPIRED, S.REVOKED}),
                 S.EXPIRED: frozenset({S.REVOKED}), S.REVOKED: frozenset()},
    actions={"roll_api_key": frozenset({S.ACTIVE}), "revoke_api_key": frozenset({S.ACTIVE, S.ROLLED, S.EXPIRED})},
    error_codes={},
)

MACHINES = (API_KEY,)
