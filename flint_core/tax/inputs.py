"""What tax rate operations accept, and the address and category types orders read too."""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import ConfigDict, Field, model_validator

from flint_core.kernel.errors import FlintError
from flint_core.platform.schema import (
    NOT_BLANK_PATTERN,
    WS,
    Bool,
    Input,
    ListInput,
    Percentage,
    given,
    lenient_enum,
    openapi_only,
    stripped_str,
)


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


class UpdateTaxRateInput(Input):
    tax_rate_id: str = Field(description="The tax rate to change.")
    name: str | None = Field(None, min_length=1, max_length=200, description="New display name.")
    percentage: Percentage | None = Field(None, description="New rate in percent as a decimal string.")
    active: Bool | None = Field(None, description="False switches the rate off (it is never applied).")


class GetTaxRateInput(Input):
    tax_rate_id: str = Field(description="Id of the tax rate, `txr_...`.")


class ListTaxRatesInput(ListInput):
    active: bool | None = Field(None, description="Only active (true) or inactive (false) rates.")
