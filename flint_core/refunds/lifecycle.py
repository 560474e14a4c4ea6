"""A refund's statuses. Pure."""

from __future__ import annotations

from enum import StrEnum

from flint_core.kernel.state_machine import StateMachine


class RefundStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


S = RefundStatus

REFUND = StateMachine(
    resource="refund",
    initial=S.PENDING,
    transitions={S.PENDING: frozenset({S.SUCCEEDED, S.FAILED, S.CANCELED}), S.SUCCEEDED: frozenset(),
                 S.FAILED: frozenset(), S.CANCELED: frozenset()},
    actions={},
    error_codes={},
)

MACHINES = (REFUND,)
