"""Payment sources at the edge: card numbers become tokens here and go no further.

Test cards and tokens follow Stripe's test mode so the same numbers work in both. A card number is
accepted in test mode only; it is checked (Luhn), mapped to its token, and forgotten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flint_core.kernel.errors import FlintError
from flint_core.processors.base import CardSource


@dataclass(frozen=True, slots=True)
class TestCard:
    number: str
    token: str
    brand: str
    behavior: str  # what the simulator does when it is charged with the customer present
    description: str
    setup: str = ""  # saving it: succeed | requires_3ds | decline (default: follows ``behavior``)
    off_session: str = ""  # charging it saved, customer absent (default: ``behavior``; 3DS cards succeed)

    @property
    def setup_behavior(self) -> str:
        if self.setup:
            return self.setup
        return {"succeed": "succeed", "requires_3ds": "requires_3ds", "refund_fails": "succeed"}.get(
            self.behavior, "decline")

    @property
    def off_session_behavior(self) -> str:
        return self.off_session or ("succeed" if self.behavior == "requires_3ds" else self.behavior)


TEST_CARDS = (
    TestCard("4242424242424242", "tok_visa", "visa", "succeed", "Succeeds."),
    TestCard("5555555555554444", "tok_mastercard", "mastercard", "succeed", "Succeeds."),
    TestCard("378282246310005", "tok_amex", "amex", "succeed", "Succeeds."),
    TestCard("4000000000000002", "tok_chargeDeclined", "visa", "generic_decline", "Declined (generic_decline)."),
    TestCard("4000000000009995", "tok_chargeDeclinedInsufficientFunds", "visa", "insufficient_funds",
             "Declined: insufficient funds."),
    TestCard("4000000000000069", "tok_chargeDeclinedExpiredCard", "visa", "expired_card", "Declined: expired card."),
    TestCard("4000000000000127", "tok_chargeDeclinedIncorrectCvc", "visa", "incorrect_cvc",
             "Declined: incorrect CVC."),
    TestCard("4000000000000119", "tok_chargeDeclinedProcessingError", "visa", "processing_error",
             "Fails with a processing error (transient: retryable)."),
    TestCard("4100000000000019", "tok_chargeDeclinedFraudulent", "visa", "fraudulent",
             "Declined as fraudulent (hard decline: do not retry)."),
    TestCard("4000000000009987", "tok_chargeDeclinedLostCard", "visa", "lost_card", "Declined: lost card (hard)."),
    TestCard("4000000000009979", "tok_chargeDeclinedStolenCard", "visa", "stolen_card",
             "Declined: stolen card (hard)."),
    TestCard("4000002500003155", "tok_threeDSecureRequired", "visa", "requires_3ds",
             "Requires 3D Secure: REQUIRES_ACTION until the customer authenticates, then confirm_payment. "
             "Saved: 3D Secure at setup, then off-session charges succeed."),
    TestCard("4000002760003184", "tok_authenticationRequired", "visa", "requires_3ds",
             "Requires 3D Secure always: at setup, on every charge, and an off-session charge fails with "
             "authentication_required.", off_session="authentication_required"),
    TestCard("4000008260003178", "tok_authenticationRequiredChargeDeclinedInsufficientFunds", "visa",
             "insufficient_funds", "Saved after 3D Secure at setup; then every charge is declined for "
             "insufficient funds.", setup="requires_3ds"),
    TestCard("4000000000000341", "tok_chargeCustomerFail", "visa", "generic_decline",
             "Saves without trouble; then every charge is declined (generic_decline).", setup="succeed"),
    TestCard("4000000000005126", "tok_refundFail", "visa", "refund_fails",
             "Charge succeeds; refunds are accepted (PENDING) and then fail."),
)
BY_NUMBER = {card.number: card for card in TEST_CARDS}
BY_TOKEN = {card.token: card for card in TEST_CARDS}
CARD_LIKE = re.compile(r"^[0-9][0-9 .\-/]{10,30}[0-9]$")  # digits with any usual separators


def luhn_ok(number: str) -> bool:
    total = 0
    for i, digit in enumerate(int(c) for c in reversed(number)):
        total += digit if i % 2 == 0 else (digit * 2 - 9 if digit > 4 else digit * 2)
    return total % 10 == 0


def _brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"34", "37"}:
        return "amex"
    if 51 <= int(number[:2]) <= 55 or 2221 <= int(number[:4]) <= 2720:
        return "mastercard"
    return "unknown"


def tokenize(source: str, *, test_mode: bool, param: str = "payment_source") -> CardSource:
    """A token, a test-mode card number, or a payment method id -> a CardSource (never the number)."""
    source = source.strip()
    if CARD_LIKE.match(source):
        number = re.sub(r"\D", "", source)
        if not test_mode:
            raise FlintError("card_number_not_allowed", param=param)
        if not (12 <= len(number) <= 19 and luhn_ok(number)):
            raise FlintError("invalid_card_number", param=param)
        card = BY_NUMBER.get(number)
        if card is not None:
            return CardSource(card.token, card.brand, number[-4:])
        return CardSource(f"tok_sim_{number[-4:]}", _brand(number), number[-4:])  # any other valid card succeeds
    card = BY_TOKEN.get(source)
    if card is not None:
        return CardSource(card.token, card.brand, card.number[-4:])
    if test_mode and re.fullmatch(r"tok_sim_[0-9]{4}", source):
        return CardSource(source, None, source[-4:])
    if source.startswith(("tok_", "pm_")) and not test_mode:
        return CardSource(source)  # a live processor's own token or payment method
    raise FlintError("invalid_payment_source", param=param)
