"""What checkout session operations accept."""

from __future__ import annotations

import copy
import enum
from typing import Any

from pydantic import ConfigDict, Field, StrictInt, create_model, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from flint_core.orders.inputs import CreateOrderInput, RedirectUrl
from flint_core.payments.inputs import CaptureMethod, CaptureMethodIn
from flint_core.platform.schema import Input, Metadata, given, lenient_enum, openapi_only

DEFAULT_EXPIRY = 24 * 3600


MIN_EXPIRY, MAX_EXPIRY = 30, 7 * 24 * 3600


# create_order's own fields (types, limits, descriptions), optional here: they describe a new order.
NEW_ORDER_FIELDS = ("currency", "line_items", "customer_id", "buyer_email", "tax_address", "coupon_codes",
                    "service_charges", "tip")


LIST_FIELDS = ("line_items", "coupon_codes", "service_charges")


class CheckoutMode(enum.Enum):
    PAYMENT = "PAYMENT"  # the page collects an order's balance
    SETUP = "SETUP"  # the page saves a customer's card, with no order and no charge


CheckoutModeIn = lenient_enum(CheckoutMode, "PAYMENT (default: collect an order's balance) or SETUP (save the "
                                            "customer's card for later charges; no order, nothing charged).")


def _no_new_order(*keep: str) -> dict[str, Any]:
    """The new-order fields as absent (null, or an empty list), but for ``keep``: for an anyOf case."""
    return {name: {"anyOf": [{"type": "null"}, {"type": "array", "maxItems": 0}]} if name in LIST_FIELDS
            else {"type": "null"} for name in NEW_ORDER_FIELDS if name not in keep}


def _optional(name: str) -> tuple[Any, FieldInfo]:
    info = CreateOrderInput.model_fields[name]
    if not info.is_required():
        return info.annotation, info
    info = copy.copy(info)
    info.default = None
    info.description = f"For a new order (instead of order_id): {info.description}"
    return info.annotation | None, info


_NewOrderFields = create_model("_NewOrderFields", __base__=Input,  # type: ignore[call-overload]
                               **{name: _optional(name) for name in NEW_ORDER_FIELDS})


class CreateCheckoutSessionInput(_NewOrderFields):  # type: ignore[misc, valid-type]
    order_id: str | None = Field(None, description="An OPEN order to collect payment for, `ord_...`. Give this, "
                                 "or line_items (and the other create_order fields) to create the order here.")
    success_url: RedirectUrl = Field(description="Where the buyer goes after paying: an absolute http(s) URL or "
                                     "a path on this server. `{CHECKOUT_SESSION_ID}` in it is replaced by the "
                                     "session id; otherwise `checkout_session_id=cs_...` is appended.")
    cancel_url: RedirectUrl | None = Field(None, description="Where the page's cancel link goes (absent: no "
                                           "cancel link). Following it does not end the session.")
    expires_in_seconds: StrictInt = Field(DEFAULT_EXPIRY, ge=MIN_EXPIRY, le=MAX_EXPIRY, description=(
        f"How long the page takes payments: {MIN_EXPIRY} to {MAX_EXPIRY} seconds (7 days); default "
        f"{DEFAULT_EXPIRY} (24 hours)."))
    capture_method: CaptureMethodIn = Field(CaptureMethod.AUTOMATIC, description="AUTOMATIC (default: charge "
                                            "when the buyer pays) or MANUAL (hold; capture later with "
                                            "capture_payment).")
    metadata: Metadata = Field(default_factory=dict)
    mode: CheckoutModeIn = Field(CheckoutMode.PAYMENT, description="PAYMENT (default) collects an order's balance. "
                                 "SETUP saves a card for `customer_id` (required; no order, no line items, nothing "
                                 "charged): the saved card is the session's `payment_method_id` once COMPLETE.")
    # _one_order: an existing order (and none of a new order's fields, [] counting as none), a new one, or
    # (SETUP) a customer and no order at all
    model_config = ConfigDict(json_schema_extra=openapi_only(anyOf=[
        {"required": ["order_id"], "properties": {"order_id": {"type": "string"}, "mode": {"enum": ["PAYMENT"]}}
         | _no_new_order()},
        given(line_items="array", mode={"enum": ["PAYMENT"]}, absent=("order_id",)) | {"required": ["line_items"]},
        {"required": ["mode", "customer_id"], "not": {"required": ["capture_method"]},
         "properties": {"mode": {"enum": ["SETUP"]}, "customer_id": {"type": "string"}, "order_id": {"type": "null"}}
         | _no_new_order("customer_id")}]))

    @model_validator(mode="after")
    def _one_order(self) -> CreateCheckoutSessionInput:
        given = [name for name in NEW_ORDER_FIELDS if getattr(self, name) not in (None, [])]
        if self.mode is CheckoutMode.SETUP:
            return self._setup_only(given)
        if self.order_id is not None and given:
            raise PydanticCustomError("parameter_invalid", "{detail}", {
                "first": given[0], "detail": "give order_id or the fields of a new order, not both"})
        if self.order_id is None:
            if not given:
                raise PydanticCustomError("parameter_invalid", "{detail}", {
                    "first": "order_id", "detail": "give order_id (an OPEN order) or line_items (a new "
                                                   "order)"})
            if self.line_items is None:
                raise PydanticCustomError("parameter_missing", "{first} is required for a new order",
                                          {"first": "line_items"})
        return self

    def _setup_only(self, given: list[str]) -> CreateCheckoutSessionInput:
        """SETUP takes a customer and nothing about an order or a charge."""
        if self.customer_id is None:
            raise PydanticCustomError("parameter_missing", "{first} is required in SETUP mode",
                                      {"first": "customer_id"})
        extra = (["order_id"] if self.order_id is not None else []) + [n for n in given if n != "customer_id"] + (
            ["capture_method"] if "capture_method" in self.model_fields_set else [])
        if extra:
            raise PydanticCustomError("parameter_invalid", "{detail}", {
                "first": extra[0], "detail": f"mode SETUP saves a card without an order or a charge: leave out "
                                             f"{extra[0]}"})
        return self


class CheckoutSessionInput(Input):
    checkout_session_id: str = Field(description="The session, `cs_...`.")
