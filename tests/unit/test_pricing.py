"""pricing.py: API.md section 6 rules 1-7, by hand-computed examples and by property."""

from __future__ import annotations

import dataclasses
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flint_core.kernel.money import MAX_AMOUNT, Money, allocate
from flint_core.orders.pricing import (
    AppliedRate,
    CouponInput,
    LineInput,
    LinePricing,
    OrderPricing,
    RefundPart,
    ServiceChargeInput,
    ServiceChargePricing,
    Settlement,
    TaxLine,
    TipInput,
    amount_refund_tax,
    line_refund,
    price_order,
    settlement,
)
from flint_core.tax.rules import TaxRule, default_sandbox_rule

FAST = settings(max_examples=300, deadline=None)

STD = AppliedRate.from_rule(default_sandbox_rule("txr_std"))  # 8% additive, everywhere
VAT = AppliedRate("txr_vat", Decimal(20), True, "GB")
REDUCED = AppliedRate("txr_red", Decimal(5), False, "US-CA")


def pct(text: str) -> Decimal:
    return Decimal(text)


# ---------------------------------------------------------------- worked examples (API.md 6)


def test_worked_example():
    p = price_order([LineInput(1, 9900, STD), LineInput(1, 2900, STD)])
    assert (p.subtotal, p.discount, p.service_charge, p.tax, p.tip, p.total) == (
        12800, 0, 0, 1024, 0, 13824)
    assert p.inclusive_tax == 0 and p.additive_tax == 1024
    assert Money(p.total, "USD").format() == "138.24 USD"
    assert p.lines == (LinePricing(9900, 0, 0, 792, 0, 10692), LinePricing(2900, 0, 0, 232, 0, 3132))
    assert p.tax_lines == (TaxLine("txr_std", Decimal(8), False, "ALL", 12800, 1024),)
    assert p.coupon_discounts == () and p.service_charges == ()


def test_worked_example_with_a_20_percent_coupon():
    p = price_order([LineInput(1, 9900, STD), LineInput(1, 2900, STD)],
                    [CouponInput(percentage=pct("20"))])
    assert (p.subtotal, p.discount, p.tax, p.total) == (12800, 2560, 819, 11059)
    assert p.coupon_discounts == (2560,)
    assert p.lines == (LinePricing(9900, 1980, 0, 633, 0, 8553),
                       LinePricing(2900, 580, 0, 186, 0, 2506))
    assert p.tax_lines[0].taxable == 10240
    # Refund the 2900 line: its share of the total, discount and tax included.
    assert line_refund(p.lines[1], 1, 1, 0) == RefundPart(2506, 186)
    assert amount_refund_tax(2900, p.tax, p.total) == 215  # 2900 * 819 / 11059 = 214.77
    s = settlement(p.total, 0, p.total, 2900)
    assert s == Settlement(0, 11059, 2900, 0, 8159)


# ---------------------------------------------------------------- hand-computed examples


def test_jpy_order_has_no_minor_units_to_lose():
    jct = AppliedRate("txr_jct", Decimal(10), False, "JP")
    p = price_order([LineInput(3, 500, jct), LineInput(1, 333, jct)])
    assert (p.subtotal, p.tax, p.total) == (1833, 183, 2016)  # 183.3 -> 183, rounded once
    assert [line.tax for line in p.lines] == [150, 33]  # largest remainder: 149.75 / 33.25
    assert [line.total for line in p.lines] == [1650, 366]
    assert Money(p.total, "JPY").format() == "2016 JPY"


def test_inclusive_vat_is_carved_out_not_added():
    p = price_order([LineInput(1, 1200, VAT)])
    assert (p.subtotal, p.tax, p.inclusive_tax, p.additive_tax, p.total) == (1200, 200, 200, 0, 1200)
    assert p.lines == (LinePricing(1200, 0, 0, 200, 200, 1200),)
    assert p.tax_lines == (TaxLine("txr_vat", Decimal(20), True, "GB", 1200, 200),)
    assert p.lines[0].additive_tax == 0


def test_inclusive_fractional_rate():
    rate = AppliedRate("r", Decimal("8.875"), True, "US")
    p = price_order([LineInput(1, 1000, rate)])
    assert (p.tax, p.total) == (82, 1000)  # 1000 * 8.875 / 108.875 = 81.51


