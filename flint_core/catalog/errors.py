"""The catalog domain's error codes, registered in the one catalog of flint_core.kernel.errors when the
domain is imported; docs/errors.md documents every code."""

from __future__ import annotations

from functools import partial

from flint_core.kernel import errors
from flint_core.kernel.errors import CONFLICT, INVALID

define = partial(errors.define, domain="catalog")

define("sku_already_exists", CONFLICT, 409, "SKU {sku!r} is already used by variation {variation_id}.",
       "SKUs are unique per merchant and mode (compared without case), archived variations included. Use "
       "another SKU, or find the variation that has it with search_items(sku=...).")
define("item_version_conflict", CONFLICT, 409,
       "Item {item_id} is at version {current}, not {expected}: it changed since you read it.",
       "Someone changed the item after you read it. Read it again (get_item), check the change still makes "
       "sense, and send the new `version`.")
define("variation_version_conflict", CONFLICT, 409,
       "Variation {variation_id} is at version {current}, not {expected}: it changed since you read it.",
       "Someone changed the variation after you read it. Read its item again (get_item) and send the new "
       "`version`.")
define("too_many_variations", INVALID, 400, "An item can have at most {limit} variations.",
       "Split the product into several items, or archive variations you no longer sell (archived ones count).")
define("variation_price_invalid", INVALID, 400, "{detail}",
       "A FIXED variation needs `price_money`; a VARIABLE one takes its price on each order line and must "
       "not have one.")
define("variation_is_variable", CONFLICT, 409, "Variation {variation_id} is VARIABLE: it has no price of its own.",
       "A VARIABLE variation is priced on each order line. Leave price_money out, or add a FIXED variation.")
define("inventory_not_tracked", CONFLICT, 409, "Variation {variation_id} does not track its inventory.",
       "Flint counts stock only for variations with `track_inventory: true`: turn it on with update_variation, "
       "then set the count with set_inventory.")
define("insufficient_inventory", CONFLICT, 409, "Variation {variation_id} has {available} available; this needs "
       "{wanted}.", "A DENY variation never sells or removes more than it has available (on_hand - reserved). "
       "Nothing changed. Receive stock first (adjust_inventory), or sell less.")
define("inventory_changed", CONFLICT, 409, "Variation {variation_id} has {on_hand} on hand, not the {expected} "
       "you expected: its stock moved since you read it.", "Nothing changed. Read the count again "
       "(get_inventory) and decide whether your recount still applies.")
define("price_not_overridable", INVALID, 422, "Variation {variation_id} has a FIXED price; {param} cannot change it.",
       "An order line from the catalog takes the variation's own price. Leave unit_price_money out; only a "
       "VARIABLE variation takes its price on the line.")
define("variation_archived", CONFLICT, 409, "Variation {variation_id} is archived (or its item is): it takes no "
       "new order lines.", "Orders that already have it keep it. Sell another variation, or bring this one back "
       "with unarchive_variation (unarchive_item for its item).")
