"""The orders domain's error codes, registered in the one catalog of
flint_core.kernel.errors when the domain is imported; docs/errors.md documents every code."""

from __future__ import annotations

from functools import partial

from flint_core.kernel import errors
from flint_core.kernel.errors import CONFLICT, INVALID

define = partial(errors.define, domain="orders")

for _code, _verb in (("order_not_editable", "edited"), ("order_not_cancelable", "canceled"),
                     ("order_not_closable", "closed"), ("order_not_payable", "paid"),
                     ("order_not_refundable", "refunded")):
    define(_code, CONFLICT, 409, "Order {order_id} is {status}; only {allowed} orders can be " + _verb + ".",
           f"The order's status does not allow it to be {_verb} now. `available_actions` on the order lists "
           "what is legal; `suggested_actions` in the error repeats it.")
define("too_many_line_items", INVALID, 400, "An order can hold at most {limit} line items; this one would have {count}.",
       "Split very large baskets into several orders, or group identical items into one line with a quantity.")
define("order_requires_line_items", INVALID, 400, "An order needs at least one line item.",
       "Orders are priced from their line items; removing the last one is not allowed. Cancel the order instead.")
define("line_item_not_found", INVALID, 400, "Order {order_id} has no line item {line_item_id}.",
       "The `line_item_id` must be one of the order's own `line_items[].line_item_id`. Call `get_order` first.")
define("order_version_conflict", CONFLICT, 409,
       "Order {order_id} is at version {current}, not {given}; it changed since you read it.",
       "Someone else changed the order after you read it. Fetch it again, re-check, and resend with the new version.")
define("payment_in_progress", CONFLICT, 409,
       "Order {order_id} has payment {payment_intent_id} in flight ({status}); it cannot change until that ends.",
       "A payment is processing or waiting for 3D Secure. Finish it (confirm_payment, retry_payment) or release it "
       "(void_payment) first.")
