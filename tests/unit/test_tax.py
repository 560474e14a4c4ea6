"""tax.py: rule matching, specificity, category fallback, ties and jurisdiction labels."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flint_core.tax.rules import (
    CATEGORIES,
    Address,
    TaxRule,
    default_sandbox_rule,
    jurisdiction,
    matches,
    resolve_rate,
    specificity,
)

FAST = settings(max_examples=300, deadline=None)


def rule(rid="txr", pct="8", **kw) -> TaxRule:
    return TaxRule(tax_rate_id=rid, name=rid, percentage=Decimal(pct), **kw)


SF = Address(country="US", region="CA", postal_code="94107")
LONDON = Address(country="GB", region="ENG", postal_code="SW1A 1AA")


# ---------------------------------------------------------------- TaxRule


def test_categories():
    assert CATEGORIES == ("STANDARD", "REDUCED", "EXEMPT", "DIGITAL")


def test_rule_defaults_and_normalization():
    r = TaxRule("txr_1", "VAT", "8.8750", tax_category="reduced")
    assert r.percentage == Decimal("8.875") and isinstance(r.percentage, Decimal)
    assert r.tax_category == "REDUCED"
    assert (r.inclusive, r.country, r.region, r.postal_prefix, r.active, r.created_order) == (
        False, None, None, None, True, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.active = False  # type: ignore[misc]
    assert not hasattr(r, "__dict__")


@pytest.mark.parametrize(
    "kw",
    [{"percentage": 8.0}, {"percentage": 8}, {"percentage": Decimal(-1)}, {"percentage": "1e1"},
     {"percentage": Decimal("NaN")}, {"percentage": "101"}, {"tax_category": "LUXURY"},
     {"tax_category": ""}, {"tax_category": None}, {"country": 1}, {"region": 1.5},
     {"postal_prefix": 94107}],
)
def test_rule_validation(kw):
    base = {"tax_rate_id": "txr", "name": "Tax", "percentage": Decimal(8)}
    with pytest.raises(ValueError):
        TaxRule(**{**base, **kw})


def test_address_defaults():
    assert Address() == Address(None, None, None)


# ---------------------------------------------------------------- matches


def test_rule_without_country_matches_everywhere():
    r = rule()
    for address in (SF, LONDON, Address(), None, Address(region="CA")):
        assert matches(r, address)


def test_rule_without_country_ignores_region_and_prefix():
    assert matches(rule(region="CA", postal_prefix="941"), LONDON)
    assert matches(rule(region="CA"), None)


def test_inactive_rules_never_match():
    assert not matches(rule(active=False), SF)
    assert not matches(rule(country="US", active=False), SF)


@pytest.mark.parametrize("country", ["US", "us", " Us "])
def test_country_is_case_insensitive(country):
    assert matches(rule(country=country), SF)
    assert matches(rule(country="US"), Address(country=country))


def test_country_rule_needs_the_country():
    r = rule(country="US")
    assert not matches(r, LONDON)
    assert not matches(r, Address())
    assert not matches(r, Address(region="CA", postal_code="94107"))
    assert not matches(r, None)
    assert not matches(r, Address(country=""))


def test_region():
    assert matches(rule(country="US", region="ca"), SF)
    assert matches(rule(country="US", region="CA"), Address("us", "Ca"))
    assert not matches(rule(country="US", region="NY"), SF)
    assert not matches(rule(country="US", region="CA"), Address(country="US"))
    assert not matches(rule(country="GB", region="CA"), Address("US", "CA"))


def test_blank_region_or_prefix_on_a_rule_means_none():
    assert matches(rule(country="US", region="  ", postal_prefix=""), Address(country="US"))
    assert specificity(rule(country="US", region=" ", postal_prefix=" ")) == (True, 0, False)


@pytest.mark.parametrize(
    "prefix, postal, expected",
    [("941", "94107", True), ("94107", "94107", True), ("941070", "94107", False),
     ("942", "94107", False), ("sw1a", "SW1A 1AA", True), ("SW1A 1", "sw1a1aa", True),
     ("SW1A1AB", "SW1A 1AA", False), ("941", None, False), ("941", "", False),
     ("941", " 941 07 ", True)],
)
def test_postal_prefix(prefix, postal, expected):
    r = rule(country="US" if prefix[0].isdigit() else "GB", postal_prefix=prefix)
    country = "US" if prefix[0].isdigit() else "GB"
    assert matches(r, Address(country=country, postal_code=postal)) is expected


# ---------------------------------------------------------------- specificity and resolution


def test_specificity():
    assert specificity(rule()) == (False, 0, False)
    assert specificity(rule(country="US")) == (True, 0, False)
    assert specificity(rule(country="US", region="CA")) == (True, 0, True)
    assert specificity(rule(country="US", region="CA", postal_prefix="9 41")) == (True, 3, True)
    assert specificity(rule(country="US", postal_prefix="94107")) == (True, 5, False)
    assert specificity(rule(country="US", postal_prefix="94")) > specificity(
        rule(country="US", region="CA"))
    assert specificity(rule(country="US")) > specificity(rule(region="CA", postal_prefix="94107"))


def test_most_specific_rule_wins():
    everywhere = rule("all", "5", created_order=9)
    us = rule("us", "6", country="US")
    ca = rule("ca", "7.25", country="US", region="CA")
    sf = rule("sf", "8.625", country="US", region="CA", postal_prefix="941")
    ny = rule("ny", "8.875", country="US", region="NY", postal_prefix="100")
    rules = [sf, ca, ny, us, everywhere]
    assert resolve_rate(rules, SF, "STANDARD") is sf
    assert resolve_rate(rules, Address("US", "CA", "90001"), "STANDARD") is ca
    assert resolve_rate(rules, Address("US", "TX"), "STANDARD") is us
    assert resolve_rate(rules, Address("US", "NY", "10001"), "STANDARD") is ny
    assert resolve_rate(rules, LONDON, "STANDARD") is everywhere
    assert resolve_rate(rules, None, "STANDARD") is everywhere
    assert resolve_rate([sf, ca, us], LONDON, "STANDARD") is None


def test_ties_go_to_the_rule_created_later():
    old = rule("old", "5", country="US", created_order=1)
    new = rule("new", "6", country="US", created_order=2)
    assert resolve_rate([old, new], SF) is new
    assert resolve_rate([new, old], SF) is new
    # Equal created_order: the later in the list wins, so the answer is still deterministic.
    a, b = rule("a", country="US"), rule("b", country="US")
    assert resolve_rate([a, b], SF) is b
    assert resolve_rate([b, a], SF) is a


def test_specificity_beats_recency():
    specific = rule("specific", country="US", region="CA", created_order=1)
    recent = rule("recent", country="US", created_order=99)
    assert resolve_rate([specific, recent], SF) is specific


def test_inactive_rules_are_skipped():
    active = rule("active", country="US")
    inactive = rule("inactive", country="US", region="CA", created_order=5, active=False)
    assert resolve_rate([active, inactive], SF) is active


def test_category_rules():
    standard = rule("std", "20", country="GB")
    reduced = rule("red", "5", country="GB", tax_category="REDUCED")
    digital = rule("dig", "20", tax_category="DIGITAL")
    rules = [standard, reduced, digital]
    assert resolve_rate(rules, LONDON, "STANDARD") is standard
    assert resolve_rate(rules, LONDON, "REDUCED") is reduced
    assert resolve_rate(rules, LONDON, "reduced") is reduced
    assert resolve_rate(rules, LONDON, "DIGITAL") is digital
    assert resolve_rate(rules, LONDON) is standard


def test_exempt_is_never_taxed():
    rules = [rule("std"), rule("ex", tax_category="EXEMPT", country="GB")]
    assert resolve_rate(rules, LONDON, "EXEMPT") is None
    assert resolve_rate(rules, LONDON, "exempt") is None
    assert resolve_rate(rules, LONDON, "STANDARD").tax_rate_id == "std"


def test_missing_category_falls_back_to_standard():
    standard = rule("std", "8", country="US")
    reduced_elsewhere = rule("red", "5", country="GB", tax_category="REDUCED")
    rules = [standard, reduced_elsewhere]
    assert resolve_rate(rules, SF, "REDUCED") is standard
    assert resolve_rate(rules, SF, "DIGITAL") is standard
    assert resolve_rate(rules, LONDON, "REDUCED") is reduced_elsewhere
    assert resolve_rate([reduced_elsewhere], SF, "REDUCED") is None
    assert resolve_rate([], SF, "DIGITAL") is None


def test_a_matching_category_rule_beats_a_more_specific_standard_rule():
    standard = rule("std", country="US", region="CA", postal_prefix="941")
    digital = rule("dig", "3", tax_category="DIGITAL")
    assert resolve_rate([standard, digital], SF, "DIGITAL") is digital


def test_category_rule_does_not_leak_into_standard():
    reduced = rule("red", "5", tax_category="REDUCED", created_order=9)
    standard = rule("std", "8", created_order=1)
    assert resolve_rate([reduced, standard], SF, "STANDARD") is standard
    assert resolve_rate([reduced], SF, "STANDARD") is None


@pytest.mark.parametrize("bad", ["LUXURY", "", None, 3])
def test_resolve_rate_rejects_unknown_categories(bad):
    with pytest.raises(ValueError):
        resolve_rate([rule()], SF, bad)


def test_resolve_rate_accepts_any_iterable():
    r = rule()
    assert resolve_rate(iter([r]), SF, "STANDARD") is r
    assert resolve_rate((r for _ in range(1)), SF, "REDUCED") is r


# ---------------------------------------------------------------- labels and defaults


@pytest.mark.parametrize(
    "kw, label",
    [({}, "ALL"), ({"country": "US"}, "US"), ({"country": "us", "region": "ca"}, "US-CA"),
     ({"country": "US", "region": "CA", "postal_prefix": "941"}, "US-CA-941"),
     ({"country": "US", "postal_prefix": "941"}, "US-941"),
     ({"country": "GB", "postal_prefix": "sw1a 1"}, "GB-SW1A1"),
     ({"region": "CA"}, "ALL")],
)
def test_jurisdiction(kw, label):
    assert jurisdiction(rule(**kw)) == label


def test_default_sandbox_rule():
    r = default_sandbox_rule("txr_default")
    assert r.tax_rate_id == "txr_default"
    assert r.name == "Sales tax"
    assert r.percentage == Decimal(8)
    assert (r.tax_category, r.inclusive, r.country, r.active) == ("STANDARD", False, None, True)
    assert resolve_rate([r], None) is r
    assert resolve_rate([r], LONDON, "DIGITAL") is r
    assert jurisdiction(r) == "ALL"


# ---------------------------------------------------------------- properties

countries = st.sampled_from([None, "US", "GB", "us"])
regions = st.sampled_from([None, "CA", "NY", "ca"])
prefixes = st.sampled_from([None, "9", "94", "941", "9410", "100"])
rules_strategy = st.lists(
    st.builds(
        TaxRule,
        tax_rate_id=st.text("abc", min_size=1, max_size=3),
        name=st.just("r"),
        percentage=st.integers(0, 100).map(Decimal),
        tax_category=st.sampled_from(CATEGORIES),
        country=countries,
        region=regions,
        postal_prefix=prefixes,
        active=st.booleans(),
        created_order=st.integers(0, 5),
    ),
    max_size=10,
)
addresses = st.one_of(
    st.none(),
    st.builds(Address, countries, regions, st.sampled_from([None, "94107", "10001", "9"])),
)


@FAST
@given(rules_strategy, addresses, st.sampled_from(CATEGORIES))
def test_resolution_is_the_best_match(rules, address, category):
    found = resolve_rate(rules, address, category)
    if category == "EXEMPT":
        assert found is None
        return
    own = [r for r in rules if r.tax_category == category and matches(r, address)]
    standard = [r for r in rules if r.tax_category == "STANDARD" and matches(r, address)]
    pool = own or standard
    if not pool:
        assert found is None
        return
    assert found in pool and found.active and matches(found, address)
    best = max((specificity(r), r.created_order) for r in pool)
    assert (specificity(found), found.created_order) == best
