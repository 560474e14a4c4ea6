"""The event types about refunds: declared in the outbox's catalog when the domain is imported;
docs/events.md documents each."""

from __future__ import annotations

from functools import partial

from flint_core.platform import outbox
from flint_core.platform.outbox import CREATED

define = partial(outbox.define_event, domain="refunds")

define("refund.created", "refund", "A refund was created (create_refund). Usually still PENDING: refund.succeeded "
       "or refund.failed follows when the processor answers (in test mode, within the same call).", CREATED)
define("refund.succeeded", "refund", "A refund succeeded: the money is on its way back to the buyer. In the "
       "create_refund call itself, or later from the settlement job (`request_id` null).",
       "`status` (was `PENDING`), and `updated_at` / `order_status` when they changed")
define("refund.failed", "refund", "The processor failed a refund. `failure_reason` says why; its amount is "
       "refundable again, and the order gets order.updated.",
       "`status` (was `PENDING`), `failure_reason`, `order_status`, `updated_at`")
