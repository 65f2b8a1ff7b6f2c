"""An active agreement whose end day has passed is no longer current at once; the expiry sweep (endpoint,
function, background loop) records it as `expired`."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from partner_registry.agreements.service import expire_ended
from partner_registry.config import Settings
from partner_registry.main import create_app
from partner_registry.models import Agreement
from partner_registry.sweeps import Sweep, sweep_periodically
from prm_kit.clock import utc_now
from prm_kit.testing import ADMIN, TEST_SECRET, rolled_back_app
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import a_partner, an_agreement, days_from_today, partner_user, signed_as, stored_counts

pytestmark = pytest.mark.asyncio

SWEEPS = "/v1/agreements/expiry-sweeps"


async def _ending(
    client: httpx.AsyncClient, partner: dict[str, Any], days: int, **fields: Any
) -> dict[str, Any]:
    """Arrange: an agreement (active unless said otherwise) that started 30 days ago and ends `days` from
    today."""
    return await an_agreement(client, partner, ends_on=days_from_today(days), **fields)


async def _stored(db: AsyncSession, agreement: dict[str, Any]) -> tuple[str, int]:
    stored = await db.scalar(
        sa.select(Agreement)
        .where(Agreement.id == uuid.UUID(agreement["id"]))
        .execution_options(populate_existing=True)
    )
    assert stored is not None
    return stored.status, stored.version


async def test_the_sweep_expires_active_agreements_that_ended_before_today(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    ended_yesterday = await _ending(client, partner, -1)
    ends_today = await _ending(client, partner, 0)
    open_ended = await an_agreement(client, partner)
    draft = await _ending(client, partner, -1, status="draft", signed_on=None)
    terminated = await _ending(client, partner, -1)
    terminate = await client.patch(
        f"/v1/partners/{partner['id']}/agreements/{terminated['id']}",
        json={"status": "terminated"},
        headers={"If-Match": '"1"'},
    )
    assert terminate.status_code == 200, terminate.text

    response = await client.post(SWEEPS, headers=signed_as(ADMIN))

    assert response.status_code == 200, response.text
    sweep = response.json()
    assert (sweep["expired_count"], sweep["expired_ids"]) == (1, [ended_yesterday["id"]])
    read = await client.get(f"/v1/partners/{partner['id']}/agreements/{ended_yesterday['id']}")
    assert (read.json()["status"], read.headers["ETag"]) == ("expired", '"2"')
    assert await _stored(db, ends_today) == ("active", 1)
    assert await _stored(db, open_ended) == ("active", 1)
    assert await _stored(db, draft) == ("draft", 1)
    assert await _stored(db, terminated) == ("terminated", 2)

    again = await client.post(SWEEPS, headers=signed_as(ADMIN))

    assert again.status_code == 200
    assert (again.json()["expired_count"], again.json()["expired_ids"]) == (0, [])
    assert await _stored(db, ended_yesterday) == ("expired", 2)


async def test_an_agreement_ending_today_expires_in_tomorrows_sweep(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    ends_today = await _ending(client, partner, 0)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    app.dependency_overrides[utc_now] = lambda: tomorrow

    response = await client.post(SWEEPS, headers=signed_as(ADMIN))

    assert response.json()["expired_ids"] == [ends_today["id"]]
    assert response.json()["swept_at"] == tomorrow.isoformat().replace("+00:00", "Z")
    assert await _stored(db, ends_today) == ("expired", 2)


async def test_an_expired_agreement_no_longer_changes(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    ended = await _ending(client, partner, -1)
    await client.post(SWEEPS, headers=signed_as(ADMIN))

    response = await client.patch(
        f"/v1/partners/{partner['id']}/agreements/{ended['id']}",
        json={"status": "terminated"},
        headers={"If-Match": '"2"'},
    )

    assert response.status_code == 409
    assert response.json()["type"] == "/problems/agreement-closed"


@pytest.mark.parametrize("caller", ["channel manager", "own partner"])
async def test_the_sweep_endpoint_is_for_admins(
    client: httpx.AsyncClient, db: AsyncSession, caller: str
) -> None:
    partner = await a_partner(client)
    ended = await _ending(client, partner, -1)
    # the client calls as a channel manager (partners:write) unless told otherwise
    headers = signed_as(partner_user(partner)) if caller == "own partner" else {}
    before = await stored_counts(db)

    response = await client.post(SWEEPS, headers=headers)

    assert response.status_code == 403
    assert response.json()["type"] == "/problems/forbidden"
    assert await stored_counts(db) == before
    assert await _stored(db, ended) == ("active", 1)


async def test_expire_ended_expires_what_ended_before_the_given_day(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    agreements = [await _ending(client, partner, days) for days in (-3, -2, -1)]
    two_days_ago = datetime.now(UTC) - timedelta(days=2)

    expired = await expire_ended(db, two_days_ago, batch_size=1)
    expired += await expire_ended(db, datetime.now(UTC), batch_size=1)

    # two days ago only the one ending three days ago had ended; today the others have too, each swept once
    assert [str(agreement_id) for agreement_id in expired] == [a["id"] for a in agreements]
    assert [await _stored(db, a) for a in agreements] == [("expired", 2)] * 3


async def test_the_background_loop_sweeps_until_cancelled(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ended = await _ending(client, await a_partner(client), -1)
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
        sweep_periodically(session_factory, Sweep("agreement_expiry", expire_ended, 0.01))
    )
    await asyncio.wait_for(second_sweep.wait(), timeout=30)
    loop.cancel()
    with pytest.raises(asyncio.CancelledError):
        await loop

    assert await _stored(db, ended) == ("expired", 2)


async def test_the_app_runs_the_loop_for_its_lifetime_unless_switched_off(
    database_url: str, tmp_path: Path
) -> None:
    def registry(seconds: float) -> FastAPI:
        return create_app(
            Settings(
                internal_secret=TEST_SECRET,
                database_url=database_url,
                data_dir=tmp_path,
                agreement_expiry_sweep_seconds=seconds,
            )
        )

    app = registry(3600)
    async with rolled_back_app(app, database_url):
        task = app.state.agreement_expiry_task
        assert not task.done()
    assert task.cancelled()

    app = registry(0)
    async with rolled_back_app(app, database_url):
        assert getattr(app.state, "agreement_expiry_task", None) is None
        assert not app.state.deal_expiry_task.done()  # the other sweep runs on its own interval
