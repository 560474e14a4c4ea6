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
    customer: str | None = None  # the processor's customer a saved card belongs to (Stripe's cus_...)


@dataclass(frozen=True, slots=True)
class CardDetails:
    """A card a customer saved, as the processor describes it: never its number. ``reference`` is what
    charges it later (the simulator's token; a Stripe payment method id)."""

    reference: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    funding: str  # credit | debit | prepaid | unknown
    country: str | None
    fingerprint: str  # the same card number gives the same fingerprint


class SetupStatus(enum.Enum):
    SUCCEEDED = "SUCCEEDED"  # the card is saved and may be charged later
    REQUIRES_ACTION = "REQUIRES_ACTION"  # 3D Secure at setup: the customer must authenticate first
    FAILED = "FAILED"
    CANCELED = "CANCELED"


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
    card: CardDetails | None = None  # the card's details, when the payment is to save it


@dataclass(frozen=True, slots=True)
class SetupResult:
    status: SetupStatus
    reference: str  # the processor's id for the setup
    card: CardDetails | None = None  # once SUCCEEDED
    failure: Failure | None = None
    next_action_url: str | None = None
    customer: str | None = None  # the processor's customer the card is saved under, to remember


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
                  description: str, return_url: str | None = None, off_session: bool = False) -> ChargeResult:
        """Authorize ``amount`` (and capture it at once when ``capture``). ``off_session``: the customer is
        not there to authenticate (a saved card charged later): a card that needs 3D Secure then fails
        with ``authentication_required`` instead of asking."""
        ...

    def setup(self, *, key: str, source: CardSource, customer_key: str, return_url: str | None = None
              ) -> SetupResult:
        """Save a card for later charges without charging it (it may ask for 3D Secure first), under the
        processor's customer ``source.customer``, or a new one for the Flint customer ``customer_key``."""
        ...

    def confirm_setup(self, *, key: str, reference: str) -> SetupResult:
        """Finish a setup after the customer's 3D Secure step."""
        ...

    def cancel_setup(self, *, key: str, reference: str) -> SetupResult:
        """Abandon a setup that has not succeeded."""
        ...

    def describe(self, *, source: CardSource) -> CardDetails:
        """The card a payment was made with, to save it (``save_payment_method``)."""
        ...

    def detach(self, *, key: str, reference: str) -> None:
        """Forget a saved card: it can never be charged again."""
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
