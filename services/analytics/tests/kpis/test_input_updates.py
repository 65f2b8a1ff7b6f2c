"""Every write that changes a KPI input announces `kpi.updated` in its own transaction, so scoring's stored
scores (recomputed on that event) follow a new target, spend, market size, survey answer or deal outcome —
not only new sales. A write that changes nothing announces nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ..partners.test_replica_events import T0, deal_event, deliver, event, partner_record
from ..sales.factories import events_of
from ..sales.fakes import FakeRegistry

pytestmark = pytest.mark.asyncio
Q3 = ["2026-07", "2026-08", "2026-09"]


async def announced(db: AsyncSession) -> list[tuple[str, list[str]]]:
    """The (partner, months) of every `kpi.updated` in the outbox, sorted."""
    return sorted((e["data"]["partner_id"], e["data"]["months"]) for e in await events_of(db, "kpi.updated"))


async def put(client: httpx.AsyncClient, url: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    response = await client.put(url, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response


async def test_a_target_announces_every_month_of_its_period_once_per_change(
    registry: FakeRegistry, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = registry.partner_without_secrets()
    url = f"/v1/targets/{partner}/revenue/2026-Q3"

    await put(client, url, {"target": {"amount": "90000.00", "currency": "EUR"}})
    await put(client, url, {"target": {"amount": "90000.00", "currency": "EUR"}})  # unchanged: nothing
    await put(client, url, {"target": {"amount": "95000.00", "currency": "EUR"}}, **{"If-Match": '"1"'})

    assert await announced(db) == [(str(partner), Q3), (str(partner), Q3)]


async def test_acquisition_spend_announces_its_month(
    registry: FakeRegistry, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = registry.partner_without_secrets()

    await put(
        client, f"/v1/acquisition-spend/{partner}/2026-07", {"spend": {"amount": "5000", "currency": "EUR"}}
    )

    assert await announced(db) == [(str(partner), ["2026-07"])]


async def test_a_market_size_announces_every_partner_placed_in_its_region(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    # market share reads the replica's region, else its country (matched without case): a size for
    # DACH moves the first partner's, one for DE the second's; the third is placed in the Nordics
    dach, by_country, elsewhere = sorted(uuid.uuid4() for _ in range(3))
    records = [
        partner_record(dach, region="dach"),
        partner_record(by_country, region=None, country="DE"),
        partner_record(elsewhere, region="Nordics", country="DE"),
    ]
    for record in records:
        assert (await deliver(client, event("partner.created", {"partner": record}, T0))).status_code == 200

    await put(
        client,
        "/v1/market/sizes/DACH/mid%20market/2026-Q3",
        {"size": {"amount": "1000000.00", "currency": "EUR"}},
    )
    await put(client, "/v1/market/sizes/DE/smb/2026-Q3", {"size": {"amount": "100000.00", "currency": "EUR"}})

    assert await announced(db) == sorted([(str(dach), Q3), (str(by_country), Q3)])


async def test_survey_answers_announce_each_partner_and_month_they_fall_in(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    one, other = registry.partner_without_secrets(), registry.partner_without_secrets()

    def answer(partner: uuid.UUID, respondent: str, day: str) -> dict[str, Any]:
        return {
            "partner_id": str(partner),
            "survey_id": "nps-2026",
            "respondent_id": respondent,
            "nps": 9,
            "csat": 4,
            "responded_on": day,
        }

    batch = [
        answer(one, "r-1", "2026-07-02"),
        answer(one, "r-2", "2026-07-30"),
        answer(one, "r-3", "2026-08-01"),
    ]
    batch.append(answer(other, "r-1", "2026-07-15"))
    for _ in range(2):  # the retry stores nothing new, so announces nothing
        response = await client.post("/v1/surveys/responses", json={"responses": batch})
        assert response.status_code == 200, response.text

    assert await announced(db) == sorted(
        [(str(one), ["2026-07"]), (str(one), ["2026-08"]), (str(other), ["2026-07"])]
    )


async def test_a_closed_deal_registration_announces_the_month_it_closed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner, deal = uuid.uuid4(), uuid.uuid4()
    won_at = T0 + timedelta(days=40)  # 2026-08-10: the win rate of August (and its quarter, year) moves

    await deliver(client, deal_event("approved", deal, partner, "approved", T0))  # not closed: no KPI moves
    await deliver(client, deal_event("won", deal, partner, "won", won_at))
    await deliver(client, deal_event("won", deal, partner, "won", won_at))  # redelivered: nothing changes

    assert await announced(db) == [(str(partner), ["2026-08"])]
