"""Items and variations as every face returns them. A variation is always shown inside its item."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from flint_core.catalog.lifecycle import ITEM, VARIATION
from flint_core.platform.context import Context
from flint_core.platform.schema import MoneyOut, Output
from flint_core.store.tables import InventoryAdjustment, Item, Variation


class InventoryCounts(Output):
    on_hand: int = Field(description="Units in stock.")
    reserved: int = Field(description="Units held for buyers who are paying.")
    available: int = Field(description="on_hand - reserved: what can still be sold.")


class VariationOut(Output):
    object: Literal["variation"] = Field("variation", description="Always `variation`.")
    variation_id: str = Field(description="Id, `var_...`: what an order line references.")
    item_id: str = Field(description="Its item, `item_...`.")
    name: str = Field(description="E.g. `Large`.")
    sku: str | None = Field(description="Your SKU.")
    pricing_type: str = Field(description="FIXED or VARIABLE.")
    price_money: MoneyOut | None = Field(description="The price of one unit (FIXED); null for VARIABLE.")
    track_inventory: bool = Field(description="Whether Flint counts its stock.")
    inventory_policy: str = Field(description="DENY (never sell below zero) or CONTINUE.")
    low_stock_threshold: int | None = Field(description="inventory.low fires at or below this.")
    inventory: InventoryCounts | None = Field(description="Stock counts, when tracked.")
    status: str = Field(description="ACTIVE or ARCHIVED.")
    version: int = Field(description="Grows with every change; send it back to update safely.")
    available_actions: list[str] = Field(description="Operations legal now for your key.")
    metadata: dict[str, str] = Field(description="Your key-value pairs.")
    created_at: datetime = Field(description="When it was created.")
    updated_at: datetime = Field(description="When it last changed.")


class ItemOut(Output):
    object: Literal["item"] = Field("item", description="Always `item`.")
    item_id: str = Field(description="Id, `item_...`.")
    name: str = Field(description="What is sold.")
    description: str | None = Field(description="A longer description.")
    tax_category: str = Field(description="STANDARD, REDUCED, EXEMPT or DIGITAL.")
    status: str = Field(description="ACTIVE or ARCHIVED (no new order lines).")
    image_urls: list[str] = Field(description="Image URLs.")
    variations: list[VariationOut] = Field(description="Its variations, in the order they were added.")
    version: int = Field(description="Grows with every change to the item or a variation; send it back to update "
                                     "safely.")
    available_actions: list[str] = Field(description="Operations legal now for your key.")
    metadata: dict[str, str] = Field(description="Your key-value pairs.")
    created_at: datetime = Field(description="When it was created.")
    updated_at: datetime = Field(description="When it last changed.")


def variation_out(ctx: Context, v: Variation) -> VariationOut:
    price = MoneyOut.of(v.price_amount, v.currency) if v.price_amount is not None and v.currency else None
    counts = InventoryCounts(on_hand=v.on_hand, reserved=v.reserved, available=v.on_hand - v.reserved) \
        if v.track_inventory else None
    return VariationOut(
        variation_id=v.variation_id, item_id=v.item_id, name=v.name, sku=v.sku, pricing_type=v.pricing_type,
        price_money=price, track_inventory=v.track_inventory, inventory_policy=v.inventory_policy,
        low_stock_threshold=v.low_stock_threshold, inventory=counts, status=v.status, version=v.version,
        available_actions=VARIATION.actions_for(v.status, ctx.can), metadata=v.metadata_, created_at=v.created_at,
        updated_at=v.updated_at)


def item_out(ctx: Context, item: Item, variations: list[Variation]) -> ItemOut:
    return ItemOut(
        item_id=item.item_id, name=item.name, description=item.description, tax_category=item.tax_category,
        status=item.status, image_urls=list(item.image_urls), variations=[variation_out(ctx, v) for v in variations],
        version=item.version, available_actions=ITEM.actions_for(item.status, ctx.can), metadata=item.metadata_,
        created_at=item.created_at, updated_at=item.updated_at)


class InventoryOut(Output):
    object: Literal["inventory"] = Field("inventory", description="Always `inventory`.")
    variation_id: str = Field(description="The variation, `var_...`.")
    item_id: str = Field(description="Its item, `item_...`.")
    sku: str | None = Field(description="The variation's SKU.")
    on_hand: int = Field(description="Units in stock.")
    reserved: int = Field(description="Units held for buyers who are paying.")
    available: int = Field(description="on_hand - reserved: what can still be sold (below 0: a backorder).")
    inventory_policy: str = Field(description="DENY (never below zero available) or CONTINUE.")
    low_stock_threshold: int | None = Field(description="inventory.low fires when available falls to this.")
    updated_at: datetime = Field(description="When the variation last changed.")


class AdjustmentOut(Output):
    object: Literal["inventory_adjustment"] = Field("inventory_adjustment", description="Always "
                                                    "`inventory_adjustment`.")
    adjustment_id: str = Field(description="Id, `invadj_...`.")
    variation_id: str = Field(description="The variation, `var_...`.")
    item_id: str = Field(description="Its item.")
    delta: int = Field(description="How on_hand moved: the deltas of a variation's ledger sum to its on_hand.")
    reserved_delta: int = Field(description="How reserved moved: these sum to its reserved.")
    reason: str = Field(description="RECEIVED, RECOUNT, DAMAGED, CORRECTION, RESERVED, SOLD, RELEASED or RESTOCKED.")
    quantity_after: int = Field(description="on_hand after it.")
    reserved_after: int = Field(description="reserved after it.")
    order_id: str | None = Field(description="The order that caused it, if any.")
    refund_id: str | None = Field(description="The refund that caused it, if any.")
    reservation_expires_at: datetime | None = Field(description="RESERVED: when the hold lapses if the payment "
                                                    "has not succeeded by then.")
    actor: str = Field(description="The API key that made it, or `system`.")
    request_id: str | None = Field(description="The request that made it.")
    occurred_at: datetime = Field(description="When.")


def inventory_out(v: Variation) -> InventoryOut:
    return InventoryOut(variation_id=v.variation_id, item_id=v.item_id, sku=v.sku, on_hand=v.on_hand,
                        reserved=v.reserved, available=v.on_hand - v.reserved, inventory_policy=v.inventory_policy,
                        low_stock_threshold=v.low_stock_threshold, updated_at=v.updated_at)


def adjustment_out(a: InventoryAdjustment) -> AdjustmentOut:
    return AdjustmentOut(adjustment_id=a.adjustment_id, variation_id=a.variation_id, item_id=a.item_id,
                         delta=a.delta, reserved_delta=a.reserved_delta, reason=a.reason, quantity_after=a.quantity_after,
                         reserved_after=a.reserved_after, order_id=a.order_id, refund_id=a.refund_id,
                         reservation_expires_at=a.reservation_expires_at,
                         actor=a.actor, request_id=a.request_id, occurred_at=a.created_at)