def test_stacked_percentage_and_fixed_coupons():
    coupons = [CouponInput(percentage=pct("10")), CouponInput(amount=500),
               CouponInput(percentage=pct("50"))]
    p = price_order([LineInput(1, 7000, STD), LineInput(2, 1500, STD)], coupons)
    assert p.coupon_discounts == (1000, 500, 4250)  # 10% of 10000, 500, 50% of 8500
    assert p.discount == 5750
    assert [line.discount for line in p.lines] == [4025, 1725]
    assert p.tax == 340 and [line.tax for line in p.lines] == [238, 102]
    assert p.total == 4590


def test_coupon_order_matters():
    line = [LineInput(1, 10000)]
    assert price_order(line, [CouponInput(percentage=pct("10")), CouponInput(amount=1000)]
                       ).coupon_discounts == (1000, 1000)
    assert price_order(line, [CouponInput(amount=1000), CouponInput(percentage=pct("10"))]
                       ).coupon_discounts == (1000, 900)


def test_fixed_coupon_is_capped_at_what_is_left():
    p = price_order([LineInput(1, 1000, STD)],
                    [CouponInput(amount=1500), CouponInput(percentage=pct("10")),
                     CouponInput(amount=7)])
    assert p.coupon_discounts == (1000, 0, 0)
    assert (p.discount, p.tax, p.total) == (1000, 0, 0)


def test_taxable_fixed_service_charge():
    charges = [ServiceChargeInput(amount=500, taxable=True), ServiceChargeInput(amount=300)]
    p = price_order([LineInput(1, 10000, STD)], service_charges=charges, standard_rate=STD)
    assert p.service_charges == (ServiceChargePricing(500, 40), ServiceChargePricing(300, 0))
    assert p.tax_lines == (TaxLine("txr_std", Decimal(8), False, "ALL", 10500, 840),)
    assert (p.service_charge, p.tax, p.total) == (800, 840, 11640)
    assert p.lines == (LinePricing(10000, 0, 800, 840, 0, 11640),)


def test_taxable_service_charge_without_a_standard_rate_is_untaxed():
    p = price_order([LineInput(1, 10000, STD)],
                    service_charges=[ServiceChargeInput(amount=500, taxable=True)])
    assert p.service_charges == (ServiceChargePricing(500, 0),)
    assert (p.tax, p.total) == (800, 11300)


def test_service_charge_and_its_tax_spread_over_lines():
    p = price_order([LineInput(1, 3000, STD), LineInput(1, 1000, STD)],
                    service_charges=[ServiceChargeInput(amount=101, taxable=True)],
                    standard_rate=STD)
    assert p.tax == 328  # 8% of 4101 = 328.08, rounded once
    assert p.service_charges == (ServiceChargePricing(101, 8),)  # [240, 80, 8] by remainder
    assert p.lines == (LinePricing(3000, 0, 76, 246, 0, 3322), LinePricing(1000, 0, 25, 82, 0, 1107))
    assert p.total == 4429 == sum(line.total for line in p.lines)


def test_percentage_service_charge_is_on_the_discounted_subtotal():
    p = price_order([LineInput(1, 10000, STD)], [CouponInput(percentage=pct("20"))],
                    [ServiceChargeInput(percentage=pct("12.5"))])
    assert (p.discount, p.service_charge, p.tax, p.total) == (2000, 1000, 640, 9640)


def test_service_charge_and_its_tax_follow_the_discounted_base_not_gross():
    # Discount 5 over gross [1, 5] -> [1, 4], so the bases are [0, 1]: the first line, fully
    # discounted, carries none of the service charge or its tax.
    p = price_order([LineInput(1, 1), LineInput(1, 5)], [CouponInput(amount=5)],
                    [ServiceChargeInput(amount=100, taxable=True)], standard_rate=STD)
    assert p.lines == (LinePricing(1, 1, 0, 0, 0, 0), LinePricing(5, 4, 100, 8, 0, 109))
    assert p.total == 109


def test_service_charge_on_zero_priced_lines_splits_equally():
    p = price_order([LineInput(1, 0), LineInput(3, 0)], service_charges=[ServiceChargeInput(amount=101)])
    assert [line.service_charge for line in p.lines] == [51, 50]
    assert p.total == 101 == sum(line.total for line in p.lines)


def test_inclusive_standard_rate_on_a_taxable_service_charge():
    p = price_order([LineInput(1, 1200, VAT)],
                    service_charges=[ServiceChargeInput(amount=120, taxable=True)],
                    standard_rate=VAT)
    assert p.service_charges == (ServiceChargePricing(120, 20),)
    assert (p.tax, p.inclusive_tax, p.total) == (220, 220, 1320)
    assert p.lines == (LinePricing(1200, 0, 120, 220, 220, 1320),)


