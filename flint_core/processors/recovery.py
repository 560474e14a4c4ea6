"""What to do after a failed payment: one table from failure code to retryability and recovery options."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flint_core.processors.base import Failure

TRANSIENT = frozenset({"processing_error", "processor_timeout", "processor_unavailable", "try_again_later"})
HARD_DECLINES = frozenset({"fraudulent", "lost_card", "stolen_card", "pickup_card", "restricted_card",
                           "security_violation", "merchant_blacklist"})
CUSTOMER_ACTION = ("request_new_payment_method", "create_checkout_session", "send_invoice")
# A saved card charged off-session whose bank wants 3D Secure: the customer authenticates the same card on a
# hosted page (or pays an invoice); nothing is wrong with the card.
AUTHENTICATE = ("create_checkout_session", "send_invoice")


def classify(failure: Failure) -> tuple[str, bool, tuple[str, ...]]:
    """(category, retryable, recovery options) for a failure.

    transient: the same card may work on a new attempt (pay_order again); customer action: the customer
    must fix or replace the card (or pay on a hosted page, or by invoice later); hard decline: never retry
    automatically."""
    codes = {failure.code, failure.decline_code}
    if codes & TRANSIENT:
        return "transient", True, ("pay_order",)
    if codes & HARD_DECLINES:
        return "hard_decline", False, ()
    if failure.code == "authentication_required":
        return "customer_action", False, AUTHENTICATE
    return "customer_action", False, CUSTOMER_ACTION


def failure_block(failure: Failure, available: Callable[[str], bool]) -> dict[str, Any]:
    """The `failure` block of API.md section 2. Options that are operations appear only once they exist."""
    category, retryable, options = classify(failure)
    return {"code": failure.code, "decline_code": failure.decline_code, "message": failure.message,
            "category": category, "retryable": retryable,
            "recovery_options": [o for o in options if o == "request_new_payment_method" or available(o)]}
