"""Calculation runs through the API, on numbers worked out by hand: set-based payouts, FX per line day,
holds, the per-line trace summing to the payout, draft → approved → paid, and refusals storing nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
import sqlalchemy as sa
from incentives.calculation_runs.models import CalculationRun, Payout
from sqlalchemy.ext.asyncio import AsyncSession

from .helpers import (
    FakeAnalytics,
    a_line,
    a_partner,
    a_programme,
    a_run,
    an_approved_deal,
    payout_lines,
    payouts,
    rebate,
)

pytestmark = pytest.mark.asyncio

MARGINAL = {
    "kind": "volume_bonus",
    "mode": "marginal",
    "bands": [{"from": "0", "to": "1000", "rate": "0.01"}, {"from": "1000", "rate": "0.05"}],
}


async def _stored(db: AsyncSession) -> tuple[int, int]:
    runs = await db.scalar(sa.select(sa.func.count()).select_from(CalculationRun))
    paid = await db.scalar(sa.select(sa.func.count()).select_from(Payout))
    return runs or 0, paid or 0


async def test_a_run_pays_each_partner_with_a_trace_that_sums_to_the_payout(
    client: httpx.AsyncClient, db: AsyncSession, analytics: FakeAnalytics
) -> None:
    anna, ben = await a_partner(db), await a_partner(db)
    await a_line(db, anna, "1000.00")
    await a_line(db, anna, "100.00", kind="return")
    await a_line(db, anna, "500.00", currency="USD", on=date(2026, 2, 10))
    await a_line(db, anna, "333.33", on=date(2026, 3, 1))
    await a_line(db, ben, "200.00", currency="USD", on=date(2026, 1, 20))
    analytics.add_rate("USD", "EUR", date(2026, 1, 1), "0.9")
    analytics.add_rate("USD", "EUR", date(2026, 2, 1), "0.8")
    programme = await a_programme(client, rebate("0.03"), MARGINAL)

    run = await a_run(client, programme)
    paid = await payouts(client, run)

    # anna: 1,000 - 100 + 500 * 0.8 (Feb rate) + 333.33 = 1,633.33
    #   rebate 3 % = 48.9999; marginal 1,000 * 1 % + 633.33 * 5 % = 10 + 31.6665 = 41.6665
    #   payout 90.6664 -> 90.67
    assert Decimal(paid[str(anna)]["volume"]) == Decimal("1633.33")
    assert Decimal(paid[str(anna)]["unrounded"]) == Decimal("90.6664")
    assert paid[str(anna)]["amount"] == {"amount": "90.67", "currency": "EUR"}
    # ben: 200 * 0.9 (Jan rate) = 180; rebate 5.40 + marginal 1.80 = 7.20
    assert paid[str(ben)]["amount"] == {"amount": "7.20", "currency": "EUR"}
    assert run["totals"]["payout"] == {"amount": "97.87", "currency": "EUR"}
    assert {(r["currency"], r["day"], r["rate"]) for r in run["fx_rates"]} == {
        ("USD", "2026-02-10", "0.8"),
        ("USD", "2026-01-20", "0.9"),
    }
    lines = await payout_lines(client, run["id"], anna)
    assert len(lines) == 4
    assert sum(Decimal(line["payout"]) for line in lines) == Decimal("90.67")
    usd = next(line for line in lines if line["amount"]["currency"] == "USD")
    assert (usd["fx_rate"], Decimal(usd["converted"])) == ("0.8", Decimal("400"))
    assert [c["kind"] for c in usd["contributions"]] == ["rebate", "volume_bonus"]
    assert await payout_lines(client, run["id"], anna) == lines  # stable


async def test_lines_of_one_rate_are_converted_together_and_a_rate_changing_within_a_month_day_by_day(
    client: httpx.AsyncClient, db: AsyncSession, analytics: FakeAnalytics
) -> None:
    """A month's lines are summed (the month sums) and converted at once when their days share one rate; when
    the rate changes within the month, that month is read again line by line and converted day by day. Either
    way the run comes out as if every line were converted alone."""
    partner = await a_partner(db)
    for day, amount in [
        (date(2026, 1, 5), "100.00"),
        (date(2026, 1, 25), "200.00"),
        (date(2026, 2, 3), "50.00"),
        (date(2026, 2, 20), "60.00"),
    ]:
        await a_line(db, partner, amount, currency="USD", on=day)
    analytics.add_rate("USD", "EUR", date(2026, 1, 1), "0.9")
    analytics.add_rate("USD", "EUR", date(2026, 1, 20), "0.85")
    analytics.add_rate("USD", "EUR", date(2026, 2, 1), "0.8")
    programme = await a_programme(client, rebate("0.10"))

    run = await a_run(client, programme)
    paid = await payouts(client, run)

    # January's rate changes on the 20th: 100 * 0.9 + 200 * 0.85 = 260; February's does not: 110 * 0.8 = 88
    assert Decimal(paid[str(partner)]["volume"]) == Decimal(348)
    assert paid[str(partner)]["amount"] == {"amount": "34.80", "currency": "EUR"}  # rebate 10 %
    assert [(r["day"], r["rate"]) for r in run["fx_rates"]] == [
        ("2026-01-05", "0.9"),
        ("2026-01-25", "0.85"),
        ("2026-02-03", "0.8"),
        ("2026-02-20", "0.8"),
    ]
    traced = await payout_lines(client, run["id"], partner)
    assert sorted(Decimal(line["converted"]) for line in traced) == [40, 48, 90, 170]


async def test_a_line_recorded_after_the_run_is_not_counted(
    client: httpx.AsyncClient, db: AsyncSession, analytics: FakeAnalytics
) -> None:
    """A run counts the lines recorded up to its moment: a month sum holding a later line is not read, its
    partner's month is read line by line instead."""
    partner = await a_partner(db)
    await a_line(db, partner, "100.00", on=date(2026, 1, 5))
    await a_line(db, partner, "900.00", on=date(2026, 1, 6), recorded_at=datetime(2099, 1, 1, tzinfo=UTC))
    await a_line(db, partner, "50.00", on=date(2026, 2, 3))
    programme = await a_programme(client, rebate("0.10"))

    paid = await payouts(client, await a_run(client, programme))

    assert (Decimal(paid[str(partner)]["volume"]), paid[str(partner)]["lines"]) == (Decimal(150), 2)


