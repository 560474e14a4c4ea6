"""A payment intent's statuses and the operations each allows. Pure."""

from __future__ import annotations

from enum import StrEnum

from flint_core.kernel.state_machine import StateMachine


class PaymentStatus(StrEnum):
    PROCESSING = "PROCESSING"
    REQUIRES_ACTION = "REQUIRES_ACTION"
    REQUIRES_CAPTURE = "REQUIRES_CAPTURE"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


S = PaymentStatus
IN_FLIGHT = frozenset({S.PROCESSING, S.REQUIRES_ACTION})  # a payment its order is waiting on

PAYMENT_INTENT = StateMachine(
    resource="payment_intent",
    initial=S.PROCESSING,  # created and persisted before the processor is called: the recovery point
    transitions={
        S.PROCESSING: frozenset({S.REQUIRES_ACTION, S.REQUIRES_CAPTURE, S.SUCCEEDED, S.FAILED}),
        S.REQUIRES_ACTION: frozenset({S.REQUIRES_CAPTURE, S.SUCCEEDED, S.FAILED, S.CANCELED}),
        S.REQUIRES_CAPTURE: frozenset({S.SUCCEEDED, S.CANCELED}),
        S.SUCCEEDED: frozenset(), S.FAILED: frozenset(), S.CANCELED: frozenset(),
    },
    actions={
        "retry_payment": frozenset({S.PROCESSING}),
        "confirm_payment": frozenset({S.REQUIRES_ACTION}),
        "capture_payment": frozenset({S.REQUIRES_CAPTURE}),
        "void_payment": frozenset({S.REQUIRES_CAPTURE, S.REQUIRES_ACTION}),
        "preview_refund": frozenset({S.SUCCEEDED}),
        "create_refund": frozenset({S.SUCCEEDED}),
    },
    error_codes={"retry_payment": "payment_not_processing"},
)

MACHINES = (PAYMENT_INTENT,)
