"""Money primitives: integer minor units, ISO 4217 exponents, exact rounding and apportionment.

Amounts are always ``int`` minor units (cents, yen, fils). Percentages are ``Decimal`` parsed from
decimal strings and every computation goes through ``fractions.Fraction`` so that no float (and no
Decimal context precision) can ever change an amount. Rounding is explicit: half up, away from zero.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

__all__ = [
    "MAX_AMOUNT",
    "CURRENCY_EXPONENTS",
    "CurrencyError",
    "PercentageError",
    "Money",
    "normalize_currency",
    "currency_exponent",
    "parse_percentage",
    "round_half_up",
    "percent_of",
    "allocate",
]

#: Largest amount accepted anywhere: the largest integer a JSON/JavaScript client holds exactly.
MAX_AMOUNT = 2**53 - 1


def _table(spec: str) -> dict[str, int]:
    table: dict[str, int] = {}
    for exponent, codes in (line.split(":") for line in spec.strip().splitlines()):
        for code in codes.split():
            table[code] = int(exponent)
    return table


#: Active ISO 4217 currencies (SIX list one, 2026-01-01) -> number of minor-unit digits.
#: Left out on purpose: precious metals (XAU XAG XPT XPD), testing/no-currency (XTS XXX), fund and
#: index codes (BOV CHE CHW CLF COU MXV USN UYI UYW) and units of account with no minor unit
#: (XDR XSU XUA XAD XBA XBB XBC XBD): none of them can be charged to a card.
CURRENCY_EXPONENTS: dict[str, int] = _table(
    """
    0: BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF
    3: BHD IQD JOD KWD LYD OMR TND
    2: AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BRL BSD BTN BWP BYN BZD
    2: CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP
    2: GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD
    2: LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB
    2: PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC
    2: SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW
    2: ZWG
    """
)


class CurrencyError(ValueError):
    """An unknown currency code, or arithmetic across two currencies."""


class PercentageError(ValueError):
    """A percentage that is not a plain, bounded decimal string of percent."""


def normalize_currency(code: str) -> str:
    """Return the canonical (upper-case) ISO 4217 code; clients send "usd", " EUR " and the like."""
    if not isinstance(code, str):
        raise CurrencyError(f"currency must be a string, got {type(code).__name__}")
    canonical = code.strip().upper()
    if canonical not in CURRENCY_EXPONENTS:
        raise CurrencyError(f"unknown currency {code!r}")
    return canonical


def currency_exponent(code: str) -> int:
    """Number of minor-unit digits (USD 2, JPY 0, KWD 3)."""
    return CURRENCY_EXPONENTS[normalize_currency(code)]


def _check_int(value: object, name: str, *, minimum: int | None = None) -> int:
    # bool is an int subclass; True as an amount is always a bug upstream.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an int, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if abs(value) > MAX_AMOUNT:
        raise ValueError(f"{name} exceeds the maximum amount {MAX_AMOUNT}")
    return value


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units of one currency. Negative amounts are allowed (deltas)."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        _check_int(self.amount, "amount")
        object.__setattr__(self, "currency", normalize_currency(self.currency))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _check_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def to_dict(self) -> dict[str, int | str]:
        """The wire shape (API.md section 5)."""
        return {"amount": self.amount, "currency": self.currency}

    def format(self) -> str:
        """Human string with the currency's own number of decimals: "138.24 USD", "500 JPY"."""
        exponent = CURRENCY_EXPONENTS[self.currency]
        sign = "-" if self.amount < 0 else ""
        digits = str(abs(self.amount))
        if exponent == 0:
            return f"{sign}{digits} {self.currency}"
        digits = digits.rjust(exponent + 1, "0")
        return f"{sign}{digits[:-exponent]}.{digits[-exponent:]} {self.currency}"


_PERCENT_RE = re.compile(r"[0-9]{1,20}(?:\.[0-9]{1,6})?")


def parse_percentage(value: str | Decimal, *, maximum: Decimal = Decimal(100)) -> Decimal:
    """Parse a percent given as a decimal string ("20", "8.875") into a normalized Decimal.

    Only plain digits with at most 6 decimal places: no sign, exponent, NaN/Infinity, float or int,
    because a float has already lost the exact value and "1e2" is never what a merchant typed.
    """
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise PercentageError("percentage must be finite")
        if value.is_signed() or value < 0:
            raise PercentageError("percentage must not be negative")
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -6:
            raise PercentageError("percentage has more than 6 decimal places")
        if value.adjusted() >= 20:
            raise PercentageError("percentage is too large")
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if not _PERCENT_RE.fullmatch(text):
            raise PercentageError(
                f"percentage must be a decimal string like \"20\" or \"8.875\", got {value!r}"
            )
        parsed = Decimal(text)
    else:
        raise PercentageError(
            f"percentage must be a decimal string, got {type(value).__name__}"
        )
    if parsed > maximum:
        raise PercentageError(f"percentage must be at most {maximum}")
    if parsed == parsed.to_integral_value():
        return parsed.quantize(Decimal(1))  # "20.0" -> 20, never "2E+1"
    return parsed.normalize()


def round_half_up(x: Fraction | int) -> int:
    """Round to the nearest integer, halves away from zero (the ROUND_HALF_UP of Decimal)."""
    if isinstance(x, bool) or not isinstance(x, (int, Fraction)):
        raise ValueError(f"round_half_up needs an int or Fraction, got {type(x).__name__}")
    if isinstance(x, int):
        return x
    n, d = x.numerator, x.denominator
    if n >= 0:
        return (2 * n + d) // (2 * d)
    return -((-2 * n + d) // (2 * d))


def _fraction_of_percent(percentage: Decimal) -> Fraction:
    if isinstance(percentage, bool) or not isinstance(percentage, (Decimal, int)):
        raise ValueError(f"percentage must be a Decimal, got {type(percentage).__name__}")
    if isinstance(percentage, Decimal) and not percentage.is_finite():
        raise ValueError("percentage must be finite")
    if percentage < 0:
        raise ValueError("percentage must not be negative")
    return Fraction(percentage)


def percent_of(amount: int, percentage: Decimal) -> int:
    """``round_half_up(amount * percentage / 100)``, computed exactly."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValueError(f"amount must be an int, got {type(amount).__name__}")
    return round_half_up(amount * _fraction_of_percent(percentage) / 100)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` by largest remainder; parts sum to ``total``.

    Each part gets floor(total * w / W); the units left over go one each to the largest remainders,
    ties to the earlier index, so the result is deterministic and every part is within one unit of
    its exact share. All-zero weights split equally (same rule), so nothing is ever lost.
    """
    if isinstance(total, bool) or not isinstance(total, int):
        raise ValueError(f"total must be an int, got {type(total).__name__}")
    if total < 0:
        raise ValueError("total must not be negative")
    weights = list(weights)
    for w in weights:
        if isinstance(w, bool) or not isinstance(w, int):
            raise ValueError(f"weights must be ints, got {type(w).__name__}")
        if w < 0:
            raise ValueError("weights must not be negative")
    if not weights:
        if total:
            raise ValueError("cannot allocate a positive total over no weights")
        return []
    whole = sum(weights)
    if whole == 0:
        weights, whole = [1] * len(weights), len(weights)
    parts = [total * w // whole for w in weights]
    leftover = total - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in by_remainder[:leftover]:
        parts[i] += 1
    return parts
