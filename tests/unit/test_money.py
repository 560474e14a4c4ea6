"""money.py: currencies, Money, percentages, exact rounding and largest-remainder allocation."""

from __future__ import annotations

import dataclasses
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flint_core.kernel.money import (
    CURRENCY_EXPONENTS,
    MAX_AMOUNT,
    CurrencyError,
    Money,
    PercentageError,
    allocate,
    currency_exponent,
    normalize_currency,
    parse_percentage,
    percent_of,
    round_half_up,
)

FAST = settings(max_examples=300, deadline=None)


def decimal_half_up(numerator: int, denominator: int) -> int:
    """Reference rounding through Decimal with enough precision to be exact for these inputs."""
    with localcontext() as ctx:
        ctx.prec = 200
        return int((Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), ROUND_HALF_UP))


# ---------------------------------------------------------------- currencies


def test_max_amount_is_the_largest_exact_json_integer():
    assert MAX_AMOUNT == 9007199254740991


@pytest.mark.parametrize(
    "code, exponent",
    [("USD", 2), ("EUR", 2), ("GBP", 2), ("JPY", 0), ("KRW", 0), ("VND", 0), ("CLP", 0),
     ("ISK", 0), ("XAF", 0), ("XOF", 0), ("XPF", 0), ("KWD", 3), ("BHD", 3), ("JOD", 3),
     ("OMR", 3), ("TND", 3), ("LYD", 3), ("IQD", 3), ("CHF", 2), ("INR", 2), ("XCG", 2),
     ("ZWG", 2), ("SLE", 2), ("VES", 2), ("MRU", 2), ("STN", 2)],
)
def test_exponents(code, exponent):
    assert CURRENCY_EXPONENTS[code] == exponent
    assert currency_exponent(code) == exponent
    assert currency_exponent(code.lower()) == exponent


def test_table_is_the_full_active_list():
    assert len(CURRENCY_EXPONENTS) >= 150
    for code, exponent in CURRENCY_EXPONENTS.items():
        assert len(code) == 3 and code.isalpha() and code.isupper()
        assert exponent in (0, 2, 3)


@pytest.mark.parametrize(
    "code",
    ["XAU", "XAG", "XPT", "XPD", "XTS", "XXX", "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN",
     "UYI", "UYW", "XDR", "XSU", "XUA", "XBA"],
)
def test_metals_test_and_fund_codes_are_excluded(code):
    assert code not in CURRENCY_EXPONENTS
    with pytest.raises(CurrencyError):
        normalize_currency(code)


@pytest.mark.parametrize("raw, canonical", [("usd", "USD"), (" eur ", "EUR"), ("JpY", "JPY")])
def test_normalize_currency(raw, canonical):
    assert normalize_currency(raw) == canonical


@pytest.mark.parametrize("bad", ["", "  ", "US", "USDD", "ABC", "usd1", None, 840, b"USD", ["USD"]])
def test_normalize_currency_rejects(bad):
    with pytest.raises(CurrencyError):
        normalize_currency(bad)


def test_currency_error_is_a_value_error():
    assert issubclass(CurrencyError, ValueError)
    assert issubclass(PercentageError, ValueError)
    with pytest.raises(CurrencyError):
        currency_exponent("NOPE")


# ---------------------------------------------------------------- Money


def test_money_arithmetic_and_shape():
    a, b = Money(13824, "usd"), Money(176, "USD")
    assert a.currency == "USD"
    assert a + b == Money(14000, "USD")
    assert a - b == Money(13648, "USD")
    assert b - a == Money(-13648, "USD")
    assert a.to_dict() == {"amount": 13824, "currency": "USD"}
    assert Money.zero("jpy") == Money(0, "JPY")


def test_money_rejects_mixed_currencies():
    with pytest.raises(CurrencyError):
        Money(1, "USD") + Money(1, "EUR")
    with pytest.raises(CurrencyError):
        Money(1, "USD") - Money(1, "EUR")


def test_money_does_not_add_plain_numbers():
    with pytest.raises(TypeError):
        Money(1, "USD") + 1  # noqa: B018
    with pytest.raises(TypeError):
        Money(1, "USD") - 1  # noqa: B018


@pytest.mark.parametrize("amount", [1.0, Decimal(1), "1", True, None, MAX_AMOUNT + 1, -MAX_AMOUNT - 1])
def test_money_rejects_bad_amounts(amount):
    with pytest.raises(ValueError):
        Money(amount, "USD")


def test_money_rejects_unknown_currency():
    with pytest.raises(CurrencyError):
        Money(1, "XAU")


