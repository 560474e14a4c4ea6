"""Order pricing and refund apportionment: API.md section 6, rules 1-7, as pure functions.

Plain values in, plain values out: no database, no I/O. Every amount is an ``int`` in minor units,
every rate a ``Decimal`` percent, every intermediate an exact ``Fraction``. Each amount is rounded
once (half up) and then split with largest-remainder ``allocate``, so every set of parts sums
exactly to its whole and a full line-by-line refund returns exactly what was charged (minus tip).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from flint_core.kernel.money import MAX_AMOUNT, allocate, parse_percentage, percent_of, round_half_up
from flint_core.tax.rules import TaxRule, jurisdiction

__all__ = [
    "AppliedRate", "LineInput", "CouponInput", "ServiceChargeInput", "TipInput",
    "LinePricing", "ServiceChargePricing", "TaxLine", "OrderPricing", "RefundPart", "Settlement",
    "price_order", "line_refund", "amount_refund_tax", "settlement",
]


def _int(value: object, name: str, minimum: int = 0) -> int:
    """An int (never a bool or float) in [minimum, MAX_AMOUNT]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if value > MAX_AMOUNT:
        raise ValueError(f"{name} must be <= {MAX_AMOUNT}, got {value}")
    return value


def _percent(obj: object) -> None:
    """Validate (and normalize, e.g. from a decimal string) ``obj.percentage`` in place."""
    object.__setattr__(obj, "percentage", parse_percentage(getattr(obj, "percentage")))


def _amount_or_percentage(obj: object, what: str) -> None:
    amount, percentage = getattr(obj, "amount"), getattr(obj, "percentage")
    if (amount is None) == (percentage is None):
        raise ValueError(f"{what} needs exactly one of amount or percentage")
    if amount is not None:
        _int(amount, f"{what} amount")
    else:
        _percent(obj)


def _applied(charge: ServiceChargeInput | TipInput, base: int) -> int:
    """A fixed amount, or a percentage of ``base`` (subtotal - discount)."""
    return charge.amount if charge.amount is not None else percent_of(base, charge.percentage)


@dataclass(frozen=True, slots=True)
class AppliedRate:
    """The tax rate a line (or taxable service charge) is taxed at, as resolved by tax.py."""

    tax_rate_id: str
    percentage: Decimal
    inclusive: bool
    jurisdiction: str

    def __post_init__(self) -> None:
        if not isinstance(self.tax_rate_id, str) or not self.tax_rate_id:
            raise ValueError("tax_rate_id must be a non-empty string")
        _percent(self)
        if not isinstance(self.inclusive, bool):
            raise ValueError("inclusive must be a bool")

    @classmethod
    def from_rule(cls, rule: TaxRule) -> AppliedRate:
        return cls(rule.tax_rate_id, rule.percentage, rule.inclusive, jurisdiction(rule))


@dataclass(frozen=True, slots=True)
class LineInput:
    """One line item. ``rate`` None means untaxed (EXEMPT, or no rule applies)."""

    quantity: int
    unit_price: int
    rate: AppliedRate | None = None

    def __post_init__(self) -> None:
        _int(self.quantity, "quantity", minimum=1)
        _int(self.unit_price, "unit_price")
        _int(self.quantity * self.unit_price, "line gross")
        if self.rate is not None and not isinstance(self.rate, AppliedRate):
            raise ValueError("rate must be an AppliedRate or None")


@dataclass(frozen=True, slots=True)
class CouponInput:
    """A coupon: a percentage off what is left, or a fixed amount off (capped at what is left)."""

    percentage: Decimal | None = None
    amount: int | None = None

    def __post_init__(self) -> None:
        _amount_or_percentage(self, "coupon")


@dataclass(frozen=True, slots=True)
class ServiceChargeInput:
    """A fixed or percentage (of subtotal - discount) charge; taxable ones pay the standard rate."""

    amount: int | None = None
    percentage: Decimal | None = None
    taxable: bool = False

    def __post_init__(self) -> None:
        _amount_or_percentage(self, "service charge")
        if not isinstance(self.taxable, bool):
            raise ValueError("taxable must be a bool")


@dataclass(frozen=True, slots=True)
class TipInput:
    """A fixed tip or a percentage of (subtotal - discount). Pass ``tip=None`` for no tip."""

    amount: int | None = None
    percentage: Decimal | None = None

    def __post_init__(self) -> None:
        _amount_or_percentage(self, "tip")


@dataclass(frozen=True, slots=True)
class LinePricing:
    """A line's share of everything: ``total = gross - discount + service_charge + additive tax``."""

    gross: int
    discount: int
    service_charge: int
    tax: int
    inclusive_tax: int
    total: int

    @property
    def additive_tax(self) -> int:
        return self.tax - self.inclusive_tax


