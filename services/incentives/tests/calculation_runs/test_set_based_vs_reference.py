"""The set-based calculator (SQL sums, then Decimal maths) against the slow reference (one line at a time,
the partner's facts worked out here in Python from the generated history), on random programmes and sales,
on the test's database backend. Every partner's payout must be equal to the cent, every exact rule amount
equal, and every payout's derived trace must sum to it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any
from uuid import UUID

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from incentives.calculation.reference import LineFacts, reference_calculation
from incentives.calculation.rules import RuleResult
from incentives.calculation.settle import settle
from incentives.replica.models import PartnerTierPeriod
from prm_contracts.incentives import VersionTerms
from prm_contracts.periods import parse_period
from sqlalchemy.ext.asyncio import AsyncSession

from .helpers import (
    FakeAnalytics,
    a_line,
    a_partner,
    a_programme,
    a_run,
    external_id_of,
    payout_lines,
    payouts,
)

pytestmark = pytest.mark.asyncio


EXAMPLES = count()
USD_RATES = {
    date(2025, 12, 1): Decimal("0.9"),
    date(2026, 2, 1): Decimal("0.85"),
    date(2030, 2, 1): Decimal("0.8"),
}
DAY = st.integers(min_value=-10, max_value=100)  # days after the example's period starts
line = st.fixed_dictionaries(
    {
        "partner": st.integers(0, 2),
        "amount": st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2),
        "kind": st.sampled_from(["sale", "sale", "sale", "return", "credit_note"]),
        "on": DAY,
        "currency": st.sampled_from(["EUR", "EUR", "USD"]),
        "sku": st.sampled_from(["A", "B", "C"]),
        "category": st.sampled_from(["hardware", "services"]),
        "quantity": st.integers(1, 9),
        "flag": st.sampled_from(["none", "none", "none", "open", "confirmed", "dismissed"]),
    }
)
# a return of one of the lines drawn (by position; it names that line as its original), some days after it
returned = st.lists(st.tuples(st.integers(0, 24), st.integers(0, 60)), min_size=2, max_size=8)
rate = st.decimals(min_value=Decimal("0"), max_value=Decimal("0.2"), places=4).map(str)
rules = st.lists(
    st.one_of(
        st.builds(lambda r: {"kind": "rebate", "rate": r}, rate),
        st.builds(
            lambda mode, edge, r1, r2: {
                "kind": "volume_bonus",
                "mode": mode,
                "bands": [{"from": "100", "to": str(edge), "rate": r1}, {"from": str(edge), "rate": r2}],
            },
            st.sampled_from(["whole_band", "marginal"]),
            st.integers(500, 8000),
            rate,
            rate,
        ),
        st.builds(lambda r: {"kind": "accelerator", "threshold": "0.8", "rate": r}, rate),
        st.builds(
            lambda per: {
                "kind": "spiff",
                "skus": ["A"],
                "amount": "7.50",
                "per": per,
                "window": {"from": "2026-02-01", "to": "2026-02-20"},
            },
            st.sampled_from(["unit", "deal"]),
        ),
        st.builds(lambda r: {"kind": "mdf_accrual", "rate": r}, rate),
    ),
    min_size=1,
    max_size=4,
)
extras = st.sampled_from(
    [
        [],
        [{"kind": "cap", "amount": "150"}],
        [{"kind": "floor", "amount": "5"}],
        [{"kind": "budget", "amount": "120"}],
    ]
)
eligibility = st.sampled_from(
    [{}, {"tiers": ["gold"]}, {"categories_excluded": ["services"]}, {"skus_included": ["A", "B"]}]
)


def _usd_rate(day: date) -> Decimal:
    return max((d, r) for d, r in USD_RATES.items() if d <= day)[1]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
@given(st.data())
async def test_the_set_based_calculator_agrees_with_the_reference(
    client: httpx.AsyncClient, db: AsyncSession, analytics: FakeAnalytics, data: st.DataObject
) -> None:
    analytics.rates.clear()
    analytics.targets.clear()
    # every example runs a year of its own: the test's transaction keeps the lines of earlier examples
    period = parse_period(f"{2026 + next(EXAMPLES)}-Q1")
    lines = data.draw(st.lists(line, min_size=1, max_size=25))
    for position, later in data.draw(returned):
        sold = lines[position % len(lines)]
        lines.append(sold | {"kind": "return", "on": sold["on"] + later, "original": position % len(lines)})
    rule_list = data.draw(rules) + data.draw(extras)
    hold_days = data.draw(st.sampled_from([0, 20]))
    chosen = data.draw(eligibility)
    for day, value in USD_RATES.items():
        analytics.add_rate("USD", "EUR", day, str(value))
    # partner 0: gold throughout; 1: silver, gold from Feb 15; 2: suspended until Feb 1, then active
    partners = [
        await a_partner(db),
        await a_partner(db, tier="silver"),
        await a_partner(db, status="suspended"),
    ]
    db.add(
        PartnerTierPeriod(
            partner_id=partners[1],
            valid_from=date(period.first_day.year, 2, 15),
            tier="gold",
            changed_at=datetime.now(UTC),
        )
    )
    from incentives.replica.models import PartnerStatusPeriod

    db.add(
        PartnerStatusPeriod(
            partner_id=partners[2],
            valid_from=datetime(period.first_day.year, 2, 1, 9, tzinfo=UTC),
            status="active",
        )
    )
    analytics.add_target(partners[0], period.label, "3000.00")
    facts: list[LineFacts] = []
    for drawn in lines:
        drawn["on"] = period.first_day + timedelta(days=drawn["on"])
        partner = partners[drawn["partner"]]
        original = facts[drawn["original"]].external_id if "original" in drawn else None
        line_id = await a_line(
            db,
            partner,
            str(drawn["amount"]),
            on=drawn["on"],
            kind=drawn["kind"],
            currency=drawn["currency"],
            sku=drawn["sku"],
            category=drawn["category"],
            quantity=str(drawn["quantity"]),
            flag_status=drawn["flag"],
            original_external_id=original,
        )
        tier = (
            "gold" if drawn["partner"] != 1 or drawn["on"] >= date(period.first_day.year, 2, 15) else "silver"
        )
        active = drawn["partner"] != 2 or drawn["on"] >= date(period.first_day.year, 2, 1)
        facts.append(
            LineFacts(
                id=line_id,
                partner_id=partner,
                external_id=external_id_of(line_id),
                kind=drawn["kind"],
                occurred_on=drawn["on"],
                payment_status="invoiced",
                paid_on=None,
                sku=drawn["sku"],
                category=drawn["category"],
                quantity=Decimal(drawn["quantity"]),
                amount=drawn["amount"],
                currency=drawn["currency"],
                fx_rate=Decimal(1) if drawn["currency"] == "EUR" else _usd_rate(drawn["on"]),
                approved_deal=False,
                flag_status=drawn["flag"],
                tier=tier,
                active=active,
                partner_type="reseller",
                country="DE",
                region="EMEA",
                original_external_id=original,
            )
        )
    for rule in rule_list:
        if rule["kind"] == "spiff":
            rule["window"] = {
                "from": f"{period.first_day.year}-02-01",
                "to": f"{period.first_day.year}-02-20",
            }
    version = await a_programme(client, *rule_list, hold_days=hold_days, eligibility=chosen)
    terms = VersionTerms.model_validate(
        {
            "effective_from": "2026-01-01",
            "basis": "invoiced",
            "rules": rule_list,
            "hold_days": hold_days,
            "eligibility": chosen,
        }
    )
    as_of = date(period.first_day.year, 3, 25)

    run = await a_run(client, version, period.label, as_of=as_of.isoformat())
    paid = await payouts(client, run)

    originals = {(f.partner_id, f.external_id): f for f in facts if f.kind == "sale"}
    reference = reference_calculation(
        terms, period, as_of, facts, {partners[0]: Decimal("3000.00")}, originals
    )
    results: dict[UUID, list[RuleResult]] = {p: r.results for p, r in reference.items()}
    expected, _ = settle(terms, "EUR", results)
    assert set(paid) == {str(p) for p in expected}, (paid, partners, lines)
    for partner, settlement in expected.items():
        got: dict[str, Any] = paid[str(partner)]
        assert Decimal(got["amount"]["amount"]) == settlement.amount
        assert Decimal(got["mdf_accrual"]["amount"]) == settlement.mdf_accrual
        assert [Decimal(r["amount"]) for r in got["rules"]] == [r.amount for r in results[partner]]
        traced = await payout_lines(client, run["id"], partner)
        assert sum(Decimal(t["payout"]) for t in traced) == settlement.amount
        mdf = [c for t in traced for c in t["contributions"] if c["kind"] == "mdf_accrual"]
        assert sum((Decimal(c["amount"]) for c in mdf), Decimal(0)) == settlement.mdf_accrual
