"""The event types about checkout sessions: declared in the outbox's catalog when the domain is imported;
docs/events.md documents each."""

from __future__ import annotations

from functools import partial

from flint_core.platform import outbox
from flint_core.platform.outbox import was

define = partial(outbox.define_event, domain="checkout")

define("checkout_session.completed", "checkout_session", "The buyer paid (SETUP: saved a card) on the hosted page. "
       "The session is COMPLETE and its order PAID (AUTHORIZED with capture_method MANUAL); the payment and order "
       "events of the same payment come just before this. A SETUP session's `payment_method_id` is the saved card "
       "(`payment_method.attached` comes first, unless the card was already saved) and `data.order` is null.",
       was("`OPEN`", "checkout_session_url", "payment_intent_id", "order_status", "amount_due_money",
            "updated_at"))
define("checkout_session.expired", "checkout_session", "A session ended unpaid. Its `expires_at` passed (written "
       "by the expiry job, `request_id` null) or expire_checkout_session was called; the order is untouched.",
       was("`OPEN`", "checkout_session_url", "updated_at") + "; after expire_checkout_session also `expires_at`")
define("checkout_session.canceled", "checkout_session", "A session can collect nothing more: its order (SETUP: "
       "setup intent) was canceled or paid elsewhere. Written by the expiry job right after the order's own event "
       "(`request_id` null), or when the page is next used.", was("`OPEN`", "checkout_session_url", "updated_at"))
