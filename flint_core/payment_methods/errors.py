"""The saved-card domain's error codes, registered in the one catalog of flint_core.kernel.errors when the
domain is imported; docs/errors.md documents every code."""

from __future__ import annotations

from functools import partial

from flint_core.kernel import errors
from flint_core.kernel.errors import CONFLICT, INVALID

define = partial(errors.define, domain="payment_methods")

define("payment_method_detached", CONFLICT, 409, "Payment method {payment_method_id} was detached: it can never "
       "be charged or made the default again.", "Detaching is final. Save the card again (create_setup_intent, "
       "or pay_order with save_payment_method) to get a new payment method, or use another of the customer's "
       "(list_payment_methods).")
define("payment_method_customer_mismatch", INVALID, 400, "Payment method {payment_method_id} belongs to customer "
       "{owner}, not {customer_id}.", "A saved card is charged only for its own customer. Use one of this "
       "customer's cards (list_payment_methods), or attach the order to the card's customer.")
define("customer_required", INVALID, 400, "{detail}", "Saving a card, or charging the card on file, needs a "
       "customer: create one (create_customer) and give its customer_id on the order (update_order) or the setup "
       "intent.")
