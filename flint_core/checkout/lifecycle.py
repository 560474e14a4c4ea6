"""A checkout session's statuses. Pure."""

from __future__ import annotations

from enum import StrEnum

from flint_core.kernel.state_machine import StateMachine


class CheckoutSessionStatus(StrEnum):
    OPEN = "OPEN"
    COMPLETE = "COMPLETE"
    EXPIRED = "EXPIRED"
    CANCELED = "CANCELED"


S = CheckoutSessionStatus

CHECKOUT_SESSION = StateMachine(
    resource="checkout_session",
    initial=S.OPEN,
    # COMPLETE: paid through its page; EXPIRED: expires_at passed (or expired early); CANCELED: its order
    # was canceled or paid some other way, so the page has nothing left to collect
    transitions={S.OPEN: frozenset({S.COMPLETE, S.EXPIRED, S.CANCELED}), S.COMPLETE: frozenset(),
                 S.EXPIRED: frozenset(), S.CANCELED: frozenset()},
    actions={"expire_checkout_session": frozenset({S.OPEN})},
    error_codes={},
)

MACHINES = (CHECKOUT_SESSION,)
