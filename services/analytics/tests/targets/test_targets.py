"""Targets per partner, metric and period: PUT by natural key, one currency per partner, access."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from prm_contracts.clients import AnalyticsClient
from sqlalchemy.ext.asyncio import AsyncSession

from ..partners.callers import ANALYST, OUTSIDER, SERVICE, partner_key, problem_type, signed_as, stored_counts
from ..sales.fakes import FakeRegistry

pytestmark = pytest.mark.asyncio


def target(amount: str = "250000.00", currency: str = "EUR") -> dict[str, Any]:
    return {"target": {"amount": amount, "currency": currency}}


def path(partner_id: uuid.UUID, period: str = "2026-Q3", metric: str = "revenue") -> str:
    return f"/v1/targets/{partner_id}/{metric}/{period}"


async def test_put_creates_then_repeats_harmlessly_then_replaces_with_if_match(
    registry: FakeRegistry,
    client: httpx.AsyncClient,
) -> None:
    partner = registry.partner_without_secrets()

    created = await client.put(path(partner, "2026-q3"), json=target())
    repeated = await client.put(path(partner), json=target("250000.0000"))
    without_if_match = await client.put(path(partner), json=target("300000.00"))
    stale = await client.put(path(partner), json=target("300000.00"), headers={"If-Match": '"7"'})
    replaced = await client.put(path(partner), json=target("300000.00"), headers={"If-Match": '"1"'})
    read = await client.get(path(partner))

    assert created.status_code == 201, created.text
    assert created.headers["Location"] == path(partner)
    body = created.json()
    assert (body["period"], body["period_kind"], body["first_day"], body["last_day"]) == (
        "2026-Q3",
        "quarter",
        "2026-07-01",
        "2026-09-30",
    )
    assert (repeated.status_code, repeated.json()["version"]) == (200, 1)
    assert without_if_match.status_code == 428
    assert stale.status_code == 412
    assert (replaced.status_code, replaced.headers["ETag"]) == (200, '"2"')
    assert read.json()["target"] == {"amount": "300000.0000", "currency": "EUR"}


async def test_if_match_on_a_target_that_does_not_exist_fails(
    registry: FakeRegistry, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    before = await stored_counts(db)

    response = await client.put(
        path(registry.partner_without_secrets()), json=target(), headers={"If-Match": '"1"'}
    )

    assert response.status_code == 412
    assert await stored_counts(db) == before


@pytest.mark.parametrize("period", ["2026-Q5", "2026-7", "26", "2026-07-01", "next-year"])
async def test_a_period_that_does_not_parse_is_422_and_nothing_is_stored(
    registry: FakeRegistry, client: httpx.AsyncClient, db: AsyncSession, period: str
) -> None:
    before = await stored_counts(db)

    response = await client.put(path(registry.partner_without_secrets(), period), json=target())

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["path", "period"]
    assert await stored_counts(db) == before


@pytest.mark.parametrize(
    "body",
    [
        {"target": {"amount": 250000, "currency": "EUR"}},
        {"target": {"amount": "-1.00", "currency": "EUR"}},
        {"target": {"amount": "1.00", "currency": "EURO"}},
        {"target": {"amount": "1.00"}},
        {},
    ],
)
async def test_a_bad_amount_is_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await client.put(path(uuid.uuid4()), json=body)

    assert response.status_code == 422


async def test_a_target_in_another_currency_than_the_partners_others_is_refused(
    registry: FakeRegistry, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = registry.partner_without_secrets()
    await client.put(path(partner, "2026"), json=target("1000000.00", "EUR"))
    before = await stored_counts(db)

    other_period = await client.put(path(partner, "2026-Q1"), json=target("250000.00", "USD"))
    other_partner = await client.put(
        path(registry.partner_without_secrets(), "2026-Q1"), json=target("250000.00", "USD")
    )
    replacing_the_only_one = await client.put(
        path(partner, "2026"), json=target("1100000.00", "USD"), headers={"If-Match": '"1"'}
    )

    assert other_period.status_code == 409
    assert problem_type(other_period) == "target-currency-mismatch"
    assert other_period.json()["currency"] == "EUR"
    assert other_partner.status_code == 201
    # the partner's only target may change currency: no other target disagrees with it
    assert replacing_the_only_one.status_code == 200
    assert (await stored_counts(db))["target"] == before["target"] + 1


async def test_the_list_filters_by_partner_metric_and_period(
    registry: FakeRegistry, client: httpx.AsyncClient
) -> None:
    partner, other = registry.partner_without_secrets(), registry.partner_without_secrets()
    await client.put(path(partner, "2026-Q3"), json=target())
    await client.put(path(partner, "2026-Q4"), json=target())
    await client.put(path(partner, "2026-Q4", "gross_profit"), json=target("50000.00"))
    await client.put(path(other, "2026-Q3"), json=target())

    mine = await client.get("/v1/targets", params={"partner_id": str(partner)})
    q4_revenue = await client.get(
        "/v1/targets", params={"partner_id": str(partner), "period": "2026-q4", "metric": "revenue"}
    )
    bad_period = await client.get("/v1/targets", params={"period": "Q4"})

    assert len(mine.json()["items"]) == 3
    assert [(t["metric"], t["period"]) for t in q4_revenue.json()["items"]] == [("revenue", "2026-Q4")]
    assert bad_period.status_code == 422


async def test_a_partner_reads_only_its_own_targets_and_sets_none(
    registry: FakeRegistry, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner, other = registry.partner_without_secrets(), registry.partner_without_secrets()
    await client.put(path(partner), json=target())
    await client.put(path(other), json=target())
    key = signed_as(partner_key(partner))
    before = await stored_counts(db)

    own = await client.get(path(partner), headers=key)
    others = await client.get(path(other), headers=key)
    listed = await client.get("/v1/targets", headers=key)
    listed_other = await client.get("/v1/targets", params={"partner_id": str(other)}, headers=key)
    written = await client.put(path(partner, "2026-Q4"), json=target(), headers=key)

    assert own.status_code == 200
    assert others.status_code == 404
    assert [t["partner_id"] for t in listed.json()["items"]] == [str(partner)]
    assert listed_other.status_code == 404
    assert written.status_code == 403
    assert await stored_counts(db) == before


async def test_scopes(client: httpx.AsyncClient) -> None:
    partner = uuid.uuid4()

    by_analyst = await client.put(path(partner), json=target(), headers=signed_as(ANALYST))
    read_by_analyst = await client.get("/v1/targets", headers=signed_as(ANALYST))
    by_outsider = await client.get("/v1/targets", headers=signed_as(OUTSIDER))

    assert (by_analyst.status_code, read_by_analyst.status_code, by_outsider.status_code) == (403, 200, 403)


async def test_other_services_read_a_partners_targets_internally(
    registry: FakeRegistry, client: httpx.AsyncClient
) -> None:
    partner = registry.partner_without_secrets()
    await client.put(path(partner, "2026"), json=target("1000000.00"))
    await client.put(path(partner, "2026-Q3"), json=target())

    all_of_them = await client.get(f"/internal/partners/{partner}/targets", headers=signed_as(SERVICE))
    one_period = await client.get(
        f"/internal/partners/{partner}/targets", params={"period": "2026-Q3"}, headers=signed_as(SERVICE)
    )
    by_analyst = await client.get(f"/internal/partners/{partner}/targets", headers=signed_as(ANALYST))

    assert [t["period"] for t in all_of_them.json()] == ["2026", "2026-Q3"]
    assert [t["period"] for t in one_period.json()] == ["2026-Q3"]
    assert by_analyst.status_code == 403


async def test_other_services_read_every_partners_targets_of_a_period_in_one_call(
    registry: FakeRegistry,
    client: httpx.AsyncClient,
) -> None:
    first, second, elsewhere = (
        registry.partner_without_secrets(),
        registry.partner_without_secrets(),
        registry.partner_without_secrets(),
    )
    await client.put(path(first, "2026-Q3"), json=target("100.00"))
    await client.put(path(second, "2026-Q3"), json=target("200.00"))
    await client.put(path(second, "2026-Q3", "gross_profit"), json=target("5.00"))
    await client.put(path(second, "2026-Q4"), json=target("300.00"))
    await client.put(path(elsewhere, "2026"), json=target("400.00"))

    quarter = await client.get("/internal/targets", params={"period": "2026-q3"}, headers=signed_as(SERVICE))
    revenue = await client.get(
        "/internal/targets", params={"period": "2026-Q3", "metric": "revenue"}, headers=signed_as(SERVICE)
    )
    bad_period = await client.get("/internal/targets", params={"period": "Q3"}, headers=signed_as(SERVICE))
    no_period = await client.get("/internal/targets", headers=signed_as(SERVICE))
    by_analyst = await client.get(
        "/internal/targets", params={"period": "2026-Q3"}, headers=signed_as(ANALYST)
    )

    ours = {first, second}  # other tests' targets are rolled back, but keep to this test's partners
    seen = [(t["partner_id"], t["metric"], Decimal(t["target"]["amount"])) for t in quarter.json()]
    assert sorted(s for s in seen if uuid.UUID(s[0]) in ours) == sorted(
        [
            (str(first), "revenue", Decimal(100)),
            (str(second), "revenue", Decimal(200)),
            (str(second), "gross_profit", Decimal(5)),
        ]
    )
    assert {t["period"] for t in quarter.json()} == {"2026-Q3"}
    assert {(t["partner_id"], t["metric"]) for t in revenue.json()} >= {
        (str(first), "revenue"),
        (str(second), "revenue"),
    }
    assert {t["metric"] for t in revenue.json()} == {"revenue"}
    assert bad_period.status_code == 422
    assert "period" in bad_period.json()["detail"]
    assert (no_period.status_code, by_analyst.status_code) == (422, 403)


async def test_the_typed_client_reads_a_periods_targets_of_every_partner(
    registry: FakeRegistry, client: httpx.AsyncClient
) -> None:
    first, second = registry.partner_without_secrets(), registry.partner_without_secrets()
    await client.put(path(first, "2026-Q3"), json=target("100.00"))
    await client.put(path(second, "2026-Q3"), json=target("200.00", "USD"))
    await client.put(path(second, "2026-Q4"), json=target("300.00", "USD"))

    found = await AnalyticsClient(client).targets_for_period("2026-Q3")

    ours = [t for t in found if t.partner_id in {first, second}]
    assert sorted((str(t.partner_id), t.target.amount, t.target.currency) for t in ours) == sorted(
        [(str(first), Decimal(100), "EUR"), (str(second), Decimal(200), "USD")]
    )
    assert {t.period for t in found} == {"2026-Q3"}