def test_percentage_tip_is_neither_discounted_nor_taxed():
    p = price_order([LineInput(2, 2000, STD)], [CouponInput(percentage=pct("10"))],
                    tip=TipInput(percentage=pct("15")))
    assert (p.subtotal, p.discount, p.tax, p.tip, p.total) == (4000, 400, 288, 540, 4428)
    assert p.lines[0].total == 3888 == p.total - p.tip


def test_fixed_tip():
    p = price_order([LineInput(1, 1000)], tip=TipInput(amount=250))
    assert (p.tip, p.total) == (250, 1250)


def test_exempt_line_beside_a_taxed_one():
    p = price_order([LineInput(1, 1000, STD), LineInput(1, 500, None)])
    assert (p.subtotal, p.tax, p.total) == (1500, 80, 1580)
    assert [(line.tax, line.total) for line in p.lines] == [(80, 1080), (0, 500)]
    assert len(p.tax_lines) == 1 and p.tax_lines[0].taxable == 1000


def test_tax_lines_in_first_use_order_and_zero_tax_rates_kept():
    zero = AppliedRate("txr_zero", Decimal(0), False, "US")
    p = price_order([LineInput(1, 1000, REDUCED), LineInput(1, 2000, STD), LineInput(1, 500, REDUCED),
                     LineInput(1, 700, zero), LineInput(1, 0, VAT)])
    assert [(t.tax_rate_id, t.taxable, t.tax) for t in p.tax_lines] == [
        ("txr_red", 1500, 75), ("txr_std", 2000, 160), ("txr_zero", 700, 0), ("txr_vat", 0, 0)]
    assert p.tax == 235 and p.total == 4435


def test_mixed_inclusive_and_additive():
    p = price_order([LineInput(1, 1200, VAT), LineInput(1, 1000, STD)])
    assert (p.tax, p.inclusive_tax, p.total) == (280, 200, 2280)
    assert [line.total for line in p.lines] == [1200, 1080]


def test_rounded_once_per_rate_not_per_line():
    lines = [LineInput(1, 6, STD)] * 3  # 0.48 each would round to 0 per line; 1.44 -> 1 once
    p = price_order(lines)
    assert p.tax == 1 and [line.tax for line in p.lines] == [1, 0, 0]


def test_inputs_accept_decimal_strings():
    assert CouponInput(percentage="20.0").percentage == Decimal(20)
    assert ServiceChargeInput(percentage="8.875").percentage == Decimal("8.875")
    assert TipInput(percentage="15").percentage == Decimal(15)
    assert AppliedRate("r", "8", False, "ALL").percentage == Decimal(8)


def test_from_rule():
    r = TaxRule("txr_sf", "SF", Decimal("8.625"), inclusive=True, country="us", region="ca",
                postal_prefix="941")
    assert AppliedRate.from_rule(r) == AppliedRate("txr_sf", Decimal("8.625"), True, "US-CA-941")


def test_outputs_are_frozen():
    p = price_order([LineInput(1, 100)])
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.total = 0  # type: ignore[misc]
    assert isinstance(p, OrderPricing) and isinstance(p.lines, tuple)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "quantity, unit_price",
    [(0, 100), (-1, 100), (1.0, 100), (True, 100), ("1", 100), (1, -1), (1, 1.5), (1, None),
     (1, MAX_AMOUNT + 1), (2, MAX_AMOUNT)],
)
def test_line_input_validation(quantity, unit_price):
    with pytest.raises(ValueError):
        LineInput(quantity, unit_price)


