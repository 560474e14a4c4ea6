"""The event types about payment intents: declared in the outbox's catalog when the domain is imported;
docs/events.md documents each."""

from __future__ import annotations

from functools import partial

from flint_core.platform import outbox
from flint_core.platform.outbox import was

define = partial(outbox.define_event, domain="payments")

define("payment.succeeded", "payment_intent", "A payment collected its amount at once (automatic capture). From "
       "pay_order, confirm_payment after 3D Secure, retry_payment, or the hosted page; order.paid follows.",
       was("`PROCESSING` or `REQUIRES_ACTION`", "amount_captured_money", "attempts", "order_status",
            "processor_reference", "next_action"))
define("payment.failed", "payment_intent", "A payment was declined or failed. Its `failure` block says whether "
       "and how to recover; the order stays OPEN and shows it as `last_payment_failure` (`data.order`). A "
       "decline is an outcome, not an error.", was("`PROCESSING` or `REQUIRES_ACTION`", "failure", "attempts",
                                                   "processor_reference"))
define("payment.requires_action", "payment_intent", "A payment needs the buyer to authenticate (3D Secure). Send "
       "them to `next_action.url`, then call confirm_payment.",
       was("`PROCESSING`", "next_action", "attempts", "processor_reference"))
define("payment.authorized", "payment_intent", "A manual-capture payment holds funds. Until capture_payment or "
       "void_payment; order.authorized follows.",
       was("`PROCESSING` or `REQUIRES_ACTION`", "attempts", "order_status", "processor_reference"))
define("payment.captured", "payment_intent", "A held payment was captured (capture_payment). Fully or partially "
       "(`amount_captured_money`); order.paid follows.",
       was("`REQUIRES_CAPTURE`", "amount_captured_money", "attempts", "order_status", "updated_at"))
define("payment.voided", "payment_intent", "An uncaptured payment was voided; its status is CANCELED. A hold "
       "released (void_payment, or cancel_order on an AUTHORIZED order; order.updated follows, the order back to "
       "OPEN) or an abandoned 3D Secure payment (the order stays OPEN, no order event).",
       was("`REQUIRES_CAPTURE` or `REQUIRES_ACTION`", "attempts", "order_status", "updated_at"))
