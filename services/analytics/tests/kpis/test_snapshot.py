"""A partner's KPI snapshot, each KPI checked against arithmetic done by hand on a small set of lines sent
through the signed webhook (so the rollups under test are the ones ingestion writes)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from analytics.acquisition_spend.models import AcquisitionSpend
from analytics.fx.models import FxRate
from analytics.market_sizes.models import MarketSize
from analytics.partners.models import DealRegistrationOutcome, PartnerDimension
from analytics.surveys.models import SurveyResponse
from analytics.targets.models import Target
from prm_contracts.principal import Principal
from prm_kit.testing import internal_headers
from sqlalchemy.ext.asyncio import AsyncSession

from ..sales.factories import Sender, a_line, events_of, sales_reported
from ..sales.fakes import FakeRegistry

pytestmark = pytest.mark.asyncio
NOW = datetime(2026, 7, 1, tzinfo=UTC)


def sale(
    day: str, amount: str, customer: str, *, cost: str | None = None, currency: str = "EUR", **more: Any
) -> dict[str, Any]:
    line = a_line(
        occurred_on=day,
        quantity="1",
        unit_price=amount,
        amount=amount,
        currency=currency,
        customer={"name": customer, "external_id": customer},
        **more,
    )
    if cost is not None:
        line["cost"] = cost
    return line


def a_return(day: str, amount: str, customer: str, original: str | None = None) -> dict[str, Any]:
    return sale(day, amount, customer, kind="return", original_external_id=original)


async def _partner(sender: Sender, registry: FakeRegistry, *lines: dict[str, Any]) -> UUID:
    partner_id, secret = registry.partner()
    response = await sender.send(partner_id, secret, sales_reported(*lines))
    assert response.status_code == 200, response.text
    assert response.json()["counts"]["accepted"] == len(lines)
    return partner_id


def _row(model: type[Any], **values: Any) -> Any:
    return model(id=uuid4(), version=1, created_at=NOW, updated_at=NOW, **values)


async def _kpis(client: httpx.AsyncClient, partner_id: UUID, **params: str) -> dict[str, Any]:
    response = await client.get(f"/v1/kpis/partners/{partner_id}", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def value(snapshot: dict[str, Any], name: str) -> str | None:
    kpi = snapshot[name]
    return None if kpi["value"] is None else format(Decimal(kpi["value"]).normalize(), "f")


async def test_each_kpi_of_a_quarter_computed_by_hand(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    before = sale("2026-06-10", "100.00", "A")
    partner_id = await _partner(
        sender,
        registry,
        # Q1 2025 (a year before... of Q1 2026, unused) and Q2 2026, the previous quarter: customers A and B
        sale("2026-05-02", "500.00", "B"),
        before,
        # Q3 2025, a year earlier: 400
        sale("2025-08-01", "400.00", "C"),
        # Q3 2026: A again, D new; one return; cost known on two lines
        sale("2026-07-05", "1000.00", "A", cost="600.00"),
        sale("2026-08-20", "300.00", "D", cost="240.00"),
        sale("2026-09-01", "200.00", "D"),
        a_return("2026-09-15", "100.00", "A", original=before["external_id"]),
    )
    db.add(
        _row(
            Target,
            partner_id=partner_id,
            metric="revenue",
            period="2026-Q3",
            period_kind="quarter",
            first_day=date(2026, 7, 1),
            last_day=date(2026, 9, 30),
            amount=Decimal("2800.00"),
            currency="EUR",
        )
    )
    db.add(
        _row(
            AcquisitionSpend,
            partner_id=partner_id,
            period="2026-Q3",
            period_kind="quarter",
            first_day=date(2026, 7, 1),
            last_day=date(2026, 9, 30),
            amount=Decimal("150.00"),
            currency="EUR",
        )
    )
    db.add(PartnerDimension(partner_id=partner_id, region="DACH", market_region="DACH", updated_at=NOW))
    for segment, size in (("smb", "10000.00"), ("enterprise", "30000.00")):
        db.add(
            _row(
                MarketSize,
                region="DACH",
                segment=segment,
                period="2026-Q3",
                period_kind="quarter",
                first_day=date(2026, 7, 1),
                last_day=date(2026, 9, 30),
                amount=Decimal(size),
                currency="EUR",
            )
        )
    for respondent, nps, csat in (("r1", 10, 5), ("r2", 9, 4), ("r3", 7, 3), ("r4", 3, None)):
        db.add(
            SurveyResponse(
                id=uuid4(),
                partner_id=partner_id,
                survey_id="s",
                respondent_id=respondent,
                nps=nps,
                csat=csat,
                responded_on=date(2026, 8, 1),
                created_at=NOW,
            )
        )
    for status, closed in (
        ("won", datetime(2026, 7, 3, tzinfo=UTC)),
        ("won", datetime(2026, 9, 30, 23, tzinfo=UTC)),
        ("lost", datetime(2026, 8, 3, tzinfo=UTC)),
        ("lost", datetime(2026, 10, 1, tzinfo=UTC)),
    ):
        db.add(
            DealRegistrationOutcome(
                deal_registration_id=uuid4(),
                partner_id=partner_id,
                status=status,
                registered_at=NOW,
                closed_at=closed,
                estimated_amount=Decimal(1),
                estimated_currency="EUR",
                as_of=NOW,
            )
        )
    await db.flush()

    snapshot = await _kpis(client, partner_id, period="2026-Q3")

    assert snapshot["currency"] == "EUR"
    assert snapshot["period"] == "2026-Q3"
    assert snapshot["first_day"] == "2026-07-01"
    assert snapshot["last_day"] == "2026-09-30"
    # 1000 + 300 + 200 - 100 = 1400
    assert value(snapshot, "revenue") == "1400"
    assert snapshot["revenue"]["unit"] == "EUR"
    # costed lines: 1000 - 600 + 300 - 240 = 460; margin 460 ÷ 1300; coverage 2 of 4 lines
    assert value(snapshot, "gross_profit") == "460"
    assert value(snapshot, "gross_margin") == "0.353846"
    assert value(snapshot, "cost_coverage") == "0.5"
    # previous quarter Q2: 500 + 100 = 600 → (1400 - 600) ÷ 600; a year earlier 400 → (1400 - 400) ÷ 400
    assert value(snapshot, "growth_previous_period") == "1.333333"
    assert value(snapshot, "growth_year_over_year") == "2.5"
    assert value(snapshot, "target_attainment") == "0.5"  # 1400 ÷ 2800
    assert value(snapshot, "market_share") == "0.035"  # 1400 ÷ (10000 + 30000)
    assert value(snapshot, "new_customers") == "1"  # D (A bought in June)
    assert value(snapshot, "active_customers") == "2"  # A, D
    # Q2 buyers A, B; A bought again → 1 ÷ 2
    assert value(snapshot, "retention_rate") == "0.5"
    assert value(snapshot, "customer_acquisition_cost") == "150"  # 150 ÷ 1
    # (1400 ÷ 2) x (460 ÷ 1300) ÷ (1 - 0.5) = 700 x 0.353846153… x 2 = 495.384615…
    assert value(snapshot, "customer_lifetime_value") == "495.3846"
    # promoters r1 r2, detractor r4, of 4: 100 x (2 - 1) ÷ 4
    assert value(snapshot, "nps") == "25"
    assert value(snapshot, "nps_responses") == "4"
    assert value(snapshot, "csat") == "4"
    assert value(snapshot, "csat_responses") == "3"  # (5 + 4 + 3) ÷ 3
    assert value(snapshot, "csat_satisfied_share") == "0.666667"  # 2 of 3
    # closed in Q3: won twice, lost once (the October loss is outside) → 2 ÷ 3
    assert value(snapshot, "deal_registration_win_rate") == "0.666667"
    assert value(snapshot, "returns_ratio") == "0.066667"  # 100 ÷ 1500
    assert snapshot["last_sale_on"] == "2026-09-01"
    assert snapshot["fx_rates_used"] == []


async def test_kpis_without_their_data_are_null_with_a_reason(
    client: httpx.AsyncClient, sender: Sender, registry: FakeRegistry
) -> None:
    partner_id = await _partner(sender, registry, sale("2026-07-05", "100.00", "A"))

    snapshot = await _kpis(client, partner_id, **{"from": "2026-07-01", "to": "2026-07-15"})

    assert snapshot["period"] is None
    assert value(snapshot, "revenue") == "100"
    reasons = {
        name: snapshot[name]["reason"]
        for name in snapshot
        if isinstance(snapshot[name], dict) and snapshot[name].get("value") is None
    }
    assert reasons == {
        "gross_profit": "no_cost_reported",
        "gross_margin": "no_cost_reported",
        "growth_previous_period": "no_revenue_previous_period",
        "growth_year_over_year": "no_revenue_a_year_before",
        "target_attainment": "no_target",
        "market_share": "no_partner_region",
        "active_customers": "needs_whole_months",
        "retention_rate": "needs_whole_months",
        "customer_acquisition_cost": "no_acquisition_spend",
        "customer_lifetime_value": "needs_whole_months",
        "nps": "no_nps_responses",
        "csat": "no_csat_responses",
        "csat_satisfied_share": "no_csat_responses",
        "deal_registration_win_rate": "no_closed_deal_registrations",
    }
    assert value(snapshot, "nps_responses") == "0"
    assert value(snapshot, "new_customers") == "1"


async def test_other_currencies_are_converted_at_the_period_end_rate_it_names(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    partner_id = await _partner(
        sender,
        registry,
        sale("2026-07-05", "100.00", "A", currency="EUR", cost="60.00"),
        sale("2026-07-06", "200.00", "B", currency="USD"),
    )
    for day, rate in ((date(2026, 7, 1), "0.9"), (date(2026, 7, 31), "0.8"), (date(2026, 8, 1), "0.5")):
        db.add(_row(FxRate, base="USD", quote="EUR", effective_on=day, rate=Decimal(rate)))
    await db.flush()

    snapshot = await _kpis(client, partner_id, period="2026-07", currency="EUR")

    # 100 EUR + 200 USD x 0.8 (the rate in force on 31 July) = 260
    assert value(snapshot, "revenue") == "260"
    assert snapshot["fx_rates_used"] == [
        {"base": "USD", "quote": "EUR", "rate": "0.8000000000", "effective_on": "2026-07-31"}
    ]

    in_usd = await _kpis(client, partner_id, period="2026-07", currency="USD")
    # 100 EUR ÷ 0.8 = 125 USD + 200 USD; the inverse rate named
    assert value(in_usd, "revenue") == "325"
    assert in_usd["fx_rates_used"][0]["base"] == "EUR"
    assert in_usd["fx_rates_used"][0]["effective_on"] == "2026-07-31"

    in_gbp = await _kpis(client, partner_id, period="2026-07", currency="GBP")
    assert in_gbp["revenue"] == {
        "value": None,
        "reason": "fx_rate_missing: EUR→GBP on 2026-07-31",
        "unit": "GBP",
    }
    assert in_gbp["returns_ratio"]["reason"] == "fx_rate_missing: EUR→GBP on 2026-07-31"
    assert value(in_gbp, "new_customers") == "2"  # counts need no rate
    assert value(in_gbp, "cost_coverage") == "0.5"  # 1 line of 2 with a cost: counts too


async def test_the_default_currency_is_the_partners_own(
    client: httpx.AsyncClient, sender: Sender, registry: FakeRegistry
) -> None:
    partner_id = await _partner(sender, registry, sale("2026-07-05", "100.00", "A", currency="USD"))

    snapshot = await _kpis(client, partner_id, period="2026-07")

    assert snapshot["currency"] == "USD"
    assert value(snapshot, "revenue") == "100"


@pytest.mark.parametrize(
    "params",
    [
        {"period": "2026-Q5"},
        {"period": "2026-13"},
        {},
        {"from": "2026-07-01"},
        {"from": "2026-07-10", "to": "2026-07-01"},
        {"period": "2026", "from": "2026-01-01", "to": "2026-01-02"},
        {"period": "2026", "currency": "XXY"},
    ],
)
async def test_a_bad_period_is_a_422(
    client: httpx.AsyncClient, sender: Sender, registry: FakeRegistry, params: dict[str, str]
) -> None:
    partner_id = await _partner(sender, registry, sale("2026-07-05", "100.00", "A"))

    response = await client.get(f"/v1/kpis/partners/{partner_id}", params=params)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "params",
    [
        {"from": "1900-01-01", "to": "1900-03-31"},  # the first days a date may be, as the document says
        {"period": "1900-Q1"},
        {"from": "9998-10-01", "to": "9998-12-31"},
        {"period": "9998"},
    ],
)
async def test_the_first_and_last_years_a_date_may_fall_in_are_reported_on(
    client: httpx.AsyncClient, sender: Sender, registry: FakeRegistry, params: dict[str, str]
) -> None:
    partner_id = await _partner(sender, registry, sale("2026-07-05", "100.00", "A"))

    snapshot = await _kpis(client, partner_id, **params)

    assert value(snapshot, "revenue") == "0"
    assert snapshot["growth_year_over_year"]["reason"] == "no_revenue_a_year_before"


async def test_an_unknown_partner_is_a_404_and_another_partners_kpis_too(
    client: httpx.AsyncClient, sender: Sender, registry: FakeRegistry
) -> None:
    partner_id = await _partner(sender, registry, sale("2026-07-05", "100.00", "A"))
    unknown = await client.get(f"/v1/kpis/partners/{uuid4()}", params={"period": "2026"})
    assert unknown.status_code == 404

    other = Principal(subject="key:p", scopes=frozenset({"analytics:read"}), partner_id=uuid4())
    hidden = await client.get(
        f"/v1/kpis/partners/{partner_id}", params={"period": "2026"}, headers=internal_headers(other)
    )
    assert hidden.status_code == 404
    own = Principal(subject="key:o", scopes=frozenset({"analytics:read"}), partner_id=partner_id)
    seen = await client.get(
        f"/v1/kpis/partners/{partner_id}", params={"period": "2026"}, headers=internal_headers(own)
    )
    assert seen.status_code == 200


async def test_the_internal_endpoint_answers_the_client_contract(
    client: httpx.AsyncClient, sender: Sender, registry: FakeRegistry
) -> None:
    from prm_contracts.clients.analytics import AnalyticsClient
    from prm_kit.testing import ADMIN

    partner_id = await _partner(sender, registry, sale("2026-07-05", "100.00", "A"))
    service_caller = Principal(subject="service:scoring", scopes=frozenset({"internal"}))
    client.headers.update(internal_headers(service_caller))
    snapshot = await AnalyticsClient(client).kpi_snapshot(
        partner_id, first_day=date(2026, 7, 1), last_day=date(2026, 7, 31)
    )
    client.headers.update(internal_headers(ADMIN))

    assert snapshot.revenue.value == Decimal("100.0000")
    assert snapshot.period is None


async def test_an_ingestion_emits_one_kpi_updated_per_month_touched(
    db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    partner_id = await _partner(
        sender,
        registry,
        sale("2026-07-05", "100.00", "A"),
        sale("2026-07-06", "100.00", "B"),
        sale("2026-08-01", "100.00", "A"),
    )

    events = await events_of(db, "kpi.updated")

    assert sorted(
        event["data"]["months"][0] for event in events if event["data"]["partner_id"] == str(partner_id)
    ) == [
        "2026-07",
        "2026-08",
    ]


async def test_a_rate_used_on_several_days_is_named_once(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    partner_id = await _partner(
        sender,
        registry,
        sale("2026-06-10", "100.00", "A", currency="USD"),
        sale("2026-07-10", "200.00", "A", currency="USD"),
    )
    db.add(_row(FxRate, base="USD", quote="EUR", effective_on=date(2026, 6, 1), rate=Decimal("0.5")))
    await db.flush()

    snapshot = await _kpis(client, partner_id, period="2026-07", currency="EUR")

    # July 200 x 0.5 = 100 against June 100 x 0.5 = 50: growth 1; the June rate converted both months
    # (on 31 July and on 30 June), and is one rate
    assert (value(snapshot, "revenue"), value(snapshot, "growth_previous_period")) == ("100", "1")
    assert snapshot["fx_rates_used"] == [
        {"base": "USD", "quote": "EUR", "rate": "0.5000000000", "effective_on": "2026-06-01"}
    ]