def test_line_input_rejects_a_rule_as_rate():
    with pytest.raises(ValueError):
        LineInput(1, 1, default_sandbox_rule("x"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kind, kw",
    [(CouponInput, {}), (CouponInput, {"amount": 1, "percentage": pct("1")}),
     (CouponInput, {"amount": -1}), (CouponInput, {"amount": 1.0}),
     (CouponInput, {"percentage": pct("101")}), (CouponInput, {"percentage": 10.0}),
     (CouponInput, {"percentage": pct("-1")}), (CouponInput, {"percentage": "1e1"}),
     (ServiceChargeInput, {}), (ServiceChargeInput, {"amount": 1, "percentage": pct("1")}),
     (ServiceChargeInput, {"amount": -5}), (ServiceChargeInput, {"percentage": pct("NaN")}),
     (ServiceChargeInput, {"amount": 1, "taxable": "yes"}),
     (TipInput, {}), (TipInput, {"amount": 1, "percentage": pct("1")}), (TipInput, {"amount": -1}),
     (TipInput, {"percentage": 15})],
)
def test_adjustment_validation(kind, kw):
    with pytest.raises(ValueError):
        kind(**kw)


@pytest.mark.parametrize(
    "args",
    [("", Decimal(8), False, "ALL"), (None, Decimal(8), False, "ALL"), ("r", 8.0, False, "ALL"),
     ("r", Decimal(-8), False, "ALL"), ("r", Decimal(8), "no", "ALL")],
)
def test_applied_rate_validation(args):
    with pytest.raises(ValueError):
        AppliedRate(*args)


def test_price_order_validation():
    line = LineInput(1, 100)
    with pytest.raises(ValueError):
        price_order([])
    with pytest.raises(ValueError):
        price_order([{"quantity": 1, "unit_price": 100}])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        price_order([line], coupons=[TipInput(amount=1)])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        price_order([line], service_charges=[CouponInput(amount=1)])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        price_order([line], tip=CouponInput(amount=1))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        price_order([line], standard_rate=default_sandbox_rule("x"))  # type: ignore[arg-type]


def test_one_rate_id_with_two_sets_of_terms_is_rejected():
    other = AppliedRate("txr_std", Decimal(9), False, "ALL")
    with pytest.raises(ValueError):
        price_order([LineInput(1, 100, STD), LineInput(1, 100, other)])
    with pytest.raises(ValueError):
        price_order([LineInput(1, 100, STD)], service_charges=[ServiceChargeInput(1, taxable=True)],
                    standard_rate=other)


def test_amounts_beyond_max_are_rejected():
    with pytest.raises(ValueError):
        price_order([LineInput(1, MAX_AMOUNT), LineInput(1, 1)])
    with pytest.raises(ValueError):
        price_order([LineInput(1, MAX_AMOUNT - 10)], service_charges=[ServiceChargeInput(100)])
    with pytest.raises(ValueError):
        price_order([LineInput(1, MAX_AMOUNT - 10, STD)])
    assert price_order([LineInput(1, MAX_AMOUNT)]).total == MAX_AMOUNT


# ---------------------------------------------------------------- refunds and settlement


def test_line_refund_by_units():
    line = LinePricing(1001, 0, 0, 80, 0, 1001)  # units: 334, 334, 333; tax 27, 27, 26
    assert line_refund(line, 1, 3, 0) == RefundPart(334, 27)
    assert line_refund(line, 2, 3, 1) == RefundPart(667, 53)
    assert line_refund(line, 1, 3, 2) == RefundPart(333, 26)
    assert line_refund(line, 3, 3, 0) == RefundPart(1001, 80)


@pytest.mark.parametrize(
    "quantity, line_quantity, already",
    [(4, 3, 0), (1, 3, 3), (2, 3, 2), (0, 3, 0), (-1, 3, 0), (1, 0, 0), (1, 3, -1), (1.0, 3, 0),
     (1, 3, True)],
)
def test_line_refund_validation(quantity, line_quantity, already):
    with pytest.raises(ValueError):
        line_refund(LinePricing(100, 0, 0, 0, 0, 100), quantity, line_quantity, already)


def test_line_refund_needs_a_line():
    with pytest.raises(ValueError):
        line_refund(LineInput(1, 100), 1, 1, 0)  # type: ignore[arg-type]


def test_amount_refund_tax():
    assert amount_refund_tax(0, 819, 11059) == 0
    assert amount_refund_tax(11059, 819, 11059) == 819
    assert amount_refund_tax(5, 1, 10) == 1  # 0.5 rounds up
    assert amount_refund_tax(4, 1, 10) == 0
    assert amount_refund_tax(0, 0, 0) == 0
    for args in [(-1, 1, 10), (1, -1, 10), (1, 1, -10), (11, 1, 10), (1, 11, 10), (1.0, 1, 10),
                 (1, 0, 0)]:
        with pytest.raises(ValueError):
            amount_refund_tax(*args)


def test_settle():
    assert settlement(13824, 0, 0, 0) == Settlement(0, 0, 0, 13824, 0)
    assert settlement(13824, 13824, 0, 0).outstanding == 0
    assert settlement(13824, 0, 13824, 0) == Settlement(0, 13824, 0, 0, 13824)
    assert settlement(100, 0, 150, 20) == Settlement(0, 150, 20, 0, 130)
    assert settlement(100, 30, 50, 0).outstanding == 20
    for args in [(-1, 0, 0, 0), (0, -1, 0, 0), (0, 0, -1, 0), (0, 0, 0, -1), (10, 0, 5, 6),
                 (1.5, 0, 0, 0)]:
        with pytest.raises(ValueError):
            settlement(*args)


# ---------------------------------------------------------------- properties

percentages = st.one_of(
    st.integers(0, 100).map(Decimal),
    st.integers(0, 100_000_000).map(lambda n: Decimal(n).scaleb(-6)),
)
prices = st.one_of(st.integers(0, 100), st.integers(0, 10**7))


coupon_inputs = st.one_of(
    st.builds(CouponInput, percentage=percentages),
    st.builds(CouponInput, amount=st.one_of(st.integers(0, 1000), st.integers(0, 10**9))),
)
charge_inputs = st.one_of(
    st.builds(ServiceChargeInput, amount=st.integers(0, 10**6), taxable=st.booleans()),
    st.builds(ServiceChargeInput, percentage=percentages, taxable=st.booleans()),
)
tip_inputs = st.one_of(
    st.none(),
    st.builds(TipInput, amount=st.integers(0, 10**6)),
    st.builds(TipInput, percentage=percentages),
)
rate_index = st.one_of(st.none(), st.integers(0, 2))


def make_order(rate_specs, line_specs, coupons, charges, tip, standard_index):
    """Rates are shared by id, so one id always carries the same terms (as tax.py guarantees)."""
    rates = [AppliedRate(f"txr_{i}", p, inclusive, "ALL") for i, (p, inclusive) in enumerate(rate_specs)]

    def pick(index):
        return None if index is None else rates[index % len(rates)]

    lines = [LineInput(q, price, pick(index)) for q, price, index in line_specs]
    return lines, coupons, charges, tip, pick(standard_index)


orders = st.builds(
    make_order,
    st.lists(st.tuples(percentages, st.booleans()), min_size=1, max_size=3),
    st.lists(st.tuples(st.integers(1, 50), prices, rate_index), min_size=1, max_size=8),
    st.lists(coupon_inputs, max_size=3),
    st.lists(charge_inputs, max_size=3),
    tip_inputs,
    rate_index,
)


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), ROUND_HALF_UP))


