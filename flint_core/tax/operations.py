"""Tax rates: the merchant's nexus rules (jurisdiction, rate, category, inclusive or additive)."""

from __future__ import annotations

from flint_core.kernel import ids
from flint_core.platform.context import Context
from flint_core.platform.pagination import Page, paginate
from flint_core.platform.queries import fetch, scoped
from flint_core.platform.registry import CREATE, READ_ONLY, WRITE, operation
from flint_core.store.tables import TaxRate
from flint_core.tax.inputs import CreateTaxRateInput, GetTaxRateInput, ListTaxRatesInput, UpdateTaxRateInput
from flint_core.tax.views import TaxRateOut, tax_rate_out


@operation("create_tax_rate", http="POST /v1/tax_rates", scope="catalog:write", safety=CREATE,
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


@operation("get_tax_rate", http="GET /v1/tax_rates/{tax_rate_id}", scope="catalog:read", safety=READ_ONLY,
           summary="Fetch one tax rate.")
def get_tax_rate(ctx: Context, params: GetTaxRateInput) -> TaxRateOut:
    """Fetch a tax rate by id, e.g. one named in an order's `tax_breakdown`, to see where and what it taxes."""
    return tax_rate_out(fetch(ctx, TaxRate, params.tax_rate_id, resource="tax_rate"))


@operation("list_tax_rates", http="GET /v1/tax_rates", scope="catalog:read", safety=READ_ONLY,
           summary="List the merchant's tax rates.")
def list_tax_rates(ctx: Context, params: ListTaxRatesInput) -> Page[TaxRateOut]:
    """List tax rates, newest first. A new sandbox has one: 8% STANDARD for every address."""
    stmt = scoped(ctx, TaxRate)
    if params.active is not None:
        stmt = stmt.where(TaxRate.active.is_(params.active))
    rows, token = paginate(ctx.session, stmt, TaxRate.tax_rate_id, params, {"active": params.active})
    return Page[TaxRateOut](data=[tax_rate_out(r) for r in rows], next_page_token=token)
