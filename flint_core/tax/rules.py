"""Nexus rules -> the tax rate that applies to a line, as pure functions.

A merchant's tax rules say where (country, region, postal prefix) and on what (tax category) a
rate applies. The most specific matching rule wins; a later rule breaks ties, so a merchant can
override a rate by creating a new rule rather than editing history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from flint_core.kernel.money import parse_percentage

__all__ = [
    "CATEGORIES",
    "TaxRule",
    "Address",
    "matches",
    "specificity",
    "resolve_rate",
    "jurisdiction",
    "default_sandbox_rule",
    "normalize_category",
]

CATEGORIES = ("STANDARD", "REDUCED", "EXEMPT", "DIGITAL")


def normalize_category(category: str) -> str:
    """Canonical upper-case tax category; ValueError for anything outside CATEGORIES."""
    if not isinstance(category, str) or category.strip().upper() not in CATEGORIES:
        raise ValueError(f"tax_category must be one of {', '.join(CATEGORIES)}, got {category!r}")
    return category.strip().upper()


def _text(value: str | None) -> str | None:
    """Upper-cased, stripped text; empty means absent (a blank form field is not a place)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    value = value.strip().upper()
    return value or None


def _postal(value: str | None) -> str | None:
    """Postal codes compare without spaces: "SW1A 1AA" starts with "SW1A"."""
    value = _text(value)
    if value is None:
        return None
    return value.replace(" ", "") or None


@dataclass(frozen=True, slots=True)
class TaxRule:
    """One merchant tax rate. ``created_order``: larger = created later (wins ties)."""

    tax_rate_id: str
    name: str
    percentage: Decimal
    tax_category: str = "STANDARD"
    inclusive: bool = False
    country: str | None = None
    region: str | None = None
    postal_prefix: str | None = None
    active: bool = True
    created_order: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "percentage", parse_percentage(self.percentage))
        object.__setattr__(self, "tax_category", normalize_category(self.tax_category))
        for name in ("country", "region", "postal_prefix"):
            _text(getattr(self, name))  # type check only; stored as given, compared normalized


@dataclass(frozen=True, slots=True)
class Address:
    """Where the order is taxed. Every part is optional."""

    country: str | None = None
    region: str | None = None
    postal_code: str | None = None


def matches(rule: TaxRule, address: Address | None) -> bool:
    """Whether ``rule`` applies at ``address``.

    Inactive rules never match. A rule without a country applies everywhere (even with no address),
    and then its region/postal prefix are ignored: they only narrow a country. A rule that names a
    country needs an address in that country, and its region/prefix must match when present.
    """
    if not rule.active:
        return False
    country = _text(rule.country)
    if country is None:
        return True
    if address is None or _text(address.country) != country:
        return False
    region = _text(rule.region)
    if region is not None and _text(address.region) != region:
        return False
    prefix = _postal(rule.postal_prefix)
    if prefix is not None:
        postal = _postal(address.postal_code)
        if postal is None or not postal.startswith(prefix):
            return False
    return True


def specificity(rule: TaxRule) -> tuple[bool, int, bool]:
    """(has country, length of postal prefix, has region): larger is more specific.

    A rule with no country applies everywhere, so its region/prefix count for nothing.
    """
    if _text(rule.country) is None:
        return (False, 0, False)
    prefix = _postal(rule.postal_prefix)
    return (True, len(prefix) if prefix else 0, _text(rule.region) is not None)


def _best(rules: list[TaxRule], address: Address | None, category: str) -> TaxRule | None:
    candidates = [
        (specificity(rule), rule.created_order, index, rule)
        for index, rule in enumerate(rules)
        if rule.tax_category == category and matches(rule, address)
    ]
    if not candidates:
        return None
    # Later in the list breaks a tie on created_order too, so the result is always deterministic.
    return max(candidates, key=lambda c: c[:3])[3]


def resolve_rate(
    rules: Iterable[TaxRule], address: Address | None, category: str = "STANDARD"
) -> TaxRule | None:
    """The rule taxing a line of ``category`` at ``address``, or None when it is untaxed.

    EXEMPT lines are never taxed. The most specific matching active rule of the category wins
    (ties: the rule created later). A REDUCED or DIGITAL line with no rule of its own category
    falls back to the STANDARD rule, because an unconfigured category must not silently become
    tax-free; if there is no STANDARD rule either, the line is untaxed (None).
    """
    category = normalize_category(category)
    if category == "EXEMPT":
        return None
    rules = list(rules)
    found = _best(rules, address, category)
    if found is None and category != "STANDARD":
        found = _best(rules, address, "STANDARD")
    return found


def jurisdiction(rule: TaxRule) -> str:
    """A label for the tax breakdown: "US-CA-941", "US-CA", "US", or "ALL" when no country."""
    country = _text(rule.country)
    if country is None:
        return "ALL"
    parts = [country, _text(rule.region), _postal(rule.postal_prefix)]
    return "-".join(part for part in parts if part)


def default_sandbox_rule(tax_rate_id: str) -> TaxRule:
    """The rule every sandbox starts with (API.md section 6 worked example): 8% additive, everywhere."""
    return TaxRule(tax_rate_id=tax_rate_id, name="Sales tax", percentage=Decimal("8"))
