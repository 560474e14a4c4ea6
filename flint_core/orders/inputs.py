"""What order operations accept: create_order's order and its parts (preview_order and create_checkout_session
take them too), and what reading, listing, editing, couponing, canceling and closing an order take."""

from __future__ import annotations

import enum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, ConfigDict, Field, StrictInt, model_validator
from pydantic_core import PydanticCustomError

from flint_core.coupons.inputs import CouponCode
from flint_core.orders.lifecycle import OrderStatus
from flint_core.platform.schema import (
    NOT_BLANK_PATTERN,
    WS,
    Bool,
    Currency,
    Input,
    ListInput,
    Metadata,
    PartMoneyIn,
    Percentage,
    Quantity,
    Timestamp,
    exactly_one,
    given,
    lenient_enum,
    openapi_only,
    stripped_str,
)
from flint_core.tax.inputs import CountryCode, PostalPrefix, Region, TaxCategoryIn

MAX_LINE_ITEMS = 500
Text = Annotated[stripped_str(min_length=1, max_length=500),
                 Field(json_schema_extra=openapi_only(pattern=NOT_BLANK_PATTERN))]


class TaxAddressIn(Input):
    country: CountryCode
    region: Region | None = Field(None, description="Region or state code, e.g. `CA`.")
    postal_code: PostalPrefix | None = Field(None, description="Postal code, e.g. `94103`.")


# What a catalog line takes from its variation, so it must not be given too.
CATALOG_FILLED = ("name", "sku", "item_id", "tax_category")


class LineItemIn(Input):
    # A line from the catalog (variation_id: Flint fills in name, SKU, price and tax category) or an ad hoc
    # one (name and unit_price_money). No docstring: it would become the schema's description, in every tool.
    model_config = ConfigDict(json_schema_extra=openapi_only(anyOf=[  # _catalog_or_ad_hoc
        given(variation_id="string", absent=CATALOG_FILLED),
        given(name="string", unit_price_money="object", absent=("variation_id",))]))

    variation_id: str | None = Field(None, max_length=40, description="A catalog variation, `var_...`: it fills "
                                     "in name, SKU, price and tax category.")
    name: Text | None = Field(None, description="What is sold, e.g. `Flat white` (without variation_id).")
    quantity: Quantity = Field(description="Whole units, 1 to 1,000,000 (no fractions, no strings).")
    unit_price_money: PartMoneyIn | None = Field(None, description="Price of one unit, in the order's currency "
                                                 "(`currency` optional). Not for a FIXED variation.")
    sku: str | None = Field(None, max_length=100, description="Your SKU (without variation_id).")
    item_id: str | None = Field(None, max_length=40, description="Your own item id (without variation_id).")
    tax_category: TaxCategoryIn | None = Field(None, description="STANDARD (default), REDUCED, EXEMPT or DIGITAL "
                                               "(without variation_id).")
    metadata: Metadata = Field(default_factory=dict)

    @model_validator(mode="after")
    def _catalog_or_ad_hoc(self) -> LineItemIn:
        if self.variation_id is not None:
            for name in CATALOG_FILLED:
                if getattr(self, name) is not None:
                    raise PydanticCustomError("parameter_invalid", "{detail}", {
                        "detail": "a line with variation_id takes it from the catalog: leave it out", "first": name})
            return self
        for name in ("name", "unit_price_money"):
            if getattr(self, name) is None:
                raise PydanticCustomError("parameter_missing", "{detail}", {
                    "detail": "required on a line without variation_id", "first": name})
        return self


# A service charge's name is stored in 200 characters (a line item's in 500).
ServiceChargeName = Annotated[stripped_str(min_length=1, max_length=200),
                              Field(json_schema_extra=openapi_only(pattern=NOT_BLANK_PATTERN))]


class ServiceChargeIn(Input):
    model_config = ConfigDict(json_schema_extra=openapi_only(anyOf=[  # _one
        given(amount_money="object", absent=("percentage",)), given(percentage="string", absent=("amount_money",))]))

    name: ServiceChargeName = Field(description="Label, e.g. `Delivery`.")
    amount_money: PartMoneyIn | None = Field(None, description="Fixed amount; give this or percentage.")
    percentage: Percentage | None = Field(None, description="Percent of (subtotal - discount) as a decimal string.")
    taxable: Bool = Field(False, description="True to tax it at the order's standard rate.")

    @model_validator(mode="after")
    def _one(self) -> ServiceChargeIn:
        exactly_one(self, "amount_money", "percentage")
        return self


