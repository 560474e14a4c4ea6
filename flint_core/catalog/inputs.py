"""What catalog operations accept."""

from __future__ import annotations

import enum

from pydantic import ConfigDict, Field, StrictBool, StrictInt

from flint_core.platform.schema import Input, ListInput, Metadata, MoneyIn, given, lenient_enum, openapi_only
from flint_core.tax.inputs import TaxCategory, TaxCategoryIn

MAX_VARIATIONS = 250  # per item, archived ones included (Square's limit)


class PricingType(enum.Enum):
    FIXED = "FIXED"
    VARIABLE = "VARIABLE"


class InventoryPolicy(enum.Enum):
    DENY = "DENY"
    CONTINUE = "CONTINUE"


PricingTypeIn = lenient_enum(PricingType, "FIXED (the variation's `price_money`) or VARIABLE (priced on each "
                                          "order line).")
InventoryPolicyIn = lenient_enum(InventoryPolicy, "DENY (never sell below zero) or CONTINUE (sell as backorder).")

ItemName = Field(min_length=1, max_length=200, description="What is sold, e.g. `Flat white`.")
Sku = Field(None, min_length=1, max_length=100, description="Your stock keeping unit, unique per merchant and mode "
                                                            "(compared without case).")
Version = Field(None, description="The `version` you read; if the object changed since, the update fails with a "
                                  "409 version conflict and changes nothing.")


class VariationFields(Input):
    """A variation's fields, as create_item and add_variation take them."""

    model_config = ConfigDict(json_schema_extra=openapi_only(anyOf=[  # FIXED has a price, VARIABLE none
        {"required": ["price_money"], "properties": {"price_money": {"type": "object"},
                                                     "pricing_type": {"enum": ["FIXED"]}}},
        given(pricing_type={"enum": ["VARIABLE"]}, absent=("price_money",))]))

    name: str = Field("Regular", min_length=1, max_length=200, description="E.g. `Large`. Default: Regular.")
    sku: str | None = Sku
    pricing_type: PricingTypeIn = Field(PricingType.FIXED, description="FIXED (default) or VARIABLE.")
    price_money: MoneyIn | None = Field(None, description="The price of one unit; required for FIXED, refused for "
                                                          "VARIABLE.")
    track_inventory: StrictBool = Field(False, description="Whether Flint counts its stock (default false).")
    inventory_policy: InventoryPolicyIn = Field(InventoryPolicy.DENY, description="When stock is tracked: DENY "
                                                "(default) or CONTINUE.")
    low_stock_threshold: StrictInt | None = Field(None, ge=0, le=1_000_000_000, description="inventory.low is "
                                                  "sent when available stock falls to this or below.")
    metadata: Metadata = Field(default_factory=dict)


class CreateItemInput(Input):
    name: str = ItemName
    description: str | None = Field(None, max_length=4000, description="A longer description.")
    tax_category: TaxCategoryIn = Field(TaxCategory.STANDARD, description="STANDARD (default), REDUCED, EXEMPT "
                                        "or DIGITAL: the tax rate its order lines get.")
    image_urls: list[str] = Field(default_factory=list, max_length=10, description="Up to 10 image URLs.")
    variations: list[VariationFields] = Field(min_length=1, max_length=MAX_VARIATIONS, description="Its "
                                              "variations, at least one (e.g. one `Regular` with a price).")
    metadata: Metadata = Field(default_factory=dict)


class GetItemInput(Input):
    item_id: str = Field(description="Id of the item, `item_...`.")


class ItemStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


ItemStatusIn = lenient_enum(ItemStatus, "ACTIVE or ARCHIVED.")


class ListItemsInput(ListInput):
    status: ItemStatusIn | None = Field(None, description="Only items in this status: ACTIVE or ARCHIVED.")
    query: str | None = Field(None, min_length=1, max_length=200, description="Only items with this text in their "
                              "name, description or a variation's SKU (case-insensitive).")
    sku: str | None = Field(None, min_length=1, max_length=100, description="Only the item with a variation of "
                            "exactly this SKU (case-insensitive).")


class SearchItemsInput(ListItemsInput):
    """The filters of list_items, under the name agents look for."""


class UpdateItemInput(Input):
    item_id: str = Field(description="Id of the item, `item_...`.")
    version: StrictInt | None = Version
    name: str | None = Field(None, min_length=1, max_length=200, description="A new name.")
    description: str | None = Field(None, max_length=4000, description="A new description (`\"\"` clears it).")
    tax_category: TaxCategoryIn | None = Field(None, description="A new tax category: new order lines use it, "
                                               "existing orders keep theirs.")
    image_urls: list[str] | None = Field(None, max_length=10, description="The new image URLs (replaces them).")
    metadata: Metadata | None = Field(None, description="Keys to set; a key with value `\"\"` is removed.")


class ItemActionInput(Input):
    item_id: str = Field(description="Id of the item, `item_...`.")


class AddVariationInput(VariationFields):
    item_id: str = Field(description="Id of the item, `item_...`.")


class UpdateVariationInput(Input):
    variation_id: str = Field(description="Id of the variation, `var_...`.")
    version: StrictInt | None = Version
    name: str | None = Field(None, min_length=1, max_length=200, description="A new name.")
    sku: str | None = Field(None, min_length=1, max_length=100, description="A new SKU (unique per merchant and "
                                                                            "mode).")
    price_money: MoneyIn | None = Field(None, description="A new price (FIXED only): new order lines use it, "
                                                          "existing orders keep theirs.")
    inventory_policy: InventoryPolicyIn | None = Field(None, description="DENY or CONTINUE.")
    low_stock_threshold: StrictInt | None = Field(None, ge=0, le=1_000_000_000, description="A new threshold.")
    track_inventory: StrictBool | None = Field(None, description="Start (true) or stop (false) counting its stock; "
                                               "the counts are kept.")
    metadata: Metadata | None = Field(None, description="Keys to set; a key with value `\"\"` is removed.")


class VariationActionInput(Input):
    variation_id: str = Field(description="Id of the variation, `var_...`.")


class AdjustmentReason(enum.Enum):
    RECEIVED = "RECEIVED"
    DAMAGED = "DAMAGED"
    CORRECTION = "CORRECTION"


AdjustmentReasonIn = lenient_enum(AdjustmentReason, "RECEIVED (stock came in), DAMAGED (stock went out unsold) or "
                                                    "CORRECTION.")
StockCount = Field(ge=0, le=1_000_000_000, description="A count of units, 0 to 1,000,000,000.")


class AdjustInventoryInput(Input):
    variation_id: str = Field(description="Id of the tracked variation, `var_...`.")
    delta: StrictInt = Field(ge=-1_000_000_000, le=1_000_000_000, description="Units to add (positive) or remove "
                             "(negative), not 0.", json_schema_extra=openapi_only(**{"not": {"const": 0}}))
    reason: AdjustmentReasonIn = Field(description="RECEIVED, DAMAGED or CORRECTION.")


class SetInventoryInput(Input):
    variation_id: str = Field(description="Id of the tracked variation, `var_...`.")
    on_hand: StrictInt = StockCount
    expected_on_hand: StrictInt | None = Field(None, ge=0, le=1_000_000_000, description="The count you believe "
                                               "is current; if it is not, nothing changes (409 inventory_changed).")


class VariationInventoryInput(Input):
    variation_id: str = Field(description="Id of the variation, `var_...`.")


class ListInventoryAdjustmentsInput(ListInput):
    variation_id: str = Field(description="Id of the variation, `var_...`.")