def test_money_is_frozen_with_slots():
    m = Money(1, "USD")
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.amount = 2  # type: ignore[misc]
    assert not hasattr(m, "__dict__")
    assert hash(m) == hash(Money(1, "usd"))


@pytest.mark.parametrize(
    "amount, currency, text",
    [(13824, "USD", "138.24 USD"), (500, "JPY", "500 JPY"), (1234, "KWD", "1.234 KWD"),
     (5, "USD", "0.05 USD"), (5, "KWD", "0.005 KWD"), (0, "EUR", "0.00 EUR"), (0, "JPY", "0 JPY"),
     (-5, "USD", "-0.05 USD"), (-123456, "USD", "-1234.56 USD"), (100, "GBP", "1.00 GBP")],
)
def test_money_format(amount, currency, text):
    assert Money(amount, currency).format() == text


@FAST
@given(st.integers(-MAX_AMOUNT, MAX_AMOUNT), st.sampled_from(sorted(CURRENCY_EXPONENTS)))
def test_format_round_trips_through_decimal(amount, currency):
    number, code = Money(amount, currency).format().split(" ")
    assert code == currency
    assert Decimal(number).scaleb(CURRENCY_EXPONENTS[currency]) == amount


# ---------------------------------------------------------------- percentages


@pytest.mark.parametrize(
    "raw, expected",
    [("20", "20"), ("8.875", "8.875"), ("0.5", "0.5"), ("100", "100"), ("0", "0"),
     ("20.000", "20"), ("8.8750", "8.875"), ("007", "7"), (" 12.5 ", "12.5"),
     ("0.000001", "0.000001"), ("99.999999", "99.999999"), (Decimal("8.875"), "8.875"),
     (Decimal("20.00"), "20"), (Decimal("1E+1"), "10")],
)
def test_parse_percentage(raw, expected):
    parsed = parse_percentage(raw)
    assert isinstance(parsed, Decimal)
    assert parsed == Decimal(expected)
    assert str(parsed) == expected  # normalized, never "2E+1"


@pytest.mark.parametrize(
    "bad",
    [20, 20.0, 8.875, True, None, b"20", "", " ", "-1", "+1", "-0", "1e2", "1E2", "NaN", "nan",
     "Infinity", "inf", "1.1234567", "0.0000001", ".5", "5.", "1,5", "1 000", "100.000001", "101",
     "1_0", "\u0663", "0x10", Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-1"),
     Decimal("-0"), Decimal("1.0000001"), Decimal("100.5"), Decimal("1E+30")],
)
def test_parse_percentage_rejects(bad):
    with pytest.raises(PercentageError):
        parse_percentage(bad)


def test_parse_percentage_maximum():
    assert parse_percentage("150", maximum=Decimal(200)) == 150
    assert parse_percentage("5", maximum=Decimal(5)) == 5
    with pytest.raises(PercentageError):
        parse_percentage("5.000001", maximum=Decimal(5))


@FAST
@given(st.integers(0, 100_000_000), st.integers(0, 6))
def test_parse_percentage_is_exact(scaled, places):
    value = Decimal(scaled).scaleb(-places)
    if value > 100:
        with pytest.raises(PercentageError):
            parse_percentage(f"{value:f}")
        return
    assert parse_percentage(f"{value:f}") == value
    assert parse_percentage(value) == value


# ---------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    "x, expected",
    [(Fraction(5, 2), 3), (Fraction(-5, 2), -3), (Fraction(3, 2), 2), (Fraction(-3, 2), -2),
     (Fraction(1, 2), 1), (Fraction(-1, 2), -1), (Fraction(7, 3), 2), (Fraction(-7, 3), -2),
     (Fraction(8, 3), 3), (Fraction(-8, 3), -3), (Fraction(49, 100), 0), (Fraction(0), 0),
     (7, 7), (-7, -7), (Fraction(10241, 10), 1024), (Fraction(8192, 10), 819)],
)
def test_round_half_up(x, expected):
    assert round_half_up(x) == expected
    assert isinstance(round_half_up(x), int)


@pytest.mark.parametrize("bad", [2.5, Decimal("2.5"), "2", True, None])
def test_round_half_up_rejects_non_exact_values(bad):
    with pytest.raises(ValueError):
        round_half_up(bad)


@FAST
@given(st.integers(-(10**20), 10**20), st.integers(1, 10**6))
def test_round_half_up_agrees_with_decimal(numerator, denominator):
    assert round_half_up(Fraction(numerator, denominator)) == decimal_half_up(numerator, denominator)


