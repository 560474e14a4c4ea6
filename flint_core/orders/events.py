"""The event types about orders: declared in the outbox's catalog when the domain is imported;
docs/events.md documents each."""

from __future__ import annotations

from functools import partial

from flint_core.platform import outbox
from flint_core.platform.outbox import CREATED, was

define = partial(outbox.define_event, domain="orders")

define("order.created", "order", "An order was created. By create_order, or by create_checkout_session given line "
       "items instead of an order_id (the order then already shows its `checkout_session_url`).", CREATED)
define("order.updated", "order", "An order changed without a more specific order event. That is: update_order, "
       "apply_coupon or remove_coupon on an OPEN order; a voided hold putting an AUTHORIZED order back to OPEN "
       "(with payment.voided); a FAILED refund giving its money back (with refund.failed; the status may step back, "
       "e.g. REFUNDED -> PAID). A call that changes nothing emits nothing.",
       "for edits e.g. `line_items`, `pricing_amounts`, `coupons`, `metadata`, "
       "`tax_breakdown`, `settlement_amounts`; for a released hold or a failed refund `status`, "
       "`settlement_amounts`, `available_actions`; always `version` and `updated_at`")
define("order.authorized", "order", "A hold now covers the order's balance: the order is AUTHORIZED. Emitted with "
       "payment.authorized (pay_order or confirm_payment with capture_method MANUAL).",
       was("`OPEN`", "settlement_amounts", "version", "updated_at"))
define("order.paid", "order", "The order's balance was collected: the order is PAID. Emitted with "
       "payment.succeeded (automatic capture) or payment.captured (a hold captured).",
       was("`OPEN` or `AUTHORIZED`", "settlement_amounts", "line_items", "version", "updated_at")
       + " (`line_items`: their `refundable_quantity` opens up)")
define("order.canceled", "order", "The order was canceled (cancel_order). An AUTHORIZED order's hold is voided "
       "first, in the same call: payment.voided and order.updated (back to OPEN) come just before this.",
       was("`OPEN`", "version", "updated_at"))
define("order.closed", "order", "The order was closed (close_order). It is CLOSED: settled, accepting nothing more "
       "but refunds.", was("`PAID` or `PARTIALLY_REFUNDED`", "version", "updated_at"))
define("order.refunded", "order", "A refund was created against the order. Its money is reserved at once: "
       "`refunded_money` grows and the order becomes PARTIALLY_REFUNDED or REFUNDED (a CLOSED order stays CLOSED). "
       "Emitted with refund.created, before the processor settles the refund; if the refund later fails, "
       "order.updated reports the money coming back.",
       "`settlement_amounts`, `refund_ids`, `line_items` (for refunds of units: `refunded_quantity`), "
       "`status` (was `PAID` or `PARTIALLY_REFUNDED`) when it moved, `version`, `updated_at`")
