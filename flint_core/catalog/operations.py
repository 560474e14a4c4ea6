"""Catalog operations: items and their variations. Every write locks the item (then its variations),
bumps the item's `version`, records an activity and emits an item event, in the request's transaction."""

from __future__ import annotations

from sqlalchemy import or_, select

from flint_core.catalog import service, stock
from flint_core.catalog.inputs import (
    AddVariationInput,
    AdjustInventoryInput,
    CreateItemInput,
    GetItemInput,
    ItemActionInput,
    ListInventoryAdjustmentsInput,
    ListItemsInput,
    SearchItemsInput,
    SetInventoryInput,
    UpdateItemInput,
    UpdateVariationInput,
    VariationActionInput,
    VariationInventoryInput,
)
from flint_core.catalog.lifecycle import ITEM, VARIATION, CatalogStatus
from flint_core.catalog.views import AdjustmentOut, InventoryOut, ItemOut, adjustment_out, inventory_out, item_out
from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError
from flint_core.platform.context import Context
from flint_core.platform.pagination import Page, paginate
from flint_core.platform.queries import contains, fetch, merge_metadata, scoped
from flint_core.platform.registry import CREATE, READ_ONLY, WRITE, operation
from flint_core.store.tables import InventoryAdjustment, Item, Variation


@operation("create_item", http="POST /v1/items", scope="catalog:write", safety=CREATE,
           summary="Create a catalog item with its variations (each with a price, SKU and stock settings).")
