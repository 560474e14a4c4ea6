"""What payment operations accept (and the capture method a hosted checkout session takes too)."""

from __future__ import annotations

import enum
from typing import Any

from pydantic import ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from flint_core.payments.lifecycle import PaymentStatus
from flint_core.platform.schema import Bool, Input, ListInput, MoneyIn, given, lenient_enum, openapi_only


class CaptureMethod(enum.Enum):
    AUTOMATIC = "AUTOMATIC"
    MANUAL = "MANUAL"


CaptureMethodIn = lenient_enum(CaptureMethod, "AUTOMATIC (default: charge now) or MANUAL (place a hold to capture "
                                              "later with capture_payment).")


class PayOrderInput(Input):
    order_id: str = Field(description="The OPEN order to pay. The amount is always its outstanding balance.")
    payment_source: str | None = Field(None, min_length=1, max_length=64, description="Or payment_method_id: a "
                                       "token (`tok_visa`), a test card number in test mode only "
                                       "(`4242424242424242`), or a payment method id.")
    payment_source_tokens: list[str] | None = Field(None, description="Another spelling of payment_source: a "
                                                    "list of exactly one token, e.g. `[\"tok_visa\"]`. A "
                                                    "pay_order charges one source.", json_schema_extra=openapi_only(
                                                        minItems=1, maxItems=1,
                                                        items={"type": "string", "minLength": 1, "maxLength": 64}))
    payment_method_id: str | None = Field(None, max_length=40, description="A saved card of the order's "
                                          "customer, `pm_...`.")
    off_session: Bool = Field(False, description="Customer absent (saved card): 3D Secure fails, "
                              "authentication_required. Alone: the customer's default card.")
    save_payment_method: Bool = Field(False, description="Save the card for the order's customer once paid.")
    capture_method: CaptureMethodIn = Field(CaptureMethod.AUTOMATIC, description="AUTOMATIC (default) or MANUAL.")
    buyer_email: str | None = Field(None, min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$",
                                    description="Receipt address; also stored on the order.")
    model_config = ConfigDict(json_schema_extra=openapi_only(anyOf=[  # _one_source: one source, in one spelling
        given(payment_source="string", absent=("payment_source_tokens", "payment_method_id", "off_session")),
        given(payment_source_tokens="array", absent=("payment_source", "payment_method_id", "off_session")),
        given(payment_method_id="string", absent=("payment_source", "payment_source_tokens",
                                                  "save_payment_method")),
        given(off_session={"enum": [True]}, absent=("payment_source", "payment_source_tokens", "payment_method_id",
                                                     "save_payment_method"))]))

    @model_validator(mode="before")
    @classmethod
    def _one_source(cls, data: Any) -> Any:
        """Both spellings become ``payment_source``, so a retry in either spelling is the same request."""
        if not isinstance(data, dict):
            return data
        tokens = data.get("payment_source_tokens")
        saved = data.get("payment_method_id") is not None
        if saved and (tokens is not None or data.get("payment_source") is not None):
            raise PydanticCustomError("parameter_invalid", "{detail}", {
                "first": "payment_method_id", "detail": "give payment_source or payment_method_id, not both"})
        typed = tokens is not None or data.get("payment_source") is not None
        if data.get("off_session") not in (None, False) and typed:
            raise PydanticCustomError("parameter_invalid", "{detail}", {"first": "off_session", "detail": (
                "only with a saved card (payment_method_id, or none: the customer's default card)")})
        if data.get("save_payment_method") not in (None, False) and not typed:
            raise PydanticCustomError("parameter_invalid", "{detail}", {"first": "save_payment_method", "detail": (
                "only with payment_source (a saved card is already saved)")})
        if tokens is None:
            if data.get("payment_source") is None and not saved and data.get("off_session") is not True:
                raise PydanticCustomError("parameter_missing", "payment_source is required", {"first": "payment_source"})
            return data
        if data.get("payment_source") is not None:
            raise PydanticCustomError("parameter_invalid", "{detail}", {
                "first": "payment_source_tokens", "detail": "give payment_source or payment_source_tokens, not both"})
        if not isinstance(tokens, list) or len(tokens) != 1 or tokens[0] is None:  # [null] is no token either
            raise PydanticCustomError("parameter_invalid", "{detail}", {
                "first": "payment_source_tokens", "detail": "give exactly one token: a pay_order charges the whole "
                "outstanding balance to one payment source"})
        return {**{k: v for k, v in data.items() if k != "payment_source_tokens"}, "payment_source": tokens[0]}


class PaymentIntentInput(Input):
    payment_intent_id: str = Field(description="The payment intent, `pi_...`.")


class CapturePaymentInput(Input):
    payment_intent_id: str = Field(description="The held payment (status REQUIRES_CAPTURE).")
    amount_money: MoneyIn | None = Field(None, description="Capture less than the hold; the rest is released. "
                                                           "Default: the whole hold.")


class VoidPaymentInput(PaymentIntentInput):
    preview_id: str | None = Field(None, max_length=100, description="The preview_id of a preview_void_payment: "
                                   "void only if nothing changed since.")


PaymentStatusIn = lenient_enum(PaymentStatus, "Only payments in this status.")


class ListPaymentIntentsInput(ListInput):
    order_id: str | None = Field(None, description="Only this order's payments.")
    status: PaymentStatusIn | None = Field(None, description="Only payments in this status.")
