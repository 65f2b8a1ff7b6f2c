"""`POST /internal/events`: the publishers' events reach the replica; unknown types are acknowledged and
ignored; an event breaking its contract refuses the batch, which stores nothing; only the internal
credential may post."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx
import pytest
import sqlalchemy as sa
from incentives.config import Settings
from incentives.replica.models import PartnerProfile, PartnerTierPeriod, SalesLine
from prm_contracts.principal import Principal
from prm_kit.testing import internal_headers
from sqlalchemy.ext.asyncio import AsyncSession

from .replica.factories import T0, deliver, event, line, partner_created, sales_recorded, tier_changed

pytestmark = pytest.mark.asyncio


async def count(db: AsyncSession, model: type, partner_id: uuid.UUID) -> int:
    total = await db.scalar(
        sa.select(sa.func.count()).select_from(model).where(model.partner_id == partner_id)
    )
    return int(total or 0)


async def test_one_batch_of_both_publishers_is_applied(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = uuid.uuid4()

    response = await deliver(
        client,
        partner_created(partner),
        tier_changed(partner, "gold", date(2026, 7, 1), T0),
        sales_recorded(partner, line(partner, "INV-1"), line(partner, "INV-2")),
        event("partner.contact_added", {"anything": True}),  # not ours: acknowledged, ignored
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 4, "duplicates": 0}
    assert [await count(db, model, partner) for model in (PartnerProfile, PartnerTierPeriod, SalesLine)] == [
        1,
        1,
        2,
    ]


async def test_an_event_breaking_its_contract_refuses_the_batch_and_stores_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = uuid.uuid4()
    broken = line(partner, "INV-2")
    broken["amount"] = 12.5  # a float where a decimal string is due

    response = await deliver(
        client,
        sales_recorded(partner, line(partner, "INV-1")),
        sales_recorded(partner, broken, at=T0 + timedelta(minutes=1)),
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert "sales.recorded" in body["detail"]
    assert "does not match its contract" in body["detail"]
    assert await count(db, SalesLine, partner) == 0
    # nothing stored, not even the inbox entry: the relay's retry (or a replay) is applied afresh
    retried = await deliver(client, sales_recorded(partner, line(partner, "INV-1")))
    assert retried.json() == {"accepted": 1, "duplicates": 0}


@pytest.mark.parametrize(
    "principal",
    [
        Principal(subject="user:cm", scopes=frozenset({"incentives:read", "incentives:write"})),
        Principal(subject="key:partner", scopes=frozenset({"incentives:write"}), partner_id=uuid.uuid4()),
    ],
    ids=["channel-manager", "partner-key"],
)
async def test_only_the_internal_credential_posts_events(
    client: httpx.AsyncClient, db: AsyncSession, principal: Principal
) -> None:
    partner = uuid.uuid4()

    response = await client.post(
        "/internal/events",
        json={"events": [sales_recorded(partner, line(partner, "INV-1"))]},
        headers=internal_headers(principal),
    )

    assert response.status_code == 403
    assert await count(db, SalesLine, partner) == 0


async def test_prm_up_subscribes_incentives_to_the_registry_and_analytics() -> None:
    assert Settings.subscribes_to == ("registry", "analytics")