@dataclass(frozen=True, slots=True)
class ServiceChargePricing:
    applied: int
    tax: int


@dataclass(frozen=True, slots=True)
class TaxLine:
    """One rate's tax. ``taxable`` is the sum of bases; for inclusive rates it contains the tax."""

    tax_rate_id: str
    percentage: Decimal
    inclusive: bool
    jurisdiction: str
    taxable: int
    tax: int


@dataclass(frozen=True, slots=True)
class OrderPricing:
    """The order's pricing amounts. ``tax`` includes ``inclusive_tax``, which ``total`` does not add."""

    lines: tuple[LinePricing, ...]
    coupon_discounts: tuple[int, ...]
    service_charges: tuple[ServiceChargePricing, ...]
    tax_lines: tuple[TaxLine, ...]
    subtotal: int
    discount: int
    service_charge: int
    tax: int
    inclusive_tax: int
    tip: int
    total: int

    @property
    def additive_tax(self) -> int:
        return self.tax - self.inclusive_tax


def _rate_tax(rate: AppliedRate, taxable: int) -> int:
    """Rule 4: rounded once per rate. Inclusive tax is carved out: base * p / (100 + p)."""
    pct = Fraction(rate.percentage)
    if rate.inclusive:
        return round_half_up(taxable * pct / (100 + pct))
    return percent_of(taxable, rate.percentage)


def _check_types(items: Sequence[object], kind: type, name: str) -> tuple:
    items = tuple(items)
    if not all(isinstance(item, kind) for item in items):
        raise ValueError(f"{name} must all be {kind.__name__} values")
    return items


def price_order(
    lines: Sequence[LineInput],
    coupons: Sequence[CouponInput] = (),
    service_charges: Sequence[ServiceChargeInput] = (),
    tip: TipInput | None = None,
    standard_rate: AppliedRate | None = None,
) -> OrderPricing:
    """Price an order by API.md section 6 rules 1-7 (see the module docstring for the guarantees)."""
    lines = _check_types(lines, LineInput, "lines")
    coupons = _check_types(coupons, CouponInput, "coupons")
    charges = _check_types(service_charges, ServiceChargeInput, "service_charges")
    if not lines:
        raise ValueError("an order needs at least one line")
    if tip is not None and not isinstance(tip, TipInput):
        raise ValueError("tip must be a TipInput or None")
    if standard_rate is not None and not isinstance(standard_rate, AppliedRate):
        raise ValueError("standard_rate must be an AppliedRate or None")

    # 1. gross and subtotal
    gross = [line.quantity * line.unit_price for line in lines]
    subtotal = _int(sum(gross), "subtotal")

    # 2. coupons in order, each on what the earlier ones left; apportioned to lines by gross
    remaining = subtotal
    coupon_discounts: list[int] = []
    for coupon in coupons:
        if coupon.percentage is not None:
            taken = percent_of(remaining, coupon.percentage)
        else:
            taken = min(coupon.amount, remaining)
        coupon_discounts.append(taken)
        remaining -= taken
    discount = subtotal - remaining
    line_discounts = allocate(discount, gross)
    bases = [g - d for g, d in zip(gross, line_discounts)]

    # 3. service charges on (subtotal - discount)
    applied = [_applied(charge, remaining) for charge in charges]

    # 4. tax: group bases by rate (first-use order; lines first), round once, apportion
    groups: dict[str, tuple[AppliedRate, list[tuple[str, int, int]]]] = {}

    def join(rate: AppliedRate, kind: str, index: int, base: int) -> None:
        group = groups.setdefault(rate.tax_rate_id, (rate, []))
        if group[0] != rate:
            raise ValueError(f"tax rate {rate.tax_rate_id} is given with different terms")
        group[1].append((kind, index, base))

    for i, line in enumerate(lines):
        if line.rate is not None:
            join(line.rate, "line", i, bases[i])
    if standard_rate is not None:
        for j, charge in enumerate(charges):
            if charge.taxable:
                join(standard_rate, "charge", j, applied[j])

    own_tax = [0] * len(lines)
    charge_tax = [0] * len(charges)
    tax_lines: list[TaxLine] = []
    for rate, members in groups.values():
        taxable = sum(base for _, _, base in members)
        rate_tax = _rate_tax(rate, taxable)
        shares = allocate(rate_tax, [base for _, _, base in members])
        for (kind, index, _), share in zip(members, shares):
            (own_tax if kind == "line" else charge_tax)[index] = share
        tax_lines.append(
            TaxLine(rate.tax_rate_id, rate.percentage, rate.inclusive, rate.jurisdiction,
                    taxable, rate_tax)
        )

    # 5. tip on (subtotal - discount); never discounted, never taxed
    tip_amount = 0 if tip is None else _applied(tip, remaining)

    # 7. service charges and their tax onto the lines, weighted by line base
    charges_inclusive = standard_rate is not None and standard_rate.inclusive
    line_charge = [0] * len(lines)
    line_charge_tax = [0] * len(lines)
    for amount, tax in zip(applied, charge_tax):
        for i, share in enumerate(allocate(amount, bases)):
            line_charge[i] += share
        for i, share in enumerate(allocate(tax, bases)):
            line_charge_tax[i] += share

    priced_lines = []
    for i, line in enumerate(lines):
        own_inclusive = own_tax[i] if line.rate is not None and line.rate.inclusive else 0
        inclusive = own_inclusive + (line_charge_tax[i] if charges_inclusive else 0)
        tax = own_tax[i] + line_charge_tax[i]
        total = bases[i] + line_charge[i] + tax - inclusive
        priced_lines.append(
            LinePricing(gross[i], line_discounts[i], line_charge[i], tax, inclusive, total)
        )

    # 6. totals
    tax_total = sum(t.tax for t in tax_lines)
    inclusive_total = sum(t.tax for t in tax_lines if t.inclusive)
    service_total = sum(applied)
    total = subtotal - discount + service_total + (tax_total - inclusive_total) + tip_amount
    _int(total, "order total")
    return OrderPricing(
        lines=tuple(priced_lines),
        coupon_discounts=tuple(coupon_discounts),
        service_charges=tuple(ServiceChargePricing(a, t) for a, t in zip(applied, charge_tax)),
        tax_lines=tuple(tax_lines),
        subtotal=subtotal, discount=discount, service_charge=service_total, tax=tax_total,
        inclusive_tax=inclusive_total, tip=tip_amount, total=total,
    )


