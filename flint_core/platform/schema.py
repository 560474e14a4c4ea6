"""Shared pydantic building blocks for operation inputs and outputs.

Inputs forbid unknown fields, use strict integers for amounts and quantities (a fractional or string
quantity is an error, not a guess), and accept the lenient enum spellings of DESIGN.md section 5. Every
input property carries a description: the same models feed the HTTP routes, MCP tools and tool catalog.
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from flint_core.kernel import money
from flint_core.kernel.text import control_character_at

#: Key of a ``json_schema_extra`` that only /openapi.json applies (``flint_http/openapi.py`` merges it into the
#: node, or into the non-null variant of an optional one): rules the server checks that the portable tool
#: schemas cannot state (`pattern`, cross-field `anyOf`) or that would change them (`enum`). The tool schemas
#: keep only the keys of the portable subset, so they never see it.
OPENAPI_ONLY = "x-flint-openapi"
# Surrounding whitespace the server strips before checking a value (str.strip and pydantic's strip_whitespace:
# Unicode White_Space; the C0/C1 ones among it are control characters, refused before any stripping).
WS = "[\\t\\n\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*"


_CONTROLS = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
#: Text that is not blank once stripped (what strip_whitespace with min_length=1 leaves non-empty).
NOT_BLANK_PATTERN = f"^[^{_CONTROLS}]*[^\\s{_CONTROLS}][^{_CONTROLS}]*$"


def stripped_str(*, min_length: int, max_length: int, upper: bool = False) -> Any:
    """Text taken with its surrounding whitespace stripped (and upper-cased): at most ``max_length`` characters as
    sent, which is what maxLength in the schemas says (pydantic's strip_whitespace would count them after
    stripping, so a padded value the schemas refuse would pass), and at least ``min_length`` once stripped."""

    def strip(value: str) -> str:
        value = value.strip().upper() if upper else value.strip()
        if len(value) < min_length:
            raise PydanticCustomError("string_too_short", "String should have at least {min_length} "
                                      f"character{'s' if min_length != 1 else ''}", {"min_length": min_length})
        return value

    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length), AfterValidator(strip)]


def openapi_only(**schema: Any) -> dict[str, Any]:
    """``json_schema_extra`` for a rule stated in /openapi.json only (see OPENAPI_ONLY)."""
    return {OPENAPI_ONLY: schema}


def given(*, absent: tuple[str, ...] = (), **types: Any) -> dict[str, Any]:
    """One case of a cross-field rule (for an `anyOf`): these fields are given, with a value of this JSON type (or
    this schema), and the ``absent`` ones left out (or null, which means the same)."""
    properties = {name: {"type": kind} if isinstance(kind, str) else kind for name, kind in types.items()}
    return {"required": list(types), "properties": properties | {name: {"type": "null"} for name in absent}}


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _refuse_control_characters(cls, data: Any) -> Any:
        """Text inputs never carry control characters (``flint_core.kernel.text``): 400 naming the field, or, for
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


class Resource(Output):
    """An object events carry (an order, a payment intent, a refund, a checkout session): rendered once, for
    the event and the response alike (the body and the stored idempotent answer). Built whole and never
    changed afterwards. (Only these: a private attribute makes every instance slower to make.)"""

    _json: dict[str, Any] | None = PrivateAttr(default=None)

    def as_json(self) -> dict[str, Any]:
        if self._json is None:
            self._json = self.model_dump(mode="json")
        return self._json


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
                     Field(description="Three-letter ISO 4217 currency code, e.g. USD, EUR, JPY.",
                           # any case and surrounding spaces are accepted too; the document names the codes
                           json_schema_extra=openapi_only(
                               pattern=f"^({'|'.join(sorted(money.CURRENCY_EXPONENTS))})$"))]
AmountInt = Annotated[StrictInt, Field(ge=0, le=money.MAX_AMOUNT)]
Quantity = Annotated[StrictInt, Field(ge=1, le=1_000_000)]
# money.parse_percentage: up to 20 digits, up to 6 decimals, at most 100 (leading zeros allowed)
PERCENTAGE_PATTERN = f"^{WS}(0{{0,18}}[0-9]{{1,2}}(\\.[0-9]{{1,6}})?|0{{0,17}}100(\\.0{{1,6}})?){WS}$"
# The length limit comes before the parser: placed after it, pydantic would check the parsed value ("0"), so a
# "0" with 20 spaces after it would pass although /openapi.json (maxLength 20) refuses it.
Percentage = Annotated[str, StringConstraints(max_length=20), AfterValidator(_percentage),
                       Field(json_schema_extra=openapi_only(pattern=PERCENTAGE_PATTERN))]
Bool = StrictBool


# RFC 3339 date-time (section 5.6), plus one documented leniency: no offset means UTC. Checked before pydantic
# parses it, because pydantic's datetime also takes numbers and numeric strings as Unix times (`0.5`),
# date-only strings and a space for the `T`: none of them is the declared `format: date-time`.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?")
_TIMESTAMP_DETAIL = "must be an RFC 3339 date-time string such as 2026-12-31T23:59:59Z"


def _rfc3339(value: Any) -> Any:
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise PydanticCustomError("parameter_invalid", _TIMESTAMP_DETAIL, {"detail": _TIMESTAMP_DETAIL})
    return value


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 9999-12-31T23:59:59-05:00 is valid RFC 3339 but past datetime.max in UTC (and 0001-01-01 with a
        # positive offset before datetime.min): the nearest representable instant means the same to a filter
        # or an expiry, where refusing valid input would not.
        return (datetime.max if value.year == datetime.max.year else datetime.min).replace(tzinfo=UTC)


Timestamp = Annotated[datetime, BeforeValidator(_rfc3339), AfterValidator(_utc)]
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
        """Money the server computed (an int in minor units, a known currency). Validated like any model:
        pydantic-core checks two fields faster than ``model_construct`` skips them (a Python loop)."""
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


def one_of(values: tuple[str, ...], detail: str | None = None) -> Any:
    """A string input with a fixed set of values, declared as a string `enum` (tool schemas and OpenAPI),
    so clients see the choices; anything else is a 400 naming the field and the choices."""
    detail = detail or f"use one of {', '.join(values)}"

    def check(value: Any) -> Any:
        if value not in values:
            raise PydanticCustomError("parameter_invalid", detail, {"detail": detail})
        return value

    return Annotated[str, BeforeValidator(check), WithJsonSchema({"type": "string", "enum": list(values)})]


OrderBy = one_of(("created_at", "-created_at"),
                 "use `created_at` (oldest first) or `-created_at` (newest first, the default)")


class ListInput(Input):
    page_size: int = Field(0, ge=0, description="Objects per page: absent or 0 means 50, at most 200 (larger "
                                                 "values are treated as 200).")
    page_token: str | None = Field(None, description="The next_page_token of the previous page, unchanged, "
                                                     "with the same filters.")
    order_by: OrderBy | None = Field(None, description="`created_at` lists oldest first; `-created_at` (the "
                                                       "default) newest first.")


def exactly_one(model: BaseModel, first: str, second: str) -> None:
    """For a model_validator: exactly one of two optional fields must be given."""
    if (getattr(model, first) is None) == (getattr(model, second) is None):
        raise PydanticCustomError("parameter_invalid", "give exactly one of {first} or {second}",
                                  {"detail": f"give exactly one of {first} or {second}", "first": first,
                                   "second": second})


def drop_nulls(value: Any) -> Any:
    """A ``null`` argument, at any depth, means the same as an absent one (OpenAI strict mode)."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value
