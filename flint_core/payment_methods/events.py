"""The event types about customers' saved cards: declared in the outbox's catalog when the domain is
imported; docs/events.md documents each."""

from __future__ import annotations

from functools import partial

from flint_core.platform import outbox
from flint_core.platform.outbox import CREATED, was

define = partial(outbox.define_event, domain="payment_methods")

define("setup_intent.requires_action", "setup_intent", "Saving a card needs 3D Secure. Send the customer to "
       "`next_action.url`, then call confirm_setup_intent.", was("`PROCESSING`", "next_action", "version",
                                                                 "updated_at"))
define("setup_intent.succeeded", "setup_intent", "A card was saved (create_setup_intent or "
       "confirm_setup_intent); `payment_method_id` names it.", was("`PROCESSING` or `REQUIRES_ACTION`",
                                                                    "payment_method_id", "version", "updated_at"))
define("setup_intent.failed", "setup_intent", "A card could not be saved (declined, or 3D Secure failed); "
       "`failure` says why.", was("`PROCESSING` or `REQUIRES_ACTION`", "failure", "version", "updated_at"))
define("setup_intent.canceled", "setup_intent", "A setup intent waiting for 3D Secure was canceled "
       "(cancel_setup_intent).", was("`REQUIRES_ACTION`", "version", "updated_at"))
define("payment_method.attached", "payment_method", "A card was saved for a customer (a setup intent, or a "
       "payment with save_payment_method).", CREATED.format("payment_method_id"))
define("payment_method.updated", "payment_method", "A saved card changed: it became or stopped being the "
       "customer's default.", "`is_default`, `version`, `updated_at`")
define("payment_method.detached", "payment_method", "A saved card was detached (detach_payment_method): it is "
       "never charged again.", was("`ACTIVE`", "is_default", "version", "updated_at"))
define("payment_method.expiring", "payment_method", "A saved card expires within 30 days. Its expiry month ends "
       "then: ask the customer for a new card before it is charged again.",
       "none: the card itself did not change (an empty object)")
