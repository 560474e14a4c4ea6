"""The event types about the catalog: declared in the outbox's catalog when the domain is imported;
docs/events.md documents each."""

from __future__ import annotations

from functools import partial

from flint_core.platform import outbox
from flint_core.platform.outbox import CREATED

define = partial(outbox.define_event, domain="catalog")

define("item.created", "item", "An item was created, with its variations (create_item).", CREATED)
define("item.updated", "item", "An item or one of its variations changed. That is: update_item, unarchive_item, "
       "or a variation added, updated, archived or unarchived (the item carries its variations).",
       "`version`, `updated_at` and the fields (or `variations`) that changed")
define("item.archived", "item", "An item was archived: it can no longer be put on new order lines; orders "
       "that have it are untouched. unarchive_item sends item.updated.",
       "`status` (was `ACTIVE`), `available_actions`, `version`, `updated_at`")
define("inventory.adjusted", "inventory", "A tracked variation's stock counts changed. By adjust_inventory, "
       "set_inventory, a payment holding, selling or releasing an order line's units (the expiry job too), or a "
       "refund restocking them.", "`on_hand`, `reserved` and `available`, those that changed")
define("inventory.low", "inventory", "A variation's available stock fell to its low_stock_threshold or below "
       "(still above zero). Sent once per crossing, after inventory.adjusted.", "`on_hand`, `reserved` and "
       "`available`, those that changed")
define("inventory.out_of_stock", "inventory", "A variation's available stock fell to zero or below. Sent once "
       "per crossing, after inventory.adjusted.", "`on_hand`, `reserved` and `available`, those that changed")