class TipIn(Input):
    model_config = ConfigDict(json_schema_extra=openapi_only(anyOf=[  # _one
        given(amount_money="object", absent=("percentage",)), given(percentage="string", absent=("amount_money",))]))

    amount_money: PartMoneyIn | None = Field(None, description="Fixed tip; give this or percentage.")
    percentage: Percentage | None = Field(None, description="Percent of (subtotal - discount) as a decimal string.")

    @model_validator(mode="after")
    def _one(self) -> TipIn:
        exactly_one(self, "amount_money", "percentage")
        return self


class CheckoutFlow(enum.Enum):
    API = "API"  # the caller collects payment with pay_order (the default)
    HOSTED = "HOSTED"  # Flint also opens a hosted checkout page for the buyer


def _redirect_url(value: str) -> str:
    """An absolute http(s) URL, or a path on this server: never javascript:, data: or //host tricks."""
    parts = urlsplit(value)
    absolute = parts.scheme in ("http", "https") and bool(parts.netloc)
    local = not parts.scheme and not parts.netloc and value.startswith("/") and not value.startswith("//")
    if not (absolute or local) or any(c.isspace() or ord(c) < 32 or c == "\\" for c in value):
        raise PydanticCustomError("parameter_invalid", "{detail}", {
            "detail": "must be an absolute http:// or https:// URL, or a path on this server starting with /"})
    return value


# What _redirect_url takes, as a pattern (a port of up to 4 digits: a bigger one is for nobody's redirect).
_URL_TEXT = "[^\\s\\\\\\x00-\\x1f\\x7f-\\x9f]"
REDIRECT_URL_PATTERN = (f"^{WS}([Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.-]+(:[0-9]{{1,4}})?([/?#]{_URL_TEXT}*)?"
                        f"|/([^/\\s\\\\\\x00-\\x1f\\x7f-\\x9f]{_URL_TEXT}*)?){WS}$")
RedirectUrl = Annotated[stripped_str(min_length=1, max_length=2048),
                        AfterValidator(_redirect_url),
                        Field(json_schema_extra=openapi_only(pattern=REDIRECT_URL_PATTERN))]
CheckoutFlowIn = lenient_enum(CheckoutFlow, "HOSTED: also open a hosted checkout page and return its URL in "
                                            "`checkout_session_url`. API (the default): you call pay_order.")


class CreateOrderInput(Input):
    model_config = ConfigDict(json_schema_extra=openapi_only(anyOf=[  # the redirect URLs are for HOSTED only
        given(checkout_flow={"enum": ["HOSTED"]}), {"properties": {"success_url": {"type": "null"},
                                                                  "cancel_url": {"type": "null"}}}]))

    currency: Currency | None = Field(None, description="ISO 4217 code of the order. Absent: the currency its "
                                      "prices name (they must agree), else the server's default (USD unless "
                                      "configured; whoami shows it).")
    line_items: list[LineItemIn] = Field(min_length=1, description=f"What is sold; 1 to {MAX_LINE_ITEMS} lines.")
    customer_id: str | None = Field(None, description="The customer, `cus_...` (see search_customers).")
    buyer_email: str | None = Field(None, min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$",
                                    description="Where receipts go.")
    tax_address: TaxAddressIn | None = Field(None, description="Address that selects tax rates; without one "
                                                               "only rates for every address apply.")
    coupon_codes: list[CouponCode] = Field(
        default_factory=list, max_length=20, description="Coupon codes to apply, in order.")
    service_charges: list[ServiceChargeIn] = Field(default_factory=list, max_length=20,
                                                   description="Fees such as delivery or service.")
    tip: TipIn | None = Field(None, description="A tip; never discounted or taxed.")
    metadata: Metadata = Field(default_factory=dict)
    checkout_flow: CheckoutFlowIn | None = Field(None, description="HOSTED: also open a hosted checkout page "
                                                 "(24 hours) and return its URL in `checkout_session_url`. "
                                                 "Absent or API: you collect payment with pay_order.")
    success_url: RedirectUrl | None = Field(None, description="With checkout_flow HOSTED only: where the buyer "
                                            "goes after paying (default: Flint's own confirmation page).")
    cancel_url: RedirectUrl | None = Field(None, description="With checkout_flow HOSTED only: where the page's "
                                           "cancel link goes (default: no cancel link).")

    def money_parts(self) -> list[tuple[str, PartMoneyIn]]:
        """Every amount the order is made of, with its param, in the order they are given."""
        parts = [(f"line_items.{i}.unit_price_money", line.unit_price_money) for i, line in enumerate(self.line_items)
                 if line.unit_price_money is not None]
        parts += [(f"service_charges.{i}.amount_money", c.amount_money) for i, c in enumerate(self.service_charges)
                  if c.amount_money is not None]
        if self.tip is not None and self.tip.amount_money is not None:
            parts.append(("tip.amount_money", self.tip.amount_money))
        return parts

    @model_validator(mode="after")
    def _hosted_urls(self) -> CreateOrderInput:
        if self.checkout_flow is not CheckoutFlow.HOSTED:
            for name in ("success_url", "cancel_url"):
                if getattr(self, name) is not None:
                    raise PydanticCustomError("parameter_invalid", "{detail}", {
                        "detail": "only used with checkout_flow HOSTED", "first": name})
        return self