async def test_a_missing_fx_rate_stops_the_run_with_the_list_and_stores_nothing(
    client: httpx.AsyncClient, db: AsyncSession, analytics: FakeAnalytics
) -> None:
    partner = await a_partner(db)
    await a_line(db, partner, "100.00", currency="GBP", on=date(2026, 1, 15))
    await a_line(db, partner, "100.00", currency="USD", on=date(2026, 1, 10))
    await a_line(db, partner, "100.00", currency="USD", on=date(2026, 2, 10))
    analytics.add_rate("USD", "EUR", date(2026, 2, 1), "0.9")
    programme = await a_programme(client)
    before = await _stored(db)

    response = await client.post(
        "/v1/calculation-runs", json={"programme_id": programme["programme_id"], "period": "2026-Q1"}
    )

    assert response.status_code == 422
    assert response.json()["type"].endswith("/problems/fx-rates-missing")
    assert response.json()["missing"] == [
        {"currency": "GBP", "day": "2026-01-15"},
        {"currency": "USD", "day": "2026-01-10"},
    ]
    assert await _stored(db) == before


async def test_an_inverse_rate_is_used_when_only_the_reverse_pair_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, analytics: FakeAnalytics
) -> None:
    partner = await a_partner(db)
    await a_line(db, partner, "300.00", currency="USD", on=date(2026, 1, 15))
    analytics.add_rate("EUR", "USD", date(2026, 1, 1), "1.2")
    programme = await a_programme(client, rebate("0.10"))

    run = await a_run(client, programme)

    # 1 / 1.2 = 0.8333333333 (10 places, half-even); 300 * that = 249.99999999; 10 % = 24.999999999 -> 25.00
    assert run["fx_rates"][0]["rate"] == "0.8333333333"
    assert run["fx_rates"][0]["inverted"] is True
    assert (await payouts(client, run))[str(partner)]["amount"]["amount"] == "25.00"


