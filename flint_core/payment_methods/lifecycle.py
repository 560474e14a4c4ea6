"""The statuses of saved cards and of the setup intents that save them, and what each allows. Pure."""

from __future__ import annotations

from enum import StrEnum

from flint_core.kernel.state_machine import StateMachine


class PaymentMethodStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DETACHED = "DETACHED"  # final: never charged again


class SetupIntentStatus(StrEnum):
    PROCESSING = "PROCESSING"  # persisted before the processor is called: the recovery point
    REQUIRES_ACTION = "REQUIRES_ACTION"  # 3D Secure at setup
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


P, S = PaymentMethodStatus, SetupIntentStatus

PAYMENT_METHOD = StateMachine(
    resource="payment_method",
    initial=P.ACTIVE,
    transitions={P.ACTIVE: frozenset({P.DETACHED}), P.DETACHED: frozenset()},
    actions={"set_default_payment_method": frozenset({P.ACTIVE}), "detach_payment_method": frozenset({P.ACTIVE}),
             "preview_detach_payment_method": frozenset({P.ACTIVE})},
    error_codes={"set_default_payment_method": "payment_method_detached"},
)

SETUP_INTENT = StateMachine(
    resource="setup_intent",
    initial=S.PROCESSING,
    transitions={
        S.PROCESSING: frozenset({S.REQUIRES_ACTION, S.SUCCEEDED, S.FAILED, S.CANCELED}),
        S.REQUIRES_ACTION: frozenset({S.SUCCEEDED, S.FAILED, S.CANCELED}),
        S.SUCCEEDED: frozenset(), S.FAILED: frozenset(), S.CANCELED: frozenset(),
    },
    actions={"confirm_setup_intent": frozenset({S.REQUIRES_ACTION}),
             "cancel_setup_intent": frozenset({S.REQUIRES_ACTION})},
    error_codes={},
)

MACHINES = (PAYMENT_METHOD, SETUP_INTENT)