@FAST
@given(orders)
def test_pricing_invariants(order):
    lines, coupons, charges, tip, standard = order
    p = price_order(lines, coupons, charges, tip, standard)
    assert len(p.lines) == len(lines) and len(p.service_charges) == len(charges)
    assert len(p.coupon_discounts) == len(coupons)
    # parts sum to totals
    assert sum(line.gross for line in p.lines) == p.subtotal
    assert sum(line.discount for line in p.lines) == p.discount == sum(p.coupon_discounts)
    assert sum(t.tax for t in p.tax_lines) == p.tax == sum(line.tax for line in p.lines)
    assert sum(t.tax for t in p.tax_lines if t.inclusive) == p.inclusive_tax
    assert sum(line.inclusive_tax for line in p.lines) == p.inclusive_tax
    assert sum(line.service_charge for line in p.lines) == p.service_charge
    assert sum(c.applied for c in p.service_charges) == p.service_charge
    assert p.total == p.subtotal - p.discount + p.service_charge + (p.tax - p.inclusive_tax) + p.tip
    assert sum(line.total for line in p.lines) == p.total - p.tip
    assert 0 <= p.discount <= p.subtotal
    for line in p.lines:
        assert min(line.gross, line.discount, line.service_charge, line.tax, line.inclusive_tax,
                   line.total) >= 0
        assert line.discount <= line.gross and line.inclusive_tax <= line.tax
        assert line.total == (line.gross - line.discount + line.service_charge + line.tax
                              - line.inclusive_tax)
    bases = [line.gross - line.discount for line in p.lines]
    shares = [allocate(c.applied, bases) for c in p.service_charges]
    for i, (line, given_line) in enumerate(zip(p.lines, lines)):
        assert line.gross == given_line.quantity * given_line.unit_price
        assert line.service_charge == sum(share[i] for share in shares)  # rule 7
        if given_line.rate is None and not any(c.tax for c in p.service_charges):
            assert line.tax == 0  # an untaxed line only carries service-charge tax
        if p.subtotal:
            exact = Fraction(p.discount * line.gross, p.subtotal)
            assert abs(line.discount - exact) < 1
    # rule 2, recomputed independently with Decimal
    remaining = p.subtotal
    with localcontext() as ctx:
        ctx.prec = 100
        for coupon, taken in zip(coupons, p.coupon_discounts):
            if coupon.percentage is not None:
                assert taken == half_up(remaining * coupon.percentage / 100)
            else:
                assert taken == min(coupon.amount, remaining)
            remaining -= taken
        base = p.subtotal - p.discount
        # rules 3 and 5
        for charge, priced in zip(charges, p.service_charges):
            expected = charge.amount if charge.amount is not None else half_up(
                base * charge.percentage / 100)
            assert priced.applied == expected
            if not (charge.taxable and standard is not None):
                assert priced.tax == 0
        if tip is None:
            assert p.tip == 0
        else:
            assert p.tip == (tip.amount if tip.amount is not None
                             else half_up(base * tip.percentage / 100))
        # rule 4: one tax line per rate used, rounded once on the sum of its bases
        taxable: dict[str, int] = {}
        for line, given_line in zip(p.lines, lines):
            if given_line.rate is not None:
                rid = given_line.rate.tax_rate_id
                taxable[rid] = taxable.get(rid, 0) + line.gross - line.discount
        if standard is not None:
            for charge, priced in zip(charges, p.service_charges):
                if charge.taxable:
                    taxable[standard.tax_rate_id] = taxable.get(standard.tax_rate_id, 0) + priced.applied
        assert [t.tax_rate_id for t in p.tax_lines] == list(taxable)
        for t in p.tax_lines:
            assert t.taxable == taxable[t.tax_rate_id]
            divisor = (100 + t.percentage) if t.inclusive else Decimal(100)
            assert t.tax == half_up(t.taxable * t.percentage / divisor)
            assert 0 <= t.tax <= t.taxable