async def test_flagged_and_recent_lines_are_held_and_shown_as_held(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(db)
    await a_line(db, partner, "1000.00", on=date(2026, 1, 10))
    flagged = await a_line(db, partner, "5000.00", on=date(2026, 1, 11), flag_status="open")
    recent = await a_line(db, partner, "700.00", on=date(2026, 3, 20))
    await a_line(db, partner, "900.00", on=date(2026, 2, 1), flag_status="dismissed")
    programme = await a_programme(client, rebate("0.10"), hold_days=30)

    run = await a_run(client, programme, as_of="2026-04-01")
    paid = (await payouts(client, run))[str(partner)]

    # payable: 1,000 + 900 (dismissed flag frees it) = 1,900; 10 % = 190.00; the March 20 line is within
    # its 30 days on April 1 (payable from April 19) and the open flag holds the other
    assert paid["amount"]["amount"] == "190.00"
    assert (paid["held_lines"], Decimal(paid["held_volume"])) == (2, Decimal("5700"))
    lines = {line["line_id"]: line for line in await payout_lines(client, run["id"], partner)}
    assert lines[str(flagged)]["held"] == "flagged"
    assert lines[str(flagged)]["contributions"] == []
    assert lines[str(recent)]["held"] == "hold_period"
    assert run["totals"]["held_lines"] == 2


async def test_eligibility_is_judged_as_of_each_line_day(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = await a_partner(db, tier="silver", since=date(2025, 1, 1))
    from incentives.replica.models import PartnerTierPeriod

    db.add(
        PartnerTierPeriod(
            partner_id=partner, valid_from=date(2026, 2, 1), tier="gold", changed_at=datetime.now(UTC)
        )
    )
    deal = await an_approved_deal(db, partner, approved_on=date(2026, 1, 1))
    await a_line(db, partner, "1000.00", on=date(2026, 1, 15))  # silver then: not eligible
    await a_line(db, partner, "2000.00", on=date(2026, 2, 15))
    await a_line(db, partner, "3000.00", on=date(2026, 2, 16), deal_registration_id=deal)
    await a_line(db, partner, "4000.00", on=date(2026, 2, 17), category="services")  # excluded
    programme = await a_programme(
        client,
        rebate("0.01"),
        {"kind": "deal_registration_bonus", "rate": "0.02"},
        eligibility={"tiers": ["gold"], "categories_excluded": ["services"]},
    )

    run = await a_run(client, programme)

    # gold lines 2,000 + 3,000 = 5,000: 1 % = 50; the registered 3,000 adds 2 % = 60; total 110.00
    assert (await payouts(client, run))[str(partner)]["amount"]["amount"] == "110.00"


async def test_re_running_replaces_the_draft_and_approval_locks_it(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(db)
    await a_line(db, partner, "1000.00")
    programme = await a_programme(client)
    first = await a_run(client, programme)
    await a_line(db, partner, "500.00", recorded_at=datetime(2026, 1, 2, tzinfo=UTC))

    again = await client.post(
        "/v1/calculation-runs",
        json={"programme_id": programme["programme_id"], "period": "2026-Q1", "as_of": "2026-12-31"},
    )
    approved = await client.post(f"/v1/calculation-runs/{first['id']}/approval")
    twice = await client.post(f"/v1/calculation-runs/{first['id']}/approval")
    locked = await client.post(
        "/v1/calculation-runs", json={"programme_id": programme["programme_id"], "period": "2026-Q1"}
    )
    paid = await client.post(f"/v1/calculation-runs/{first['id']}/payment")

    assert first["totals"]["payout"]["amount"] == "20.00"  # 2 % of 1,000
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert again.json()["totals"]["payout"]["amount"] == "30.00"
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == "key:test-admin"
    assert twice.status_code == 409
    assert locked.status_code == 409
    assert locked.json()["type"].endswith("/problems/calculation-run-locked")
    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    assert paid.json()["paid_at"] is not None


async def test_the_same_inputs_give_the_same_result(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = await a_partner(db)
    for amount in ("10.01", "20.02", "30.03"):
        await a_line(db, partner, amount)
    programme = await a_programme(client, rebate("0.0333"), MARGINAL)
    first = await payouts(client, await a_run(client, programme))

    second = await payouts(client, await a_run(client, programme))

    assert first == second


async def test_a_period_without_a_published_version_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    programme = await a_programme(client, effective_to="2026-03-31")
    draft = await a_programme(client, publish=False)
    before = await _stored(db)

    later = await client.post(
        "/v1/calculation-runs", json={"programme_id": programme["programme_id"], "period": "2026-Q3"}
    )
    unpublished = await client.post(
        "/v1/calculation-runs", json={"programme_id": draft["programme_id"], "period": "2026-Q1"}
    )
    month = await client.post(
        "/v1/calculation-runs", json={"programme_id": programme["programme_id"], "period": "2026-01"}
    )

    assert later.status_code == 422
    assert later.json()["type"].endswith("/problems/no-programme-version-in-period")
    assert unpublished.status_code == 422
    assert month.status_code == 422
    assert month.json()["type"].endswith("/problems/period-type-mismatch")
    assert await _stored(db) == before


async def test_an_accelerator_reads_the_partner_target(
    client: httpx.AsyncClient, db: AsyncSession, analytics: FakeAnalytics
) -> None:
    partner, without = await a_partner(db), await a_partner(db)
    await a_line(db, partner, "12000.00")
    await a_line(db, without, "12000.00")
    analytics.add_target(partner, "2026-Q1", "10000.00")
    programme = await a_programme(client, {"kind": "accelerator", "threshold": "1.0", "rate": "0.10"})

    paid = await payouts(client, await a_run(client, programme))

    # (12,000 - 1.0 * 10,000) * 10 % = 200.00; no target: nothing
    assert paid[str(partner)]["amount"]["amount"] == "200.00"
    assert paid[str(partner)]["target"] == {"amount": "10000.00", "currency": "EUR"}
    assert paid[str(without)]["amount"]["amount"] == "0.00"
    # every partner's targets of the period in one call, not one call per partner
    asked = [r for r in analytics.requests if "targets" in r]
    assert asked == ["/internal/targets?period=2026-Q1"]


async def test_an_accelerator_converts_a_foreign_target_exactly_with_the_lines_inverse(
    client: httpx.AsyncClient, db: AsyncSession, analytics: FakeAnalytics
) -> None:
    direct, inverted = await a_partner(db), await a_partner(db)
    await a_line(db, direct, "456.467", currency="KWD")
    await a_line(db, inverted, "33000.000", currency="KWD")
    analytics.add_target(direct, "2026-Q1", "1.00")  # EUR
    analytics.add_target(inverted, "2026-Q1", "1000.00", currency="USD")
    analytics.add_rate("EUR", "KWD", date(2026, 1, 1), "0.3312345678")  # the pair itself
    analytics.add_rate("KWD", "USD", date(2026, 1, 1), "3")  # only the reverse pair: USD→KWD is 1/3
    programme = await a_programme(
        client, {"kind": "accelerator", "threshold": "99", "rate": "1"}, currency="KWD"
    )

    paid = await payouts(client, await a_run(client, programme))

    # direct: T = 1.00 * 0.3312345678 = 0.3312345678 (not 0.3312); 99 * T = 32.7922222122;
    # 456.467 - 32.7922222122 = 423.6747777878 -> 423.675 KWD (with T = 0.3312 it was 423.6782 -> 423.678)
    assert Decimal(paid[str(direct)]["rules"][0]["amount"]) == Decimal("423.6747777878")
    assert paid[str(direct)]["amount"]["amount"] == "423.675"
    # inverted: the lines' factor 1/3 half-even to 10 places = 0.3333333333; T = 333.3333333;
    # 99 * T = 32999.9999967; 33000 - 32999.9999967 = 0.0000033 -> 0.000 KWD
    # (dividing by 3 and rounding to 4 places gave T = 333.3333, 0.0033 -> 0.003)
    assert Decimal(paid[str(inverted)]["rules"][0]["amount"]) == Decimal("0.0000033")
    assert paid[str(inverted)]["amount"]["amount"] == "0.000"
