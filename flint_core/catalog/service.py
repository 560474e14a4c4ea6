"""Steps the catalog operations share: reading an item with its variations, building a variation, SKU
uniqueness, optimistic versions, and announcing a change (activity + event)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from flint_core.catalog.inputs import MAX_VARIATIONS, PricingType, VariationFields
from flint_core.catalog.lifecycle import CatalogStatus
from flint_core.catalog.views import ItemOut, item_out
from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError, not_found
from flint_core.platform import outbox
from flint_core.platform.context import Context
from flint_core.platform.queries import fetch, scoped
from flint_core.store.tables import Item, Variation


def variations_of(ctx: Context, item_ids: list[str]) -> dict[str, list[Variation]]:
    """The variations of these items, each item's in the order they were added: one query for a page."""
    found: dict[str, list[Variation]] = {item_id: [] for item_id in item_ids}
    if item_ids:
        rows = ctx.session.scalars(scoped(ctx, Variation).where(Variation.item_id.in_(item_ids))
                                   .order_by(Variation.item_id, Variation.position))
        for variation in rows:
            found[variation.item_id].append(variation)
    return found


def render(ctx: Context, item: Item) -> ItemOut:
    return item_out(ctx, item, variations_of(ctx, [item.item_id])[item.item_id])


def check_version(expected: int | None, current: int, code: str, **ids_: str) -> None:
    if expected is not None and expected != current:
        raise FlintError(code, param="version", current=current, expected=expected, **ids_)


def check_price(fields: VariationFields, param: str) -> None:
    fixed = fields.pricing_type is PricingType.FIXED
    if fixed and fields.price_money is None:
        raise FlintError("variation_price_invalid", param=f"{param}price_money",
                         detail="A FIXED variation needs price_money.")
    if not fixed and fields.price_money is not None:
        raise FlintError("variation_price_invalid", param=f"{param}price_money",
                         detail="A VARIABLE variation takes its price on each order line: leave price_money out.")


def claim_skus(ctx: Context, skus: dict[str, str], *, keep: str | None = None) -> None:
    """Refuse SKUs (by param) that another variation of this merchant and mode already has, ``keep`` excepted."""
    if not skus:
        return
    by_key = {sku.lower(): param for param, sku in skus.items()}
    if len(by_key) < len(skus):  # the same SKU twice in one request
        seen: set[str] = set()
        for param, sku in skus.items():
            if sku.lower() in seen:
                raise FlintError("sku_already_exists", param=param, sku=sku, variation_id="(this request)")
            seen.add(sku.lower())
    taken = ctx.session.execute(select(Variation.sku, Variation.variation_id).where(
        Variation.merchant_id == ctx.merchant_id, Variation.env_id == ctx.env_id,
        Variation.sku_key.in_(list(by_key)), Variation.variation_id != (keep or ""))).first()
    if taken is not None:
        raise FlintError("sku_already_exists", param=by_key[taken.sku.lower()], sku=taken.sku,
                         variation_id=taken.variation_id)


def flush_skus(ctx: Context, skus: dict[str, str]) -> None:
    """Write now, so a SKU taken by a concurrent request is this request's 409, not a failed commit."""
    try:
        with ctx.session.begin_nested():
            ctx.session.flush()
    except IntegrityError:
        param, sku = next(iter(skus.items())) if skus else ("sku", "")
        raise FlintError("sku_already_exists", param=param, sku=sku, variation_id="(another request)") from None


def new_variation(ctx: Context, item: Item, fields: VariationFields, position: int) -> Variation:
    price = fields.price_money
    return Variation(
        variation_id=ids.new_id("variation"), merchant_id=ctx.merchant_id, env_id=ctx.env_id, item_id=item.item_id,
        name=fields.name, sku=fields.sku, sku_key=fields.sku.lower() if fields.sku else None,
        pricing_type=fields.pricing_type.value, price_amount=price.amount if price else None,
        currency=price.currency if price else None, track_inventory=fields.track_inventory,
        inventory_policy=fields.inventory_policy.value, low_stock_threshold=fields.low_stock_threshold, on_hand=0,
        reserved=0, status=CatalogStatus.ACTIVE.value, position=position, version=1, metadata_=fields.metadata,
        created_at=ctx.now, updated_at=ctx.now)


def variation_count(ctx: Context, item_id: str) -> int:
    return ctx.session.scalar(select(func.count()).select_from(Variation).where(Variation.item_id == item_id)) or 0


def room_for(ctx: Context, item_id: str, adding: int) -> int:
    """The next position, after checking the item can take ``adding`` more variations."""
    count = variation_count(ctx, item_id)
    if count + adding > MAX_VARIATIONS:
        raise FlintError("too_many_variations", param="item_id", limit=MAX_VARIATIONS)
    return count


def locked_item(ctx: Context, item_id: str, *, param: str = "item_id") -> Item:
    return fetch(ctx, Item, item_id, resource="item", param=param, lock=True)


def locked_variation(ctx: Context, variation_id: str) -> tuple[Variation, Item]:
    """The variation and its item, the item locked first (every catalog write locks the item, then its
    variations: one order, no deadlock)."""
    variation = fetch(ctx, Variation, variation_id, resource="variation")
    item = locked_item(ctx, variation.item_id, param="variation_id")
    ctx.session.refresh(variation, with_for_update=True)
    return variation, item


def announce(ctx: Context, event_type: str, item: Item, before: dict[str, Any] | None) -> ItemOut:
    """The item as it is now, its event (with what changed), returned to the caller."""
    out = render(ctx, item)
    after = out.model_dump(mode="json")
    previous = None if before is None else {k: before.get(k) for k, v in after.items() if before.get(k) != v}
    outbox.emit(ctx, event_type, after, previous_attributes=previous)
    return out


def bump(ctx: Context, item: Item) -> None:
    item.version += 1
    item.updated_at = ctx.now


@dataclass(frozen=True, slots=True)
class LineSource:
    """What an order line takes from a variation when it is added: name, SKU, price, tax category, and
    the item version they were read at (the line's ``catalog_version``)."""

    variation_id: str
    item_id: str
    item_name: str
    variation_name: str
    sku: str | None
    price_amount: int | None  # None: VARIABLE, priced on the line
    currency: str | None
    tax_category: str
    catalog_version: int


_SOURCE_COLUMNS = (Variation.variation_id, Variation.item_id, Item.name.label("item_name"),
                   Variation.name.label("variation_name"), Variation.sku, Variation.price_amount, Variation.currency,
                   Item.tax_category, Item.version.label("catalog_version"), Variation.status,
                   Item.status.label("item_status"))


def line_sources(ctx: Context, wanted: dict[str, str]) -> dict[str, LineSource]:
    """variation_id -> its LineSource for the variations order lines name (``wanted``: param ->
    variation_id), in one query. An id that is no variation of the caller's is 404 naming its param; an
    archived variation, or one of an archived item, is 409 ``variation_archived``."""
    if not wanted:
        return {}
    rows = ctx.session.execute(select(*_SOURCE_COLUMNS).join(Item, Item.item_id == Variation.item_id).where(
        Variation.merchant_id == ctx.merchant_id, Variation.env_id == ctx.env_id,
        Variation.variation_id.in_(set(wanted.values()))))
    found = {row.variation_id: row for row in rows}
    for param, variation_id in wanted.items():
        row = found.get(variation_id)
        if row is None:
            raise not_found("variation", variation_id, param)
        if CatalogStatus.ARCHIVED in (row.status, row.item_status):
            raise FlintError("variation_archived", param=param, variation_id=variation_id)
    return {variation_id: LineSource(*row[:9]) for variation_id, row in found.items()}
