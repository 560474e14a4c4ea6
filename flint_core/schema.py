"""Shared pydantic building blocks for operation inputs and outputs.

Inputs forbid unknown fields, use strict integers for amounts and quantities (a fractional or string
quantity is an error, not a guess), and accept the lenient enum spellings of DESIGN.md section 5. Every
input property carries a description: the same models feed the HTTP routes, MCP tools and tool catalog.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from flint_core import money
from flint_core.text import control_character_at


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _refuse_control_characters(cls, data: Any) -> Any:
        """Text inputs never carry control characters (``flint_core.text``): 400 naming the field, or, for
        an id (an operation's own ``*_id`` field), 404 like any other id that names nothing."""
        path = control_character_at(data)
        if path is None:
            return data
        if len(path) == 1 and path[0] in cls.model_fields and str(path[0]).endswith("_id"):
            raise PydanticCustomError("resource_missing", "No such {resource}: {id!r}.",
                                      {"resource": str(path[0]).removesuffix("_id"), "id": data[path[0]],
                                       "path": path})
        raise PydanticCustomError("parameter_invalid", "{detail}", {
            "detail": "control characters (such as NUL) are not allowed; tab, newline and carriage return are",
            "path": path})


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _currency(value: Any) -> str:
    try:
        return money.normalize_currency(value)
    except money.CurrencyError:
        raise PydanticCustomError("invalid_currency", "{value!r} is not a supported ISO 4217 currency code.",
                                  {"value": value}) from None


def _percentage(value: str) -> str:
    try:
        return str(money.parse_percentage(value))
    except money.PercentageError as exc:
        raise PydanticCustomError("percentage", "must be a decimal string of percent from 0 to 100, "
                                  "like \"20\" or \"8.875\" ({error})", {"error": str(exc)}) from None


Currency = Annotated[str, BeforeValidator(_currency),
                     Field(description="Three-letter ISO 4217 currency code, e.g. USD, EUR, JPY.")]
AmountInt = Annotated[StrictInt, Field(ge=0, le=money.MAX_AMOUNT)]
Quantity = Annotated[StrictInt, Field(ge=1, le=1_000_000)]
Percentage = Annotated[str, AfterValidator(_percentage), Field(max_length=20)]
Bool = StrictBool


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Timestamp = Annotated[datetime, AfterValidator(_utc)]  # RFC 3339; a time without an offset is UTC
Metadata = Annotated[dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=500)]],
                     Field(max_length=50, description="Up to 50 string key-value pairs for your own use "
                                                      "(keys up to 40 characters, values up to 500).")]


class MoneyIn(Input):
    amount: AmountInt = Field(description="Integer amount in the currency's minor unit (cents for USD, "
                                          "yen for JPY), from 0 to 2^53 - 1.")
    currency: Currency


class PartMoneyIn(MoneyIn):
    """Money that is part of an order (a line's price, a service charge, a tip): its currency may be left out
    and is then the order's."""

    currency: Currency | None = Field(None, description="ISO 4217 code; absent means the order's currency.")


class MoneyOut(Output):
    amount: int = Field(description="Integer amount in the currency's minor unit.")
    currency: str = Field(description="ISO 4217 currency code.")

    @classmethod
    def of(cls, amount: int, currency: str) -> MoneyOut:
        return cls(amount=amount, currency=currency)


def lenient_enum(enum_cls: type[enum.Enum], description: str) -> Any:
    """An enum input that also accepts lower-case, dashed and ``PREFIX_``-style spellings.

    ``RefundReason`` accepts ``REQUESTED_BY_CUSTOMER``, ``requested_by_customer`` and
    ``REFUND_REASON_REQUESTED_BY_CUSTOMER``; outputs are always the canonical value.
    """
    prefix = "".join("_" + c if c.isupper() and i else c for i, c in enumerate(enum_cls.__name__)).upper() + "_"
    canonical = [member.value for member in enum_cls]

    def normalize(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        spelled = value.strip().upper().replace("-", "_").replace(" ", "_")
        if spelled not in canonical and spelled.startswith(prefix):
            spelled = spelled[len(prefix):]
        return spelled

    return Annotated[enum_cls, BeforeValidator(normalize),
                     WithJsonSchema({"type": "string", "enum": canonical, "description": description}),
                     Field(description=description)]


class ListInput(Input):
    page_size: int = Field(0, description="Objects per page: absent or 0 means 50, at most 200 (larger "
                                           "values are treated as 200).")
    page_token: str | None = Field(None, description="The next_page_token of the previous page, unchanged, "
                                                     "with the same filters.")
    order_by: str | None = Field(None, description="`created_at` lists oldest first; the default is newest "
                                                   "first.")


def exactly_one(model: BaseModel, first: str, second: str) -> None:
    """For a model_validator: exactly one of two optional fields must be given."""
    if (getattr(model, first) is None) == (getattr(model, second) is None):
        raise PydanticCustomError("parameter_invalid", "give exactly one of {first} or {second}",
                                  {"detail": f"give exactly one of {first} or {second}", "first": first,
                                   "second": second})
