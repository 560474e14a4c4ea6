"""The payments domain's error codes, registered in the one catalog of
flint_core.kernel.errors when the domain is imported; docs/errors.md documents every code."""

from __future__ import annotations

from functools import partial

from flint_core.kernel import errors
from flint_core.kernel.errors import CONFLICT

define = partial(errors.define, domain="payments")

define("payment_not_processing", CONFLICT, 409,
       "Payment {payment_intent_id} is {status}: retry_payment only re-drives a payment left PROCESSING by a "
       "processor timeout. A declined payment is final; to try again, call pay_order on its order with a "
       "payment_source and a new idempotency key.",
       "`retry_payment` asks the processor what became of a call whose outcome is unknown; it never re-sends a "
       "card that was declined. For a FAILED payment, follow its `failure.recovery_options`: `pay_order` again "
       "(a new idempotency key, usually a new `payment_source`) when `suggested_actions` lists it.")
