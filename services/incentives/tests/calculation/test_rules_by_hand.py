"""Each rule kind and mode on numbers worked out by hand (the arithmetic is in the comments), through the
set-based formulas (rules.py), the reference calculator and settlement."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from incentives.calculation.reference import LineFacts, reference_calculation
from incentives.calculation.rules import PartnerVolumes, rule_results
from incentives.calculation.settle import settle
from prm_contracts.incentives import VersionTerms
from prm_contracts.periods import parse_period

pytestmark = pytest.mark.backend_independent

Q1 = parse_period("2026-Q1")
BANDS = [
    {"from": "0", "to": "10000", "rate": "0.01"},
    {"from": "10000", "to": "50000", "rate": "0.02"},
    {"from": "50000", "rate": "0.03"},
]


def version(*rules: dict[str, Any], **fields: Any) -> VersionTerms:
    return VersionTerms.model_validate(
        {"effective_from": "2026-01-01", "basis": "invoiced", "rules": list(rules), **fields}
    )


def amounts(terms: VersionTerms, volumes: PartnerVolumes) -> list[Decimal]:
    return [r.amount for r in rule_results(terms, volumes)]


def test_rebate_is_the_rate_on_net_volume() -> None:
    # 3 % of 12,345.67 = 370.3701
    assert amounts(
        version({"kind": "rebate", "rate": "0.03"}), PartnerVolumes(volume=Decimal("12345.67"))
    ) == [Decimal("370.3701")]


def test_whole_band_and_marginal_differ_on_the_same_volume() -> None:
    volume = PartnerVolumes(volume=Decimal("60000"))
    whole = version({"kind": "volume_bonus", "mode": "whole_band", "bands": BANDS})
    marginal = version({"kind": "volume_bonus", "mode": "marginal", "bands": BANDS})

    # whole band: 60,000 reached band 3 (3 %), applied to all of it: 60,000 * 0.03 = 1,800
    assert amounts(whole, volume) == [Decimal("1800")]
    # marginal: 10,000 * 0.01 + 40,000 * 0.02 + 10,000 * 0.03 = 100 + 800 + 300 = 1,200
    assert amounts(marginal, volume) == [Decimal("1200")]
    # at a band's lower edge the band applies: 10,000 whole band = 10,000 * 0.02 = 200; marginal = 100
    edge = PartnerVolumes(volume=Decimal("10000"))
    assert amounts(whole, edge) == [Decimal("200")]
    assert amounts(marginal, edge) == [Decimal("100")]


def test_volume_below_the_first_band_earns_no_bonus() -> None:
    bands = [{"from": "5000", "to": "10000", "rate": "0.01"}, {"from": "10000", "rate": "0.02"}]
    for mode in ("whole_band", "marginal"):
        terms = version({"kind": "volume_bonus", "mode": mode, "bands": bands})
        assert amounts(terms, PartnerVolumes(volume=Decimal("4999.99"))) == [Decimal(0)]
    # marginal from 5,000: (10,000 - 5,000) * 0.01 + (12,000 - 10,000) * 0.02 = 50 + 40 = 90
    marginal = version({"kind": "volume_bonus", "mode": "marginal", "bands": bands})
    assert amounts(marginal, PartnerVolumes(volume=Decimal("12000"))) == [Decimal("90")]


def test_accelerator_pays_on_the_volume_above_the_attained_target() -> None:
    terms = version({"kind": "accelerator", "threshold": "0.9", "rate": "0.05"})
    # target 100,000, threshold 90 % = 90,000; volume 120,000: (120,000 - 90,000) * 0.05 = 1,500
    assert amounts(terms, PartnerVolumes(volume=Decimal("120000"), target=Decimal("100000"))) == [
        Decimal("1500")
    ]
    # below the threshold, or without a target: nothing
    assert amounts(terms, PartnerVolumes(volume=Decimal("85000"), target=Decimal("100000"))) == [Decimal(0)]
    assert amounts(terms, PartnerVolumes(volume=Decimal("120000"))) == [Decimal(0)]


def test_spiff_pays_per_unit_or_per_deal() -> None:
    window = {"from": "2026-02-01", "to": "2026-02-28"}
    per_unit = version({"kind": "spiff", "skus": ["X"], "amount": "25.00", "per": "unit", "window": window})
    per_deal = version({"kind": "spiff", "skus": ["X"], "amount": "100.00", "per": "deal", "window": window})
    volumes = PartnerVolumes(spiff_units={0: Decimal("7")}, spiff_deals={0: 3})
    # 7 units * 25 = 175; 3 deals * 100 = 300
    assert amounts(per_unit, volumes) == [Decimal("175.00")]
    assert amounts(per_deal, volumes) == [Decimal("300.00")]


def test_deal_registration_bonus_and_mdf_accrual() -> None:
    terms = version(
        {"kind": "deal_registration_bonus", "rate": "0.04"}, {"kind": "mdf_accrual", "rate": "0.015"}
    )
    volumes = PartnerVolumes(volume=Decimal("20000"), deal_volume=Decimal("5000"))
    # deal bonus: 5,000 * 0.04 = 200; MDF: 20,000 * 0.015 = 300
    assert amounts(terms, volumes) == [Decimal("200"), Decimal("300")]


def _settled(terms: VersionTerms, earned: dict[UUID, str]) -> dict[UUID, Decimal]:
    results = {p: rule_results(terms, PartnerVolumes(volume=Decimal(v))) for p, v in earned.items()}
    return {p: s.amount for p, s in settle(terms, "EUR", results)[0].items()}


def test_cap_and_floor_bound_what_a_partner_earns() -> None:
    terms = version(
        {"kind": "rebate", "rate": "0.10"},
        {"kind": "cap", "amount": "500"},
        {"kind": "floor", "amount": "50"},
    )
    big, small, nothing = uuid4(), uuid4(), uuid4()
    # 10 % of 8,000 = 800 > cap 500; 10 % of 120 = 12 < floor 50 (earned > 0); 0 earns 0 (no floor)
    assert _settled(terms, {big: "8000", small: "120", nothing: "0"}) == {
        big: Decimal("500.00"),
        small: Decimal("50.00"),
        nothing: Decimal("0.00"),
    }


def test_a_budget_reduces_every_positive_payout_pro_rata_to_exactly_the_budget() -> None:
    terms = version({"kind": "rebate", "rate": "0.10"}, {"kind": "budget", "amount": "100.00"})
    a, b, c = sorted([uuid4(), uuid4(), uuid4()])
    # earned 100, 100, 100 = 300 > budget 100: factor 1/3, each 33.333...: 33.33 * 3 = 99.99, the cent left
    # goes to the largest remainder (all equal: the first partner by id) -> 33.34, 33.33, 33.33 = 100.00
    settled = _settled(terms, {a: "1000", b: "1000", c: "1000"})
    assert settled == {a: Decimal("33.34"), b: Decimal("33.33"), c: Decimal("33.33")}


def test_rounding_is_half_even_at_the_payout_only() -> None:
    terms = version({"kind": "rebate", "rate": "0.01"})
    even, odd = uuid4(), uuid4()
    # 1 % of 2.25 = 0.0225 -> 0.02 (half to even); 1 % of 2.35 = 0.0235 -> 0.02; 1 % of 2.45 = 0.0245 -> 0.02
    # 1 % of 3.50 = 0.035 -> 0.04 (half to even, 4 is even)
    assert _settled(terms, {even: "2.25", odd: "3.50"}) == {even: Decimal("0.02"), odd: Decimal("0.04")}


def _line(partner: UUID, amount: str, **fields: Any) -> LineFacts:
    values: dict[str, Any] = {
        "id": uuid4(),
        "partner_id": partner,
        "external_id": "x",
        "kind": "sale",
        "occurred_on": date(2026, 2, 1),
        "payment_status": "invoiced",
        "paid_on": None,
        "sku": "S",
        "category": "c",
        "quantity": Decimal(1),
        "amount": Decimal(amount),
        "currency": "EUR",
        "fx_rate": Decimal(1),
        "approved_deal": False,
        "flag_status": "none",
        "tier": "gold",
        "active": True,
        "partner_type": "reseller",
        "country": "DE",
        "region": "EMEA",
    }
    return LineFacts(**(values | fields))


def test_the_reference_nets_returns_and_converts_each_line() -> None:
    partner = uuid4()
    terms = version({"kind": "rebate", "rate": "0.05"})
    lines = [
        _line(partner, "1000.00"),
        _line(partner, "200.00", kind="return"),
        _line(partner, "500.00", currency="USD", fx_rate=Decimal("0.9")),
        _line(partner, "999.00", occurred_on=date(2026, 4, 1)),  # Q2: not counted
        _line(partner, "999.00", active=False),  # not active on its day
    ]

    result = reference_calculation(terms, Q1, date(2026, 12, 31), lines, {})[partner]

    # volume: 1,000 - 200 + 500 * 0.9 = 1,250; rebate 5 % = 62.5
    assert result.volume == Decimal("1250")
    assert [r.amount for r in result.results] == [Decimal("62.5")]
    assert sorted(c.amount for c in result.contributions) == [Decimal("-10"), Decimal("22.5"), Decimal("50")]
