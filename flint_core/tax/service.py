"""Tax steps other domains take: the environment's active rules for repricing an order
(``merchant_rules``), and the one rate a new sandbox starts with (``seed_environment``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from flint_core.kernel import ids
from flint_core.platform.context import Context
from flint_core.platform.queries import row_columns
from flint_core.store.tables import TaxRate
from flint_core.tax import rules as tax
from flint_core.tax.views import rule_of

_rates = TaxRate.__table__
# Every order priced reads these: a Core statement, built once.
_ACTIVE = (select(*row_columns(TaxRate))
           .where(_rates.c.merchant_id == bindparam("merchant_id"), _rates.c.env_id == bindparam("env_id"),
                  _rates.c.active.is_(True))
           .order_by(_rates.c.tax_rate_id))


def merchant_rules(ctx: Context) -> list[tax.TaxRule]:
    """The environment's active rules, oldest first (later rules win ties)."""
    rates = ctx.session.execute(_ACTIVE, {"merchant_id": ctx.merchant_id, "env_id": ctx.env_id})
    return [rule_of(rate, order) for order, rate in enumerate(rates)]


def seed_environment(session: Session, *, merchant_id: str, env_id: str, now: datetime) -> None:
    """A new sandbox starts with one rate: 8% STANDARD for every address (the worked example's)."""
    rule = tax.default_sandbox_rule(ids.new_id("tax_rate"))
    session.add(TaxRate(tax_rate_id=rule.tax_rate_id, merchant_id=merchant_id, env_id=env_id, name=rule.name,
                        country=None, region=None, postal_prefix=None, percentage=str(rule.percentage),
                        tax_category=rule.tax_category, inclusive=rule.inclusive, active=True, created_at=now,
                        updated_at=now))
