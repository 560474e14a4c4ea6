"""The tax rate as every face returns it, and as the pure rule pricing reads (``rule_of``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import Row

from flint_core.platform.schema import Output
from flint_core.store.tables import TaxRate
from flint_core.tax import rules as tax


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


def rule_of(rate: TaxRate | Row[Any], order: int = 0) -> tax.TaxRule:
    return tax.TaxRule(tax_rate_id=rate.tax_rate_id, name=rate.name, percentage=Decimal(rate.percentage),
                       tax_category=rate.tax_category, inclusive=rate.inclusive, country=rate.country,
                       region=rate.region, postal_prefix=rate.postal_prefix, active=rate.active, created_order=order)


def tax_rate_out(rate: TaxRate) -> TaxRateOut:
    return TaxRateOut(tax_rate_id=rate.tax_rate_id, name=rate.name, country=rate.country, region=rate.region,
                      postal_prefix=rate.postal_prefix, jurisdiction=tax.jurisdiction(rule_of(rate)),
                      percentage=rate.percentage, tax_category=rate.tax_category, inclusive=rate.inclusive,
                      active=rate.active, created_at=rate.created_at, updated_at=rate.updated_at)
