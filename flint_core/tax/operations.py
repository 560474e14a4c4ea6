"""Tax rates: the merchant's nexus rules (jurisdiction, rate, category, inclusive or additive)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from flint_core.kernel import ids
from flint_core.kernel.errors import FlintError
from flint_core.platform.context import Context
from flint_core.platform.pagination import Page, paginate
from flint_core.platform.queries import fetch, scoped
from flint_core.platform.registry import READ_ONLY, WRITE, operation
from flint_core.platform.schema import (
    NOT_BLANK_PATTERN,
    WS,
    Bool,
    Input,
    ListInput,
    Output,
    Percentage,
    given,
    lenient_enum,
    openapi_only,
    stripped_str,
)
from flint_core.store.tables import TaxRate
from flint_core.tax import rules as tax


class TaxCategory(enum.Enum):
    STANDARD = "STANDARD"
    REDUCED = "REDUCED"
    EXEMPT = "EXEMPT"
    DIGITAL = "DIGITAL"


TaxCategoryIn = lenient_enum(TaxCategory, "STANDARD, REDUCED, EXEMPT or DIGITAL.")
CountryCode = Annotated[stripped_str(min_length=2, max_length=2, upper=True),
                        Field(description="ISO 3166-1 alpha-2 country code, e.g. US, DE.",
                              json_schema_extra=openapi_only(
                                  pattern=f"^{WS}[^\\s\\x00-\\x1f\\x7f-\\x9f]{{2}}{WS}$"))]
Region = Annotated[stripped_str(min_length=1, max_length=100, upper=True),
                   Field(json_schema_extra=openapi_only(pattern=NOT_BLANK_PATTERN))]
PostalPrefix = Annotated[stripped_str(min_length=1, max_length=20, upper=True),
                         Field(json_schema_extra=openapi_only(pattern=NOT_BLANK_PATTERN))]


class TaxRateOut(Output):
    object: Literal["tax_rate"] = Field("tax_rate", description="Always `tax_rate`.")
    tax_rate_id: str = Field(description="Id, `txr_...`.")
    name: str = Field(description="Display name, e.g. `CA sales tax`.")
    country: str | None = Field(description="Country it applies in; null means every address.")
    region: str | None = Field(description="Region/state it applies in, if limited to one.")
    postal_prefix: str | None = Field(description="Postal code prefix it applies to, if limited.")
    jurisdiction: str = Field(description="Label of where it applies, e.g. `US-CA` or `ALL`.")
    percentage: str = Field(description="Rate in percent as a decimal string, e.g. `8.875`.")
    tax_category: str = Field(description="The category of line items it taxes.")
    inclusive: bool = Field(description="True: carved out of prices; false: added on top.")
    active: bool = Field(description="Inactive rates are never applied.")
    created_at: datetime = Field(description="When it was created (RFC 3339, UTC).")
    updated_at: datetime = Field(description="When it last changed.")


def rule_of(rate: TaxRate, order: int = 0) -> tax.TaxRule:
    return tax.TaxRule(tax_rate_id=rate.tax_rate_id, name=rate.name, percentage=Decimal(rate.percentage),
                       tax_category=rate.tax_category, inclusive=rate.inclusive, country=rate.country,
                       region=rate.region, postal_prefix=rate.postal_prefix, active=rate.active, created_order=order)


def tax_rate_out(rate: TaxRate) -> TaxRateOut:
    return TaxRateOut(tax_rate_id=rate.tax_rate_id, name=rate.name, country=rate.country, region=rate.region,
                      postal_prefix=rate.postal_prefix, jurisdiction=tax.jurisdiction(rule_of(rate)),
                      percentage=rate.percentage, tax_category=rate.tax_category, inclusive=rate.inclusive,
                      active=rate.active, created_at=rate.created_at, updated_at=rate.updated_at)


def merchant_rules(ctx: Context) -> list[tax.TaxRule]:
    """The environment's active rules, oldest first (later rules win ties)."""
    rates = ctx.session.scalars(scoped(ctx, TaxRate).where(TaxRate.active.is_(True)).order_by(TaxRate.tax_rate_id))
    return [rule_of(rate, order) for order, rate in enumerate(rates)]


def seed_environment(session: Session, *, merchant_id: str, env_id: str, now: datetime) -> None:
    """A new sandbox starts with one rate: 8% STANDARD for every address (the worked example's)."""
    rule = tax.default_sandbox_rule(ids.new_id("tax_rate"))
    session.add(TaxRate(tax_rate_id=rule.tax_rate_id, merchant_id=merchant_id, env_id=env_id, name=rule.name,
                        country=None, region=None, postal_prefix=None, percentage=str(rule.percentage),
                        tax_category=rule.tax_category, inclusive=rule.inclusive, active=True, created_at=now,
                        updated_at=now))