@FAST
@given(st.integers(-(10**6), 10**6))
def test_exact_halves_go_away_from_zero(n):
    assert round_half_up(Fraction(2 * n + 1, 2)) == (n + 1 if n >= 0 else n)


@pytest.mark.parametrize(
    "amount, pct, expected",
    [(12800, "8", 1024), (10240, "8", 819), (12800, "20", 2560), (25, "50", 13), (1, "50", 1),
     (1, "49.999999", 0), (1000, "8.875", 89), (0, "20", 0), (12345, "0", 0), (12345, "100", 12345),
     (-25, "50", -13)],
)
def test_percent_of(amount, pct, expected):
    assert percent_of(amount, Decimal(pct)) == expected


@pytest.mark.parametrize(
    "amount, pct",
    [(1.0, Decimal(1)), (True, Decimal(1)), (10, 8.0), (10, "8"), (10, Decimal("NaN")),
     (10, Decimal("Infinity")), (10, Decimal(-1)), (10, None)],
)
def test_percent_of_rejects(amount, pct):
    with pytest.raises(ValueError):
        percent_of(amount, pct)


@FAST
@given(st.integers(0, 10**12), st.integers(0, 100_000_000))
def test_percent_of_agrees_with_decimal(amount, scaled_pct):
    pct = Decimal(scaled_pct).scaleb(-6)
    with localcontext() as ctx:
        ctx.prec = 100
        expected = int((amount * pct / 100).quantize(Decimal(1), ROUND_HALF_UP))
    assert percent_of(amount, pct) == expected
    assert 0 <= percent_of(amount, pct) <= amount


# ---------------------------------------------------------------- allocate


@pytest.mark.parametrize(
    "total, weights, expected",
    [(100, [1, 1, 1], [34, 33, 33]), (2560, [9900, 2900], [1980, 580]), (1, [1, 1], [1, 0]),
     (2, [1, 2, 2], [0, 1, 1]), (10, [0, 0], [5, 5]), (1, [0, 0, 0], [1, 0, 0]),
     (2, [0, 0, 0], [1, 1, 0]), (7, [0, 5, 0], [0, 7, 0]), (0, [3, 4], [0, 0]), (0, [], []),
     (0, [0, 0], [0, 0]), (5, [1], [5]), (183, [1500, 333], [150, 33]),
     (10, [3, 3, 3, 1], [3, 3, 3, 1]), (11, [3, 3, 3, 1], [4, 3, 3, 1]),
     (3, [1, 1, 1, 1, 1], [1, 1, 1, 0, 0])],
)
def test_allocate(total, weights, expected):
    assert allocate(total, weights) == expected


def test_allocate_accepts_any_sequence():
    assert allocate(3, (1, 2)) == [1, 2]
    assert allocate(3, range(1, 3)) == [1, 2]


@pytest.mark.parametrize(
    "total, weights",
    [(-1, [1]), (5, []), (1, [-1, 2]), (1.0, [1]), (True, [1]), (1, [1.0]), (1, [True]),
     (1, [Decimal(1)]), (1, [None])],
)
def test_allocate_rejects(total, weights):
    with pytest.raises(ValueError):
        allocate(total, weights)


def reference_allocate(total: int, weights: list[int]) -> list[int]:
    """Slow textbook largest remainder with Fractions, for comparison."""
    if sum(weights) == 0:
        weights = [1] * len(weights)
    shares = [Fraction(total * w, sum(weights)) for w in weights]
    parts = [int(s) for s in shares]
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


weights_strategy = st.lists(
    st.one_of(st.integers(0, 10), st.integers(0, 10**9)), min_size=1, max_size=12
)


@FAST
@given(st.integers(0, 10**12), weights_strategy)
def test_allocate_properties(total, weights):
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    effective = weights if sum(weights) else [1] * len(weights)
    for part, weight in zip(parts, effective):
        exact = Fraction(total * weight, sum(effective))
        assert abs(part - exact) < 1
    # Monotone: a larger weight never gets less; among equal weights the earlier gets no less.
    for i in range(len(parts)):
        for j in range(i + 1, len(parts)):
            if effective[i] >= effective[j]:
                assert parts[i] >= parts[j]
            elif effective[i] < effective[j]:
                assert parts[i] <= parts[j]
    assert parts == reference_allocate(total, weights)


@FAST
@given(st.integers(0, 10**6), st.integers(1, 60))
def test_equal_split_gives_extra_units_to_the_earliest(total, n):
    parts = allocate(total, [1] * n)
    base, extra = divmod(total, n)
    assert parts == [base + 1] * extra + [base] * (n - extra)
    assert allocate(total, [0] * n) == parts