@FAST
@given(orders, st.lists(st.integers(1, 50), min_size=1, max_size=12))
def test_full_refund_in_random_batches_returns_total_minus_tip(order, batches):
    lines, coupons, charges, tip, standard = order
    p = price_order(lines, coupons, charges, tip, standard)
    refunded = refunded_tax = 0
    sizes = iter(batches * 400)  # batch sizes cycle over every line's units
    for priced, given_line in zip(p.lines, lines):
        done = 0
        while done < given_line.quantity:
            count = min(next(sizes), given_line.quantity - done)
            part = line_refund(priced, count, given_line.quantity, done)
            assert 0 <= part.amount <= priced.total and 0 <= part.tax <= priced.tax
            refunded += part.amount
            refunded_tax += part.tax
            done += count
        with pytest.raises(ValueError):
            line_refund(priced, 1, given_line.quantity, done)
    assert refunded == p.total - p.tip
    assert refunded_tax == p.tax


@FAST
@given(st.integers(0, 10**9), st.integers(1, 200), st.data())
def test_line_refund_matches_allocate_over_units(total, units, data):
    tax = data.draw(st.integers(0, total))
    start = data.draw(st.integers(0, units - 1))
    count = data.draw(st.integers(1, units - start))
    line = LinePricing(total, 0, 0, tax, 0, total)
    part = line_refund(line, count, units, start)
    assert part.amount == sum(allocate(total, [1] * units)[start:start + count])
    assert part.tax == sum(allocate(tax, [1] * units)[start:start + count])


@FAST
@given(orders, st.data())
def test_amount_refund_tax_never_exceeds_the_order_tax(order, data):
    p = price_order(*order)
    amount = data.draw(st.integers(0, p.total))
    part = amount_refund_tax(amount, p.tax, p.total)
    assert 0 <= part <= p.tax
    if p.total:
        assert abs(part - Fraction(amount * p.tax, p.total)) <= Fraction(1, 2)


@FAST
@given(st.integers(0, 10**12), st.integers(0, 10**12), st.integers(0, 10**12), st.data())
def test_settle_is_never_negative(total, authorized, paid, data):
    refunded = data.draw(st.integers(0, paid))
    s = settlement(total, authorized, paid, refunded)
    assert s.outstanding >= 0 and s.refundable >= 0
    assert s.outstanding == max(0, total - paid - authorized)
    assert s.refundable == paid - refunded
    assert (s.outstanding == 0) == (paid + authorized >= total)