class CreateTaxRateInput(Input):
    name: str = Field(min_length=1, max_length=200, description="Display name, e.g. `NY sales tax`.")
    percentage: Percentage = Field(description="Rate in percent as a decimal string, e.g. `\"8.875\"`.")
    country: CountryCode | None = Field(None, description="ISO 3166-1 alpha-2 country; omit for every address.")
    region: Region | None = Field(None, description="Region/state code within the country (e.g. `CA`); needs country.")
    postal_prefix: PostalPrefix | None = Field(None, description="Postal code prefix (e.g. `941`); needs country.")
    tax_category: TaxCategoryIn = Field(TaxCategory.STANDARD, description="Category of items it taxes: STANDARD "
                                        "(default), REDUCED or DIGITAL (EXEMPT items are never taxed).",
                                        json_schema_extra=openapi_only(enum=["STANDARD", "REDUCED", "DIGITAL"]))
    inclusive: Bool = Field(False, description="True when prices already include this tax (VAT style).")
    active: Bool = Field(True, description="False to create it switched off.")
    model_config = ConfigDict(json_schema_extra=openapi_only(anyOf=[  # _needs_country
        given(country="string"), {"properties": {"region": {"type": "null"}, "postal_prefix": {"type": "null"}}}]))

    @model_validator(mode="after")
    def _needs_country(self) -> CreateTaxRateInput:
        if self.tax_category is TaxCategory.EXEMPT:
            raise FlintError("parameter_invalid", param="tax_category",
                             detail="EXEMPT items are never taxed, so an EXEMPT rate would never apply")
        for name in ("region", "postal_prefix"):
            if getattr(self, name) is not None and self.country is None:
                raise FlintError("parameter_invalid", param=name, detail="needs a country")
        return self


@operation("create_tax_rate", http="POST /v1/tax_rates", scope="catalog:write", safety=WRITE,
           summary="Create a tax rate for a jurisdiction and tax category.")
def create_tax_rate(ctx: Context, params: CreateTaxRateInput) -> TaxRateOut:
    """Add a nexus rule. For each line, Flint applies the most specific active rate whose jurisdiction
    matches the order's `tax_address` (postal prefix beats region beats country beats everywhere) for the
    line's tax category, falling back to the STANDARD rate. Affects orders priced or edited afterwards,
    never orders that are already paid."""
    rate = TaxRate(tax_rate_id=ids.new_id("tax_rate"), merchant_id=ctx.merchant_id, env_id=ctx.env_id,
                   name=params.name, country=params.country, region=params.region, postal_prefix=params.postal_prefix,
                   percentage=params.percentage, tax_category=params.tax_category.value, inclusive=params.inclusive,
                   active=params.active, created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(rate)
    ctx.record("tax_rate", rate.tax_rate_id, "TAX_RATE_CREATED", {"percentage": [None, rate.percentage]})
    return tax_rate_out(rate)


class UpdateTaxRateInput(Input):
    tax_rate_id: str = Field(description="The tax rate to change.")
    name: str | None = Field(None, min_length=1, max_length=200, description="New display name.")
    percentage: Percentage | None = Field(None, description="New rate in percent as a decimal string.")
    active: Bool | None = Field(None, description="False switches the rate off (it is never applied).")


@operation("update_tax_rate", http="PATCH /v1/tax_rates/{tax_rate_id}", scope="catalog:write", safety=WRITE,
           summary="Rename, re-rate, activate or deactivate a tax rate.")
def update_tax_rate(ctx: Context, params: UpdateTaxRateInput) -> TaxRateOut:
    """Change a tax rate, e.g. `active: false` to replace the sandbox's default 8% with your own rates.
    Open orders pick the change up on their next edit; paid orders keep the tax they were paid with."""
    rate = fetch(ctx, TaxRate, params.tax_rate_id, resource="tax_rate", lock=True)
    delta = {}
    for name in ("name", "percentage", "active"):
        value = getattr(params, name)
        if value is not None and value != getattr(rate, name):
            delta[name] = [getattr(rate, name), value]
            setattr(rate, name, value)
    if delta:
        rate.updated_at = ctx.now
        ctx.record("tax_rate", rate.tax_rate_id, "TAX_RATE_UPDATED", delta)
    return tax_rate_out(rate)


class GetTaxRateInput(Input):
    tax_rate_id: str = Field(description="Id of the tax rate, `txr_...`.")


@operation("get_tax_rate", http="GET /v1/tax_rates/{tax_rate_id}", scope="catalog:read", safety=READ_ONLY,
           summary="Fetch one tax rate.")
def get_tax_rate(ctx: Context, params: GetTaxRateInput) -> TaxRateOut:
    """Fetch a tax rate by id, e.g. one named in an order's `tax_breakdown`, to see where and what it taxes."""
    return tax_rate_out(fetch(ctx, TaxRate, params.tax_rate_id, resource="tax_rate"))


class ListTaxRatesInput(ListInput):
    active: bool | None = Field(None, description="Only active (true) or inactive (false) rates.")


@operation("list_tax_rates", http="GET /v1/tax_rates", scope="catalog:read", safety=READ_ONLY,
           summary="List the merchant's tax rates.")
def list_tax_rates(ctx: Context, params: ListTaxRatesInput) -> Page[TaxRateOut]:
    """List tax rates, newest first. A new sandbox has one: 8% STANDARD for every address."""
    stmt = scoped(ctx, TaxRate)
    if params.active is not None:
        stmt = stmt.where(TaxRate.active.is_(params.active))
    rows, token = paginate(ctx.session, stmt, TaxRate.tax_rate_id, params, {"active": params.active})
    return Page[TaxRateOut](data=[tax_rate_out(r) for r in rows], next_page_token=token)
