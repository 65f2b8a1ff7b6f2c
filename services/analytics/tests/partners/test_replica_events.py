"""The partner replica kept from the registry's events: applied by occurred_at whatever the delivery order,
redeliveries counted once, unknown types acknowledged, the webhook-secret cache told to forget."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from analytics.partners import repository
from analytics.partners.models import DealRegistrationOutcome, PartnerDimension, PartnerStatusPeriod
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from .callers import SERVICE, signed_as, stored_counts

pytestmark = pytest.mark.asyncio
T0 = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def partner_record(
    partner_id: uuid.UUID, *, status: str = "active", tier: str | None = None, **fields: Any
) -> dict[str, Any]:
    record = {
        "id": str(partner_id),
        "legal_name": "Acme Networks GmbH",
        "display_name": "Acme Networks",
        "partner_type": "reseller",
        "status": status,
        "status_changed_at": T0.isoformat(),
        "status_reason": None,
        "tier": tier,
        "country": "DE",
        "region": "DACH",
        "registration_number": None,
        "website_domain": "acme.example",
        "year_founded": None,
        "employee_count": None,
        "annual_revenue": None,
        "specialisations": {"product_lines": [], "industries": []},
        "segments_served": [],
        "custom_attributes": {},
        "version": 1,
        "created_at": T0.isoformat(),
        "updated_at": T0.isoformat(),
    }
    return record | fields


def event(
    type_: str, data: dict[str, Any], at: datetime, event_id: uuid.UUID | None = None
) -> dict[str, Any]:
    return {
        "id": str(event_id or uuid.uuid4()),
        "type": type_,
        "occurred_at": at.isoformat(),
        "source": "partner-registry",
        "data": data,
    }


def tier_changed(partner_id: uuid.UUID, to_tier: str, effective_on: date, at: datetime) -> dict[str, Any]:
    return event(
        "partner.tier_changed",
        {
            "partner_id": str(partner_id),
            "tier_change_id": str(uuid.uuid4()),
            "from_tier": None,
            "to_tier": to_tier,
            "effective_on": effective_on.isoformat(),
            "reason": "Annual review",
            "source": "manual",
            "recommendation_id": None,
            "changed_at": at.isoformat(),
        },
        at,
    )


def deal_event(
    kind: str, deal_id: uuid.UUID, partner_id: uuid.UUID, status: str, at: datetime, **extra: Any
) -> dict[str, Any]:
    registration = {
        "id": str(deal_id),
        "partner_id": str(partner_id),
        "customer_name": "Globex",
        "customer_domain": "globex.example",
        "country": "DE",
        "region": None,
        "customer_segment": None,
        "products": ["firewall"],
        "estimated_value": {"amount": "50000.00", "currency": "EUR"},
        "expected_close_on": "2026-09-30",
        "notes": None,
        "status": status,
        "has_conflicts": False,
        "conflicts": [],
        "submitted_by": "key:p",
        "decided_by": "system:auto",
        "decided_at": T0.isoformat(),
        "decision_reason": "ok",
        "protected_until": (T0 + timedelta(days=90)).isoformat(),
        "extension_used": False,
        "final_amount": {"amount": "48000.00", "currency": "EUR"} if status == "won" else None,
        "lost_reason": None,
        "closed_at": at.isoformat() if status in {"won", "lost"} else None,
        "expired_at": None,
        "version": 1,
        "created_at": T0.isoformat(),
        "updated_at": at.isoformat(),
    }
    data = {
        "deal_registration_id": str(deal_id),
        "partner_id": str(partner_id),
        "from_status": None,
        "to_status": status,
        "actor": "system:auto",
        "occurred_at": at.isoformat(),
        "registration": registration,
    } | extra
    return event(f"deal_registration.{kind}", data, at)


async def deliver(client: httpx.AsyncClient, *events: dict[str, Any]) -> httpx.Response:
    return await client.post("/internal/events", json={"events": list(events)}, headers=signed_as(SERVICE))


async def dimension(db: AsyncSession, partner_id: uuid.UUID) -> PartnerDimension:
    row = await db.scalar(
        sa.select(PartnerDimension)
        .where(PartnerDimension.partner_id == partner_id)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def test_a_created_partner_is_replicated(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = uuid.uuid4()

    response = await deliver(
        client, event("partner.created", {"partner": partner_record(partner, status="prospect")}, T0)
    )

    assert response.json() == {"accepted": 1, "duplicates": 0}
    row = await dimension(db, partner)
    assert (row.name, row.partner_type, row.country, row.region, row.status, row.tier) == (
        "Acme Networks",
        "reseller",
        "DE",
        "DACH",
        "prospect",
        None,
    )


async def test_an_older_event_delivered_late_never_overwrites_newer_state(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = uuid.uuid4()
    newer = event(
        "partner.updated",
        {
            "partner": partner_record(
                partner,
                display_name="Acme Renamed",
                region="Nordics",
                status_changed_at=(T0 + timedelta(hours=1)).isoformat(),
            ),
            "changes": [],
        },
        T0 + timedelta(hours=2),
    )
    older = event("partner.created", {"partner": partner_record(partner, status="prospect")}, T0)
    suspended_at = T0 + timedelta(hours=3)
    status = event(
        "partner.status_changed",
        {
            "partner_id": str(partner),
            "from_status": "active",
            "to_status": "suspended",
            "reason": "audit",
            "changed_at": suspended_at.isoformat(),
            "partner": partner_record(
                partner,
                status="suspended",
                status_changed_at=suspended_at.isoformat(),
                display_name="Acme Renamed",
                region="Nordics",
            ),
        },
        suspended_at,
    )

    await deliver(client, newer)
    await deliver(client, status)
    await deliver(client, older)

    row = await dimension(db, partner)
    assert (row.name, row.region, row.status) == ("Acme Renamed", "Nordics", "suspended")
    history = await db.scalars(
        sa.select(PartnerStatusPeriod.status)
        .where(PartnerStatusPeriod.partner_id == partner)
        .order_by(PartnerStatusPeriod.valid_from)
    )
    # every status the events told of, in the order they held, whatever the order they came in
    assert list(history) == ["prospect", "active", "suspended"]
    assert await repository.status_at(db, partner, T0 + timedelta(minutes=59)) == "prospect"
    assert await repository.status_at(db, partner, suspended_at - timedelta(seconds=1)) == "active"
    assert await repository.status_at(db, partner, suspended_at) == "suspended"


async def test_a_redelivered_event_is_counted_once(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = uuid.uuid4()
    created = event("partner.created", {"partner": partner_record(partner)}, T0)
    tiered = tier_changed(partner, "gold", date(2026, 7, 1), T0 + timedelta(hours=1))

    first = await deliver(client, created, tiered)
    counts = await stored_counts(db)
    again = await deliver(client, created, tiered)

    assert first.json() == {"accepted": 2, "duplicates": 0}
    assert again.json() == {"accepted": 0, "duplicates": 2}
    assert await stored_counts(db) == counts


async def test_tier_history_answers_the_tier_on_a_day_and_a_late_tier_change_does_not_win(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = uuid.uuid4()
    gold = tier_changed(partner, "gold", date(2026, 7, 1), T0)
    platinum = tier_changed(partner, "platinum", date(2026, 10, 1), T0 + timedelta(days=92))

    # the tier change arrives before the partner itself, and the later change before the earlier one
    await deliver(client, platinum)
    await deliver(client, gold)
    await deliver(
        client,
        event("partner.created", {"partner": partner_record(partner, tier=None)}, T0 - timedelta(days=1)),
    )

    row = await dimension(db, partner)
    assert (row.tier, row.name) == ("platinum", "Acme Networks")
    assert await repository.tier_on(db, partner, date(2026, 6, 30)) is None
    assert await repository.tier_on(db, partner, date(2026, 7, 1)) == "gold"
    assert await repository.tier_on(db, partner, date(2026, 9, 30)) == "gold"
    assert await repository.tier_on(db, partner, date(2026, 10, 1)) == "platinum"


async def test_deal_registration_outcomes_follow_the_latest_event(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner, deal = uuid.uuid4(), uuid.uuid4()
    approved = deal_event(
        "approved",
        deal,
        partner,
        "approved",
        T0,
        automatic=True,
        protected_until=(T0 + timedelta(days=90)).isoformat(),
    )
    won_at = T0 + timedelta(days=30)
    won = deal_event(
        "won", deal, partner, "won", won_at, final_amount={"amount": "48000.00", "currency": "EUR"}
    )

    await deliver(client, won)
    await deliver(client, approved)

    row = await db.scalar(
        sa.select(DealRegistrationOutcome).where(DealRegistrationOutcome.deal_registration_id == deal)
    )
    assert row is not None
    assert (row.status, row.approved_at, row.closed_at, str(row.final_amount), row.final_currency) == (
        "won",
        T0,
        won_at,
        "48000.0000",
        "EUR",
    )


async def test_unknown_types_are_acknowledged_and_a_broken_known_event_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    before = await stored_counts(db)

    unknown = await deliver(client, event("partner.something_new", {"anything": 1}, T0))
    broken = await deliver(client, event("partner.created", {"partner": {"id": "nope"}}, T0))

    assert unknown.json() == {"accepted": 1, "duplicates": 0}
    assert broken.status_code == 422
    assert "does not match its contract" in broken.json()["detail"]
    assert await stored_counts(db) == before


async def test_a_changed_webhook_secret_makes_the_cache_forget_the_partner(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    forgotten: list[uuid.UUID] = []

    class Cache:
        def forget(self, partner_id: uuid.UUID) -> None:
            forgotten.append(partner_id)

    app.state.webhook_secrets = Cache()
    partner = uuid.uuid4()

    response = await deliver(
        client,
        event(
            "partner.webhook_secrets_changed",
            {"partner_id": str(partner), "valid_secret_ids": [], "changed_at": T0.isoformat()},
            T0,
        ),
    )

    assert response.status_code == 200
    assert forgotten == [partner]


async def test_only_services_deliver_events(client: httpx.AsyncClient) -> None:
    from .callers import ANALYST

    response = await client.post("/internal/events", json={"events": []}, headers=signed_as(ANALYST))

    assert response.status_code == 403


async def test_a_partners_free_text_region_meets_the_market_sizes_stored_for_it(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = uuid.uuid4()
    await deliver(
        client, event("partner.created", {"partner": partner_record(partner, region="UK & Ireland")}, T0)
    )
    stored = await client.put(
        "/v1/market/sizes/uk%20%20%26%20ireland/smb/2026-Q3",
        json={"size": {"amount": "10000.00", "currency": "EUR"}},
    )
    snapshot = await client.get(
        f"/v1/kpis/partners/{partner}", params={"period": "2026-Q3", "currency": "EUR"}
    )

    assert stored.status_code == 201, stored.text
    assert stored.json()["region"] == "UK & IRELAND"
    assert (await dimension(db, partner)).market_region == "UK & IRELAND"
    # no sales yet: a share of 0 of a known market, where an unmatched region would be null
    assert snapshot.json()["market_share"] == {"value": "0.000000", "reason": None, "unit": "ratio"}