class GetOrderInput(Input):
    order_id: str = Field(description="Id of the order, `ord_...`.")


OrderStatusIn = lenient_enum(OrderStatus, "Only orders in this status.")


class ListOrdersInput(ListInput):
    customer_id: str | None = Field(None, description="Only this customer's orders.")
    status: OrderStatusIn | None = Field(None, description="Only orders in this status.")
    created_after: Timestamp | None = Field(None, description="Only orders created at or after this time (RFC 3339).")
    created_before: Timestamp | None = Field(None, description="Only orders created before this time (RFC 3339).")


class LineQuantityIn(Input):
    line_item_id: str = Field(description="A line of this order, `li_...`.")
    quantity: Quantity = Field(description="Its new quantity (to drop a line, use remove_line_item_ids).")


class UpdateOrderInput(Input):
    order_id: str = Field(description="The order to change; it must be OPEN.")
    add_line_items: list[LineItemIn] = Field(default_factory=list, description="Lines to append.")
    update_line_items: list[LineQuantityIn] = Field(default_factory=list, description="New quantities.")
    remove_line_item_ids: list[str] = Field(default_factory=list, description="Lines to drop.")
    service_charges: list[ServiceChargeIn] | None = Field(None, max_length=20,
                                                          description="Replaces all service charges ([] clears).")
    tip: TipIn | None = Field(None, description="Replaces the tip (an amount of 0 clears it).")
    tax_address: TaxAddressIn | None = Field(None, description="Replaces the tax address.")
    customer_id: str | None = Field(None, description="Attach the order to this customer.")
    buyer_email: str | None = Field(None, min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$",
                                    description="Where receipts go.")
    metadata: Metadata | None = Field(None, description="Keys to set; an empty string value deletes a key.")
    version: StrictInt | None = Field(None, description="The version you read; if the order changed since, the "
                                                  "update fails with order_version_conflict and changes nothing.")


class ApplyCouponInput(Input):
    order_id: str = Field(description="The OPEN order to discount.")
    coupon_code: CouponCode = Field(description="The code, case-insensitive.")


class RemoveCouponInput(Input):
    order_id: str = Field(description="The OPEN order.")
    coupon_code: CouponCode = Field(description="The applied code to remove.")


class CancelOrderInput(Input):
    order_id: str = Field(description="The OPEN or AUTHORIZED order to cancel.")
    reason: str | None = Field(None, max_length=500, description="Why, for the audit trail.")
    preview_id: str | None = Field(None, max_length=100, description="The preview_id of a preview_cancel_order "
                                   "with the same parameters: cancel only if the order is unchanged since.")


class CloseOrderInput(Input):
    order_id: str = Field(description="The PAID or PARTIALLY_REFUNDED order to close.")


class PreviewCancelInput(Input):
    order_id: str = Field(description="The order cancel_order would cancel.")
    reason: str | None = Field(None, max_length=500, description="The reason you will send to cancel_order (the "
                                                               "preview_id only confirms the same reason).")
