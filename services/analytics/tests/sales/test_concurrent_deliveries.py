"""Deliveries racing each other really commit here (not in a rolled-back transaction): the same webhook-id
twice at once, and the same line in two deliveries at once, are stored once, and neither sender sees a 500.

PostgreSQL lets both transactions run; the loser meets the winner's primary key, is rolled back and judged
again. SQLite takes the write lock when a transaction begins, so the second waits and then sees the first.
The rows the test committed are deleted at its end.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from analytics.kpis.models import SalesCustomerMonthRollup
from analytics.sales.models import (
    SalesCustomerRollup,
    SalesDailyRollup,
    SalesLine,
    SalesLineKey,
    SalesMonthlyRollup,
    SalesWebhookReceipt,
)
from fastapi import FastAPI
from prm_kit.outbox import outbox_event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .factories import Sender, a_line, sales_reported
from .fakes import Clock, FakeRegistry

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def committing(
    app: FastAPI, registry: FakeRegistry, clock: Clock
) -> AsyncIterator[tuple[Sender, UUID, str]]:
    """A sender to the app on its real sessions, a partner and its secret; the partner's rows removed after."""
    partner_id, secret = registry.partner()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Sender(client=client, clock=clock), partner_id, secret
    factory: async_sessionmaker[AsyncSession] = app.state.session_factory
    async with factory() as session:
        for model in (
            SalesLine,
            SalesLineKey,
            SalesDailyRollup,
            SalesMonthlyRollup,
            SalesCustomerRollup,
            SalesCustomerMonthRollup,
            SalesWebhookReceipt,
        ):
            await session.execute(sa.delete(model).where(model.partner_id == partner_id))
        events = await session.execute(sa.select(outbox_event.c.id, outbox_event.c.payload))
        ours = [row.id for row in events if row.payload.get("data", {}).get("partner_id") == str(partner_id)]
        if ours:
            await session.execute(sa.delete(outbox_event).where(outbox_event.c.id.in_(ours)))
        await session.commit()


async def _stored(app: FastAPI, partner_id: UUID) -> dict[str, Any]:
    factory: async_sessionmaker[AsyncSession] = app.state.session_factory
    async with factory() as session:
        lines = await session.scalar(
            sa.select(sa.func.count()).select_from(SalesLine).where(SalesLine.partner_id == partner_id)
        )
        receipts = await session.scalar(
            sa.select(sa.func.count())
            .select_from(SalesWebhookReceipt)
            .where(SalesWebhookReceipt.partner_id == partner_id)
        )
        rollup = await session.scalar(
            sa.select(sa.func.sum(SalesDailyRollup.line_count)).where(
                SalesDailyRollup.partner_id == partner_id
            )
        )
        await session.rollback()
    return {"lines": lines, "receipts": receipts, "rollup_lines": rollup}


async def test_the_same_webhook_id_at_once_is_stored_once_and_answered_alike(
    app: FastAPI, committing: tuple[Sender, UUID, str]
) -> None:
    sender, partner_id, secret = committing
    message = sales_reported(*(a_line() for _ in range(50)))

    answers = await asyncio.gather(
        *(sender.send(partner_id, secret, message, webhook_id="msg_race") for _ in range(3))
    )

    assert [answer.status_code for answer in answers] == [200, 200, 200], [a.text for a in answers]
    assert len({answer.content for answer in answers}) == 1
    assert sorted(answer.headers.get("webhook-replayed", "no") for answer in answers) == [
        "no",
        "true",
        "true",
    ]
    assert await _stored(app, partner_id) == {"lines": 50, "receipts": 1, "rollup_lines": 50}


async def test_the_same_lines_in_deliveries_at_once_are_stored_once(
    app: FastAPI, committing: tuple[Sender, UUID, str]
) -> None:
    sender, partner_id, secret = committing
    lines = [a_line() for _ in range(50)]

    answers = await asyncio.gather(
        *(sender.send(partner_id, secret, sales_reported(*lines)) for _ in range(3))
    )

    statuses = [answer.status_code for answer in answers]
    assert set(statuses) <= {200, 409}, [a.text for a in answers]
    counts = [json.loads(answer.content)["counts"] for answer in answers if answer.status_code == 200]
    assert sum(count["accepted"] for count in counts) == 50
    assert all(count["accepted"] + count["duplicate"] == 50 for count in counts)
    stored = await _stored(app, partner_id)
    assert stored["lines"] == stored["rollup_lines"] == 50
