"""What refund operations accept."""

from __future__ import annotations

import enum

from pydantic import ConfigDict, Field, model_validator

from flint_core.kernel.errors import FlintError
from flint_core.platform.schema import Bool, Input, ListInput, MoneyIn, Quantity, given, lenient_enum, openapi_only


class RefundReason(enum.Enum):
    REQUESTED_BY_CUSTOMER = "REQUESTED_BY_CUSTOMER"
    DUPLICATE = "DUPLICATE"
    FRAUDULENT = "FRAUDULENT"
    OTHER = "OTHER"


ReasonIn = lenient_enum(RefundReason, "REQUESTED_BY_CUSTOMER, DUPLICATE, FRAUDULENT or OTHER (default).")


class RefundLineIn(Input):
    line_item_id: str = Field(description="A line of the order, `li_...`.")
    quantity: Quantity = Field(description="Units to refund; at most the line's refundable_quantity.")
    restock: Bool = Field(False, description="True when the units came back: a catalog line's tracked stock "
                          "gets them again (RESTOCKED).")


class RefundInput(Input):
    order_id: str | None = Field(None, description="The order to refund (or give payment_intent_id).")
    payment_intent_id: str | None = Field(None, description="The payment to refund (or give order_id).")
    amount_money: MoneyIn | None = Field(None, description="Refund this amount (its tax part is proportional).")
    line_items: list[RefundLineIn] | None = Field(None, min_length=1, max_length=500, description="Refund these units: each "
                                                  "returns its share of the line's total, discount and tax "
                                                  "included. Neither amount nor lines: refund everything left.")
    reason: ReasonIn = Field(RefundReason.OTHER, description="Why (default OTHER).")
    model_config = ConfigDict(json_schema_extra=openapi_only(allOf=[  # what _what checks
        {"anyOf": [given(order_id="string"), given(payment_intent_id="string")]},
        {"not": given(amount_money="object", line_items="array")}]))

    @model_validator(mode="after")
    def _what(self) -> RefundInput:
        if self.order_id is None and self.payment_intent_id is None:
            raise FlintError("parameter_missing", param="order_id")
        if self.amount_money is not None and self.line_items is not None:
            raise FlintError("parameter_invalid", param="line_items", detail="give amount_money or line_items, not both")
        return self


class CreateRefundInput(RefundInput):
    preview_id: str | None = Field(None, max_length=100, description="The preview_id of a preview_refund with "
                                   "the same parameters: the refund then happens only if the order has not "
                                   "changed since (409 preview_stale / preview_mismatch otherwise). Required by "
                                   "keys with require_preview.")


class GetRefundInput(Input):
    refund_id: str = Field(description="The refund, `re_...`.")


class ListRefundsInput(ListInput):
    order_id: str | None = Field(None, description="Only this order's refunds.")
