"""The processor seam (DESIGN.md section 4).

Every call carries an idempotency ``key`` derived from the Flint object it serves (``pi_...:authorize``,
``re_...:refund``): the processor must treat a repeated call with the same key as the same request and
return the first outcome, so a retried call can never charge or refund twice. ``lookup`` answers "what
happened to the call with this key?" after a timeout or a crash.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class ChargeStatus(enum.Enum):
    SUCCEEDED = "SUCCEEDED"  # authorized and captured
    REQUIRES_CAPTURE = "REQUIRES_CAPTURE"  # authorized, held
    REQUIRES_ACTION = "REQUIRES_ACTION"  # 3D Secure: the customer must authenticate at next_action_url
    FAILED = "FAILED"  # declined or failed; see failure
    CANCELED = "CANCELED"  # hold released (void)


class RefundOutcome(enum.Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class CardSource:
    """What a payment is made with. Never a card number: numbers are tokenized at the edge."""

    token: str  # tok_visa, a simulator token, or a Stripe payment method id (pm_...)
    brand: str | None = None
    last4: str | None = None


@dataclass(frozen=True, slots=True)
class Failure:
    code: str  # card_declined, expired_card, incorrect_cvc, processing_error, authentication_required, ...
    decline_code: str | None  # generic_decline, insufficient_funds, fraudulent, lost_card, stolen_card, ...
    message: str


@dataclass(frozen=True, slots=True)
class ChargeResult:
    status: ChargeStatus
    reference: str  # the processor's id for the charge
    amount_authorized: int
    amount_captured: int
    failure: Failure | None = None
    next_action_url: str | None = None


@dataclass(frozen=True, slots=True)
class RefundResult:
    status: RefundOutcome
    reference: str
    failure_reason: str | None = None


class ProcessorError(Exception):
    """The processor could not be reached or failed (5xx), or did not answer in time.

    ``timeout`` True means the outcome is unknown (the call may have happened): retry with the same key
    or ``lookup``. False means the processor refused before doing anything."""

    def __init__(self, message: str, *, timeout: bool) -> None:
        super().__init__(message)
        self.timeout = timeout


class PaymentProcessor(Protocol):
    name: str  # "simulator" | "stripe"

    def authorize(self, *, key: str, amount: int, currency: str, source: CardSource, capture: bool,
                  description: str, return_url: str | None = None) -> ChargeResult:
        """Authorize ``amount`` (and capture it at once when ``capture``)."""
        ...

    def confirm(self, *, key: str, reference: str) -> ChargeResult:
        """Finish a charge after the customer's 3D Secure step."""
        ...

    def capture(self, *, key: str, reference: str, amount: int) -> ChargeResult:
        """Capture up to the authorized amount; the rest of the hold is released."""
        ...

    def void(self, *, key: str, reference: str) -> ChargeResult:
        """Release an uncaptured hold."""
        ...

    def refund(self, *, key: str, reference: str, amount: int) -> RefundResult:
        """Refund part or all of a captured charge. May answer PENDING and settle later."""
        ...

    def refund_status(self, *, reference: str) -> RefundResult:
        """The current state of a refund (for settling PENDING refunds)."""
        ...

    def lookup(self, *, key: str) -> ChargeResult | None:
        """The outcome of the authorize call made with ``key``, or None if it never reached the processor."""
        ...
