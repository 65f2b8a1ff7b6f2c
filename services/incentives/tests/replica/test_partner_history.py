"""Partner profiles, status and tier histories and deal-registration states kept from the registry's events,
in whatever order they arrive."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from incentives.replica import repository
from incentives.replica.models import (
    DealRegistrationState,
    PartnerProfile,
    PartnerStatusPeriod,
    PartnerTierPeriod,
)
from sqlalchemy.ext.asyncio import AsyncSession

from .factories import (
    T0,
    deal_event,
    deliver,
    partner_created,
    partner_updated,
    status_changed,
    tier_changed,
)

pytestmark = pytest.mark.asyncio


async def profile(db: AsyncSession, partner_id: uuid.UUID) -> sa.Row[Any]:
    row = (
        await db.execute(sa.select(PartnerProfile.__table__).where(PartnerProfile.partner_id == partner_id))
    ).one()
    return row


async def statuses(db: AsyncSession, partner_id: uuid.UUID) -> list[tuple[datetime, str]]:
    rows = await db.execute(
        sa.select(PartnerStatusPeriod.valid_from, PartnerStatusPeriod.status)
        .where(PartnerStatusPeriod.partner_id == partner_id)
        .order_by(PartnerStatusPeriod.valid_from)
    )
    return [(row.valid_from, row.status) for row in rows]


async def tiers(db: AsyncSession, partner_id: uuid.UUID) -> list[tuple[date, str]]:
    rows = await db.execute(
        sa.select(PartnerTierPeriod.valid_from, PartnerTierPeriod.tier)
        .where(PartnerTierPeriod.partner_id == partner_id)
        .order_by(PartnerTierPeriod.valid_from)
    )
    return [(row.valid_from, row.tier) for row in rows]


async def test_a_created_partner_gets_its_profile_and_initial_status(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = uuid.uuid4()

    response = await deliver(
        client, partner_created(partner, status="onboarding", partner_type="distributor")
    )

    assert response.json() == {"accepted": 1, "duplicates": 0}
    row = await profile(db, partner)
    assert (row.partner_type, row.country, row.region, row.as_of) == ("distributor", "DE", "DACH", T0)
    assert await statuses(db, partner) == [(T0, "onboarding")]


async def test_an_older_partner_event_arriving_late_never_overwrites_the_profile(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = uuid.uuid4()
    activated_at = T0 + timedelta(days=3)
    suspended_at = T0 + timedelta(days=40)
    renamed = partner_updated(
        partner, T0 + timedelta(days=10), region="Nordics", country="SE", status_changed_at=activated_at
    )

    # newest first, oldest last
    await deliver(client, status_changed(partner, "active", "suspended", suspended_at))
    await deliver(client, renamed)
    await deliver(client, status_changed(partner, "onboarding", "active", activated_at))
    await deliver(client, partner_created(partner, status="onboarding"))

    row = await profile(db, partner)
    # the status event of day 40 carries the record as it then was (the factory's DE/DACH): it is the newest
    assert (row.country, row.region, row.as_of) == ("DE", "DACH", suspended_at)
    assert await statuses(db, partner) == [
        (T0, "onboarding"),
        (activated_at, "active"),
        (suspended_at, "suspended"),
    ]
    assert await repository.statuses_at(db, activated_at - timedelta(microseconds=1), [partner]) == {
        partner: "onboarding"
    }
    assert await repository.statuses_at(db, activated_at, [partner]) == {partner: "active"}
    assert await repository.statuses_at(db, suspended_at + timedelta(days=1), [partner]) == {
        partner: "suspended"
    }


async def test_a_newer_update_wins_whatever_the_order(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = uuid.uuid4()
    await deliver(client, partner_updated(partner, T0 + timedelta(hours=2), region="Nordics"))
    await deliver(client, partner_updated(partner, T0 + timedelta(hours=1), region="Benelux"))

    assert (await profile(db, partner)).region == "Nordics"


async def test_a_region_is_kept_as_the_registry_wrote_it_with_the_key_eligibility_compares(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = uuid.uuid4()
    await deliver(client, partner_created(partner, region="UK &  Ireland"))
    await deliver(client, partner_updated(partner, T0 + timedelta(hours=1), region="Uk & IRELAND"))

    row = await profile(db, partner)
    assert (row.region, row.region_key) == ("Uk & IRELAND", "uk & ireland")


async def test_tier_changes_are_kept_by_effective_day_including_back_dated_ones(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = uuid.uuid4()
    await deliver(client, tier_changed(partner, "silver", date(2026, 1, 1), T0))
    await deliver(client, tier_changed(partner, "gold", date(2026, 7, 1), T0 + timedelta(days=1)))
    # decided in August, effective from April: a retroactive change the runs find as a delta
    back_dated = tier_changed(partner, "platinum", date(2026, 4, 1), T0 + timedelta(days=40))
    await deliver(client, back_dated)
    again = await deliver(client, back_dated)

    assert again.json() == {"accepted": 0, "duplicates": 1}
    assert await tiers(db, partner) == [
        (date(2026, 1, 1), "silver"),
        (date(2026, 4, 1), "platinum"),
        (date(2026, 7, 1), "gold"),
    ]
    assert await repository.tiers_on(db, date(2026, 3, 31), [partner]) == {partner: "silver"}
    assert await repository.tiers_on(db, date(2026, 4, 1), [partner]) == {partner: "platinum"}
    assert await repository.tiers_on(db, date(2026, 8, 1), [partner]) == {partner: "gold"}
    assert await repository.tiers_on(db, date(2025, 12, 31), [partner]) == {}


async def test_a_same_day_correction_replaces_the_tier_only_if_decided_later(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = uuid.uuid4()
    day = date(2026, 7, 1)
    correction = tier_changed(partner, "gold", day, T0 + timedelta(hours=3))
    mistake = tier_changed(partner, "silver", day, T0 + timedelta(hours=1))

    await deliver(client, correction)
    await deliver(client, mistake)  # the earlier decision, delivered late
    assert await tiers(db, partner) == [(day, "gold")]

    await deliver(client, tier_changed(partner, "platinum", day, T0 + timedelta(hours=5)))
    assert await tiers(db, partner) == [(day, "platinum")]


async def test_a_deal_registration_follows_its_newest_event_and_keeps_its_approval_day(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner, deal = uuid.uuid4(), uuid.uuid4()
    # its approval day is the UTC day of the decision
    approved_at = datetime(2026, 7, 1, 21, 30, tzinfo=UTC)
    won_at = approved_at + timedelta(days=30)
    approved = deal_event("approved", deal, partner, "approved", approved_at, decided_at=approved_at)
    won = deal_event("won", deal, partner, "won", won_at, decided_at=approved_at)

    await deliver(client, won)
    await deliver(client, approved)  # older, delivered late

    row = (
        await db.execute(sa.select(DealRegistrationState.__table__).where(DealRegistrationState.id == deal))
    ).one()
    assert (row.partner_id, row.status, row.approved_on, row.as_of) == (
        partner,
        "won",
        date(2026, 7, 1),
        won_at,
    )


async def test_a_rejected_registration_has_no_approval_day(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner, deal = uuid.uuid4(), uuid.uuid4()

    await deliver(client, deal_event("rejected", deal, partner, "rejected", T0, decided_at=T0))

    row = (
        await db.execute(sa.select(DealRegistrationState.__table__).where(DealRegistrationState.id == deal))
    ).one()
    assert (row.status, row.approved_on) == ("rejected", None)
