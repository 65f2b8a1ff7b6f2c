"""Protection runs out: reads say `expired` at once, the sweep (endpoint, function, background loop) records
it with its event. Time moves by the registry's clock, never by rewriting stored rows."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from partner_registry.deal_registrations.protection import expire_due
from partner_registry.models import DealRegistration, DealRegistrationNameToken
from partner_registry.sweeps import Sweep, sweep_periodically
from prm_kit.testing import ADMIN
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    a_deal,
    an_active_partner,
    deal_partner_user,
    outbox_payloads,
    signed_as,
    stored_counts,
)
from ..fakes import Clock

pytestmark = pytest.mark.asyncio


def _protection_end(registration: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(registration["protected_until"].replace("Z", "+00:00"))


async def _stored(db: AsyncSession, registration: dict[str, Any]) -> DealRegistration:
    stored = await db.scalar(
        sa.select(DealRegistration)
        .where(DealRegistration.id == uuid.UUID(registration["id"]))
        .execution_options(populate_existing=True)
    )
    assert stored is not None
    return stored


async def test_a_lapsed_approval_reads_as_expired_before_any_sweep(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock
) -> None:
    partner = await an_active_partner(client)
    registration = await a_deal(client, partner)
    ended = _protection_end(registration)
    clock.set(ended + timedelta(minutes=5))

    read = (await client.get(f"/v1/deal-registrations/{registration['id']}")).json()
    expired = (await client.get("/v1/deal-registrations", params={"status": "expired"})).json()["items"]
    approved = (await client.get("/v1/deal-registrations", params={"status": "approved"})).json()["items"]

    assert read["status"] == "expired"
    assert datetime.fromisoformat(read["expired_at"].replace("Z", "+00:00")) == ended
    assert [r["id"] for r in expired] == [registration["id"]]
    assert approved == []
    assert (await _stored(db, registration)).status == "approved"  # not recorded yet


async def test_a_lapsed_approval_takes_no_outcome_or_extension(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock
) -> None:
    partner = await an_active_partner(client)
    registration = await a_deal(client, partner)
    clock.set(_protection_end(registration) + timedelta(seconds=1))
    before = await stored_counts(db)

    won = await client.post(
        f"/v1/deal-registrations/{registration['id']}/outcome",
        json={"outcome": "won", "final_amount": {"amount": "10", "currency": "EUR"}},
    )
    extended = await client.post(
        f"/v1/deal-registrations/{registration['id']}/extension",
        headers=signed_as(deal_partner_user(partner)),
    )

    assert won.status_code == 409
    assert (won.json()["current_status"], won.json()["allowed"]) == ("expired", [])
    assert extended.status_code == 409
    assert extended.json()["type"] == "/problems/extension-not-allowed"
    assert await stored_counts(db) == before


async def test_a_lapsed_approval_no_longer_conflicts(client: httpx.AsyncClient, clock: Clock) -> None:
    first, second = await an_active_partner(client), await an_active_partner(client)
    earlier = await a_deal(client, first, customer_domain="globex.example")
    clock.set(_protection_end(earlier) + timedelta(seconds=1))

    registration = await a_deal(client, second, customer_domain="globex.example")

    assert registration["status"] == "approved"


async def test_the_sweep_endpoint_records_expiries_with_their_events(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock
) -> None:
    partner = await an_active_partner(client)
    lapsed = [await a_deal(client, partner) for _ in range(2)]
    clock.advance(days=1)
    still_protected = await a_deal(client, partner)
    pending = await a_deal(
        client, await an_active_partner(client), customer_domain=still_protected["customer_domain"]
    )
    # the first two ran out an hour ago; the later one is protected for a day longer
    clock.set(_protection_end(lapsed[0]) + timedelta(hours=1))

    response = await client.post("/v1/deal-registrations/expiry-sweeps", headers=signed_as(ADMIN))

    assert response.status_code == 200, response.text
    sweep = response.json()
    assert sweep["expired_count"] == 2
    assert sorted(sweep["expired_ids"]) == sorted(r["id"] for r in lapsed)
    for registration in lapsed:
        stored = await _stored(db, registration)
        assert (stored.status, stored.expired_at, stored.version) == ("expired", stored.protected_until, 2)
        tokens = await db.scalar(
            sa.select(sa.func.count())
            .select_from(DealRegistrationNameToken)
            .where(DealRegistrationNameToken.deal_registration_id == stored.id)
        )
        assert tokens == 0
    assert (await _stored(db, still_protected)).status == "approved"
    assert (await _stored(db, pending)).status == "pending_review"
    events = await outbox_payloads(db, "deal_registration.expired")
    assert sorted(e["data"]["deal_registration_id"] for e in events) == sorted(r["id"] for r in lapsed)
    assert {(e["data"]["from_status"], e["data"]["to_status"], e["data"]["actor"]) for e in events} == {
        ("approved", "expired", "system:expiry-sweep")
    }
    history = (await client.get(f"/v1/deal-registrations/{lapsed[0]['id']}/history")).json()["items"]
    assert (history[0]["kind"], history[0]["reason"]) == ("expired", "protection ran out")

    again = await client.post("/v1/deal-registrations/expiry-sweeps", headers=signed_as(ADMIN))
    assert again.json()["expired_count"] == 0


async def test_the_sweep_endpoint_is_for_admins(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock
) -> None:
    registration = await a_deal(client, await an_active_partner(client))
    clock.set(_protection_end(registration) + timedelta(hours=1))
    before = await stored_counts(db)

    response = await client.post("/v1/deal-registrations/expiry-sweeps")

    assert response.status_code == 403
    assert await stored_counts(db) == before


async def test_expire_due_expires_what_has_run_out_by_the_given_moment(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock
) -> None:
    partner = await an_active_partner(client)
    registrations = []
    for _ in range(3):
        registrations.append(await a_deal(client, partner))
        clock.advance(days=10)
    first_end = _protection_end(registrations[0])

    expired = await expire_due(db, first_end + timedelta(days=10), batch_size=1)

    # protections end 0, 10 and 20 days after the first one's: the first two have run out 10 days after it;
    # in batches of one, each is swept once
    assert sorted(map(str, expired)) == sorted(r["id"] for r in registrations[:2])
    assert [(await _stored(db, r)).status for r in registrations] == ["expired", "expired", "approved"]


async def test_the_background_loop_sweeps_until_cancelled(
    registry_with: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with registry_with() as (client, db, app):
        registration = await a_deal(client, await an_active_partner(client))
        # each round of the loop reads the clock once
        lapsed = _protection_end(registration) + timedelta(seconds=1)
        monkeypatch.setattr("partner_registry.sweeps.utc_now", lambda: lapsed)

        # the app's own sessions (here: inside the test's transaction); nothing else runs meanwhile
        second_sweep = asyncio.Event()
        sweeps = 0

        def session_factory() -> Any:
            """The app's factory for the first sweep; asked again, the first one is done: stop there."""
            nonlocal sweeps
            sweeps += 1
            if sweeps > 1:
                second_sweep.set()
                raise RuntimeError("enough: the loop logs this and sleeps")
            return app.state.session_factory

        loop = asyncio.create_task(
            sweep_periodically(session_factory, Sweep("deal_expiry", expire_due, 0.01))
        )
        await asyncio.wait_for(second_sweep.wait(), timeout=30)
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop

        assert (await _stored(db, registration)).status == "expired"
        assert len(await outbox_payloads(db, "deal_registration.expired")) == 1


async def test_the_app_runs_the_loop_for_its_lifetime_unless_switched_off(registry_with: Any) -> None:
    async with registry_with(deal_expiry_sweep_seconds=3600) as (_client, _db, app):
        task = app.state.deal_expiry_task
        assert not task.done()
    assert task.cancelled()

    async with registry_with(deal_expiry_sweep_seconds=0) as (_client, _db, app):
        assert getattr(app.state, "deal_expiry_task", None) is None