def create_item(ctx: Context, params: CreateItemInput) -> ItemOut:
    """Create an item and at least one variation: the priced, sellable unit an order line references by
    `variation_id`. FIXED variations carry `price_money`; VARIABLE ones are priced on each order line.
    SKUs are unique per merchant and mode. Errors: 409 `sku_already_exists` (param names the variation),
    400 `variation_price_invalid`."""
    skus = {f"variations.{i}.sku": v.sku for i, v in enumerate(params.variations) if v.sku}
    for i, fields in enumerate(params.variations):
        service.check_price(fields, f"variations.{i}.")
    service.claim_skus(ctx, skus)
    item = Item(item_id=ids.new_id("item"), merchant_id=ctx.merchant_id, env_id=ctx.env_id, name=params.name,
                description=params.description or None, tax_category=params.tax_category.value,
                status=CatalogStatus.ACTIVE.value, image_urls=params.image_urls, version=1, metadata_=params.metadata,
                created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(item)
    for position, fields in enumerate(params.variations):
        ctx.session.add(service.new_variation(ctx, item, fields, position))
    service.flush_skus(ctx, skus)
    ctx.record("item", item.item_id, "ITEM_CREATED", {"name": [None, item.name],
                                                      "variations": [None, len(params.variations)]})
    return service.announce(ctx, "item.created", item, None)


@operation("get_item", http="GET /v1/items/{item_id}", scope="orders:read", safety=READ_ONLY,
           summary="Fetch an item with its variations, prices and stock.")
def get_item(ctx: Context, params: GetItemInput) -> ItemOut:
    """Fetch an item by id, with every variation (ACTIVE and ARCHIVED), its price and stock counts. To find
    an item by name or SKU, use search_items."""
    return service.render(ctx, fetch(ctx, Item, params.item_id, resource="item"))


def _items(ctx: Context, params: ListItemsInput) -> Page[ItemOut]:
    """Items matching the filters, newest first, a page at a time, with their variations."""
    status = params.status.value if params.status else None
    stmt = scoped(ctx, Item)
    if status:
        stmt = stmt.where(Item.status == status)
    skus = select(Variation.item_id).where(Variation.merchant_id == ctx.merchant_id, Variation.env_id == ctx.env_id)
    if params.query:
        stmt = stmt.where(or_(contains(Item.name, params.query), contains(Item.description, params.query),
                              Item.item_id.in_(skus.where(contains(Variation.sku, params.query)))))
    if params.sku:
        stmt = stmt.where(Item.item_id.in_(skus.where(Variation.sku_key == params.sku.lower())))
    rows, token = paginate(ctx.session, stmt, Item.item_id, params,
                           {"status": status, "query": params.query, "sku": params.sku})
    variations = service.variations_of(ctx, [item.item_id for item in rows])
    return Page[ItemOut](data=[item_out(ctx, item, variations[item.item_id]) for item in rows], next_page_token=token)


@operation("list_items", http="GET /v1/items", scope="orders:read", safety=READ_ONLY,
           summary="List catalog items, newest first, optionally filtered by status, text or SKU.")
def list_items(ctx: Context, params: ListItemsInput) -> Page[ItemOut]:
    """List items with their variations, newest first: all, or only ACTIVE or ARCHIVED ones, or those
    matching `query` / `sku` as in search_items."""
    return _items(ctx, params)


@operation("search_items", http="GET /v1/items/search", scope="orders:read", safety=READ_ONLY,
           summary="Find items by text in their name, description or SKU, or by exact SKU.")
def search_items(ctx: Context, params: SearchItemsInput) -> Page[ItemOut]:
    """Find items whose name, description or a variation's SKU contains `query` (case-insensitive), and/or
    whose variation has exactly `sku`. Use it to turn "the large flat white" into a `variation_id` for
    create_order. Newest first. (The same filters work on list_items.)"""
    return _items(ctx, params)


@operation("update_item", http="PATCH /v1/items/{item_id}", scope="catalog:write", safety=WRITE,
           summary="Change an item's name, description, tax category, images or metadata.")
def update_item(ctx: Context, params: UpdateItemInput) -> ItemOut:
    """Change an item. Send the `version` you read to be sure nobody changed it since (409
    `item_version_conflict` otherwise). New order lines use the change; existing orders keep what they were
    created with."""
    item = service.locked_item(ctx, params.item_id)
    service.check_version(params.version, item.version, "item_version_conflict", item_id=item.item_id)
    before = service.render(ctx, item).model_dump(mode="json")
    delta = {}
    given = {name: getattr(params, name) for name in ("name", "description", "image_urls", "tax_category")
             if getattr(params, name) is not None}
    if "description" in given:
        given["description"] = given["description"] or None  # "" clears it
    if "tax_category" in given:
        given["tax_category"] = given["tax_category"].value
    for name, value in given.items():
        if value != getattr(item, name):
            delta[name] = [getattr(item, name), value]
            setattr(item, name, value)
    metadata = merge_metadata(item.metadata_, params.metadata)
    if metadata != item.metadata_:
        delta["metadata"] = [item.metadata_, metadata]
        item.metadata_ = metadata
    if not delta:
        return service.render(ctx, item)
    service.bump(ctx, item)
    ctx.record("item", item.item_id, "ITEM_UPDATED", delta)
    return service.announce(ctx, "item.updated", item, before)


def _set_item_status(ctx: Context, params: ItemActionInput, action: str, status: CatalogStatus,
                     event_type: str) -> ItemOut:
    item = service.locked_item(ctx, params.item_id)
    ITEM.require(item.status, action, item.item_id, ctx.can)
    before = service.render(ctx, item).model_dump(mode="json")
    ctx.record("item", item.item_id, f"ITEM_{status.value}", {"status": [item.status, status.value]})
    item.status = status.value
    service.bump(ctx, item)
    return service.announce(ctx, event_type, item, before)


@operation("archive_item", http="POST /v1/items/{item_id}/archive", scope="catalog:write", safety=WRITE,
           summary="Archive an item: no new order lines; existing orders are untouched.")
def archive_item(ctx: Context, params: ItemActionInput) -> ItemOut:
    """Take an item off sale. Orders that have it keep it; new lines referencing its variations are refused.
    Items are never deleted (orders refer to them): unarchive_item puts it back on sale."""
    return _set_item_status(ctx, params, "archive_item", CatalogStatus.ARCHIVED, "item.archived")


@operation("unarchive_item", http="POST /v1/items/{item_id}/unarchive", scope="catalog:write", safety=WRITE,
           summary="Put an archived item back on sale.")
def unarchive_item(ctx: Context, params: ItemActionInput) -> ItemOut:
    """Make an ARCHIVED item ACTIVE again (its variations keep their own status)."""
    return _set_item_status(ctx, params, "unarchive_item", CatalogStatus.ACTIVE, "item.updated")


@operation("add_variation", http="POST /v1/items/{item_id}/variations", scope="catalog:write", safety=WRITE,
           summary="Add a variation (size, color, ...) with its price and SKU to an item.")
def add_variation(ctx: Context, params: AddVariationInput) -> ItemOut:
    """Add a variation to an ACTIVE item; returns the item with it. An item holds at most 250 variations,
    archived ones included (400 `too_many_variations`)."""
    item = service.locked_item(ctx, params.item_id)
    ITEM.require(item.status, "add_variation", item.item_id, ctx.can)
    service.check_price(params, "")
    skus = {"sku": params.sku} if params.sku else {}
    service.claim_skus(ctx, skus)
    before = service.render(ctx, item).model_dump(mode="json")
    variation = service.new_variation(ctx, item, params, service.room_for(ctx, item.item_id, 1))
    ctx.session.add(variation)
    service.flush_skus(ctx, skus)
    service.bump(ctx, item)
    ctx.record("item", item.item_id, "VARIATION_ADDED", {"variation_id": [None, variation.variation_id]})
    return service.announce(ctx, "item.updated", item, before)


@operation("update_variation", http="PATCH /v1/variations/{variation_id}", scope="catalog:write", safety=WRITE,
           summary="Change a variation's name, SKU, price, stock policy or metadata.")
def update_variation(ctx: Context, params: UpdateVariationInput) -> ItemOut:
    """Change a variation; returns its item. A new price applies to new order lines only: existing orders
    keep the price they were created with. Send the `version` you read (409 `variation_version_conflict`)."""
    variation, item = service.locked_variation(ctx, params.variation_id)
    service.check_version(params.version, variation.version, "variation_version_conflict",
                          variation_id=variation.variation_id)
    if params.price_money is not None and variation.pricing_type != "FIXED":
        raise FlintError("variation_is_variable", param="price_money", variation_id=variation.variation_id)
    skus = {"sku": params.sku} if params.sku and params.sku.lower() != (variation.sku_key or "") else {}
    service.claim_skus(ctx, skus, keep=variation.variation_id)
    before = service.render(ctx, item).model_dump(mode="json")
    price = params.price_money
    values = {"name": params.name, "sku": params.sku, "price_amount": price.amount if price else None,
              "currency": price.currency if price else None, "low_stock_threshold": params.low_stock_threshold,
              "inventory_policy": params.inventory_policy.value if params.inventory_policy else None,
              "track_inventory": params.track_inventory}
    delta = {}
    for name, value in values.items():
        if value is not None and value != getattr(variation, name):
            delta[name] = [getattr(variation, name), value]
            setattr(variation, name, value)
    if "sku" in delta:
        variation.sku_key = variation.sku.lower() if variation.sku else None
    metadata = merge_metadata(variation.metadata_, params.metadata)
    if metadata != variation.metadata_:
        delta["metadata"] = [variation.metadata_, metadata]
        variation.metadata_ = metadata
    if not delta:
        return service.render(ctx, item)
    service.flush_skus(ctx, skus)
    variation.version += 1
    variation.updated_at = ctx.now
    service.bump(ctx, item)
    ctx.record("item", item.item_id, "VARIATION_UPDATED", {"variation_id": variation.variation_id, **delta})
    return service.announce(ctx, "item.updated", item, before)


def _set_variation_status(ctx: Context, params: VariationActionInput, action: str, status: CatalogStatus) -> ItemOut:
    variation, item = service.locked_variation(ctx, params.variation_id)
    VARIATION.require(variation.status, action, variation.variation_id, ctx.can)
    before = service.render(ctx, item).model_dump(mode="json")
    ctx.record("item", item.item_id, f"VARIATION_{status.value}", {"variation_id": variation.variation_id,
                                                                    "status": [variation.status, status.value]})
    variation.status = status.value
    variation.version += 1
    variation.updated_at = ctx.now
    service.bump(ctx, item)
    return service.announce(ctx, "item.updated", item, before)


@operation("archive_variation", http="POST /v1/variations/{variation_id}/archive", scope="catalog:write",
           safety=WRITE, summary="Archive a variation: no new order lines; existing orders are untouched.")
def archive_variation(ctx: Context, params: VariationActionInput) -> ItemOut:
    """Take one variation off sale; returns its item. New order lines referencing it are refused; orders that
    have it keep it. unarchive_variation puts it back."""
    return _set_variation_status(ctx, params, "archive_variation", CatalogStatus.ARCHIVED)


@operation("unarchive_variation", http="POST /v1/variations/{variation_id}/unarchive", scope="catalog:write",
           safety=WRITE, summary="Put an archived variation back on sale.")
def unarchive_variation(ctx: Context, params: VariationActionInput) -> ItemOut:
    """Make an ARCHIVED variation ACTIVE again; returns its item."""
    return _set_variation_status(ctx, params, "unarchive_variation", CatalogStatus.ACTIVE)


def _tracked(variation: Variation) -> Variation:
    """The variation, if Flint counts its stock (409 inventory_not_tracked otherwise)."""
    if not variation.track_inventory:
        raise FlintError("inventory_not_tracked", param="variation_id", variation_id=variation.variation_id)
    return variation


@operation("adjust_inventory", http="POST /v1/variations/{variation_id}/inventory/adjustments",
           scope="catalog:write", safety=WRITE,
           summary="Add or remove units of a tracked variation's stock (received, damaged, corrected).")
def adjust_inventory(ctx: Context, params: AdjustInventoryInput) -> InventoryOut:
    """Move `on_hand` by `delta` and append the change to the ledger (list_inventory_adjustments). A DENY
    variation never goes below zero available: such a change is 409 `insufficient_inventory` and changes
    nothing. The counts move in one conditional update, so concurrent adjustments never lose one."""
    if params.delta == 0:
        raise FlintError("parameter_invalid", param="delta", detail="must not be 0")
    variation, item = service.locked_variation(ctx, params.variation_id)
    before = stock.change(ctx, _tracked(variation), on_hand=params.delta, reason=params.reason.value, param="delta")
    _record_stock(ctx, item, variation, before, params.reason.value)
    return stock.announce(ctx, variation, before)


@operation("set_inventory", http="POST /v1/variations/{variation_id}/inventory", scope="catalog:write",
           safety=WRITE, summary="Set a tracked variation's on-hand count after a stock take (RECOUNT).")
def set_inventory(ctx: Context, params: SetInventoryInput) -> InventoryOut:
    """Set `on_hand` to what a count found; the ledger records the difference as RECOUNT. Send
    `expected_on_hand` (the count you read) so two stock-takers cannot overwrite each other: if stock moved
    since, nothing changes (409 `inventory_changed`, with the current count)."""
    variation, item = service.locked_variation(ctx, params.variation_id)
    before = stock.Counts(_tracked(variation).on_hand, variation.reserved)  # read under the item's lock
    if params.expected_on_hand is not None and params.expected_on_hand != before.on_hand:
        raise FlintError("inventory_changed", param="expected_on_hand", variation_id=variation.variation_id,
                         on_hand=before.on_hand, expected=params.expected_on_hand)
    if params.on_hand != before.on_hand:
        stock.change(ctx, variation, on_hand=params.on_hand - before.on_hand, reason="RECOUNT", param="on_hand",
                     expected_on_hand=before.on_hand)
        _record_stock(ctx, item, variation, before, "RECOUNT")
    return stock.announce(ctx, variation, before)


def _record_stock(ctx: Context, item: Item, variation: Variation, before: stock.Counts, reason: str) -> None:
    """The activity of a stock change made through the catalog (the ledger has every change; orders' sales
    and reservations show on the order's own activity)."""
    ctx.record("item", item.item_id, "INVENTORY_ADJUSTED", {
        "variation_id": variation.variation_id, "reason": reason, "on_hand": [before.on_hand, variation.on_hand]})


@operation("get_inventory", http="GET /v1/variations/{variation_id}/inventory", scope="orders:read",
           safety=READ_ONLY, summary="Read a tracked variation's stock: on hand, reserved, available.")
def get_inventory(ctx: Context, params: VariationInventoryInput) -> InventoryOut:
    """The stock counts of a variation whose inventory is tracked (409 `inventory_not_tracked` otherwise)."""
    return inventory_out(_tracked(fetch(ctx, Variation, params.variation_id, resource="variation")))


@operation("list_inventory_adjustments", http="GET /v1/variations/{variation_id}/inventory/adjustments",
           scope="orders:read", safety=READ_ONLY, summary="List a variation's stock ledger, newest first.")
def list_inventory_adjustments(ctx: Context, params: ListInventoryAdjustmentsInput) -> Page[AdjustmentOut]:
    """Every change of a variation's stock, newest first: its reason, delta, the count after it, and the
    order, refund, key and request behind it. The deltas of on_hand changes sum to `on_hand`."""
    fetch(ctx, Variation, params.variation_id, resource="variation")
    stmt = scoped(ctx, InventoryAdjustment).where(InventoryAdjustment.variation_id == params.variation_id)
    rows, token = paginate(ctx.session, stmt, InventoryAdjustment.adjustment_id, params,
                           {"variation_id": params.variation_id})
    return Page[AdjustmentOut](data=[adjustment_out(a) for a in rows], next_page_token=token)
