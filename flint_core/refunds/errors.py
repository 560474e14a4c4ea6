"""The refunds domain's error codes, registered in the one catalog of
flint_core.kernel.errors when the domain is imported; docs/errors.md documents every code."""

from __future__ import annotations

from functools import partial

from flint_core.kernel import errors
from flint_core.kernel.errors import INVALID

define = partial(errors.define, domain="refunds")

define("refund_exceeds_refundable", INVALID, 400,
       "A refund of {amount} exceeds what is left to refund on order {order_id} ({refundable}).",
       "Refunds never exceed `settlement_amounts.refundable_money`. Call preview_refund to see what is possible.")
define("refund_exceeds_quantity", INVALID, 400,
       "Line {line_item_id} has {refundable} unit(s) left to refund; {quantity} requested.",
       "Each line refunds at most its `refundable_quantity`. Call get_order or preview_refund first.")
define("nothing_to_refund", INVALID, 400, "Order {order_id} has nothing left to refund.",
       "Everything paid on this order has already been refunded.")