@dataclass(frozen=True, slots=True)
class RefundPart:
    amount: int
    tax: int


def _units_sum(whole: int, units: int, start: int, count: int) -> int:
    """Sum of units [start, start+count) of ``allocate(whole, [1] * units)``, in O(1).

    Every unit gets whole // units; the first whole % units units get one more.
    """
    base, extra = divmod(whole, units)
    return count * base + max(0, min(start + count, extra) - start)


def line_refund(
    line: LinePricing, quantity: int, line_quantity: int, already_refunded: int
) -> RefundPart:
    """Rule 7: the amount and tax of refunding ``quantity`` more units of ``line``.

    Units are priced by largest remainder (earlier units carry the extra minor units) and refunds
    walk the units in order, so any batching of refunds adds up to exactly line.total / line.tax.
    """
    if not isinstance(line, LinePricing):
        raise ValueError("line must be a LinePricing")
    _int(quantity, "quantity", minimum=1)
    _int(line_quantity, "line_quantity", minimum=1)
    _int(already_refunded, "already_refunded")
    if already_refunded + quantity > line_quantity:
        raise ValueError(
            f"cannot refund {quantity} more of {line_quantity} units "
            f"({already_refunded} already refunded)"
        )
    return RefundPart(
        amount=_units_sum(line.total, line_quantity, already_refunded, quantity),
        tax=_units_sum(line.tax, line_quantity, already_refunded, quantity),
    )


def amount_refund_tax(amount: int, order_tax: int, order_total: int) -> int:
    """Rule 7: the tax part of an amount refund, ``round_half_up(amount * tax / total)``."""
    _int(amount, "amount")
    _int(order_tax, "order_tax")
    _int(order_total, "order_total")
    if amount > order_total:
        raise ValueError("refund amount exceeds the order total")
    if order_tax > order_total:
        raise ValueError("order tax exceeds the order total")
    if order_total == 0:
        return 0
    return round_half_up(Fraction(amount * order_tax, order_total))


@dataclass(frozen=True, slots=True)
class Settlement:
    authorized: int
    paid: int
    refunded: int
    outstanding: int
    refundable: int


def settlement(total: int, authorized: int, paid: int, refunded: int) -> Settlement:
    """Settlement amounts: what is still owed (never negative) and what can still be refunded."""
    for name, value in zip(("total", "authorized", "paid", "refunded"),
                           (total, authorized, paid, refunded)):
        _int(value, name)
    if refunded > paid:
        raise ValueError("refunded exceeds paid")
    outstanding = max(0, total - paid - authorized)
    return Settlement(authorized, paid, refunded, outstanding, refundable=paid - refunded)
