"""Two requests for the last funds of one allocation at once: exactly one is stored. These tests really
commit (not in the rolled-back test transaction), on the app's own sessions, and delete their rows after.

PostgreSQL: the allocation row is locked (SELECT … FOR UPDATE) before its requests are summed, so the second
transaction waits for the first and sums what it committed. SQLite: every writing transaction begins
IMMEDIATE, so the second waits for the first's write lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from fastapi import FastAPI
from incentives.mdf import requests
from incentives.mdf.errors import AllocationExceeded
from incentives.mdf.models import MdfAllocation, MdfBudget, MdfClaim, MdfRequest
from prm_contracts.mdf import MdfRequestIn
from prm_kit.testing import ADMIN, internal_headers
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .helpers import budget_body, eur, request_body

pytestmark = pytest.mark.asyncio

NOW = datetime(2026, 7, 1, 9, tzinfo=UTC)


@pytest_asyncio.fixture(loop_scope="session")
async def committing(app: FastAPI) -> AsyncIterator[tuple[httpx.AsyncClient, list[UUID]]]:
    """A client on the app's real sessions, and a list the test adds its budgets to; their rows go after."""
    budgets: list[UUID] = []
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=internal_headers()
    ) as client:
        yield client, budgets
    factory: async_sessionmaker[AsyncSession] = app.state.session_factory
    async with factory() as session:
        allocations = sa.select(MdfAllocation.id).where(MdfAllocation.budget_id.in_(budgets))
        await session.execute(sa.delete(MdfClaim).where(MdfClaim.allocation_id.in_(allocations)))
        await session.execute(sa.delete(MdfRequest).where(MdfRequest.allocation_id.in_(allocations)))
        await session.execute(sa.delete(MdfAllocation).where(MdfAllocation.budget_id.in_(budgets)))
        await session.execute(sa.delete(MdfBudget).where(MdfBudget.id.in_(budgets)))
        await session.commit()


async def _allocation_of(client: httpx.AsyncClient, budgets: list[UUID], amount: str) -> dict[str, Any]:
    budget = await client.post("/v1/mdf/budgets", json=budget_body(amount))
    assert budget.status_code == 201, budget.text
    budgets.append(UUID(budget.json()["id"]))
    allocation = await client.post(
        f"/v1/mdf/budgets/{budget.json()['id']}/allocations",
        json={"partner_id": str(uuid4()), "amount": eur(amount)},
    )
    assert allocation.status_code == 201, allocation.text
    result: dict[str, Any] = allocation.json()
    return result


async def _stored_requests(app: FastAPI, allocation_id: str) -> list[str]:
    factory: async_sessionmaker[AsyncSession] = app.state.session_factory
    async with factory() as session:
        amounts = await session.scalars(
            sa.select(MdfRequest.planned_amount).where(MdfRequest.allocation_id == UUID(allocation_id))
        )
        return [str(amount) for amount in amounts]


async def test_two_requests_at_once_for_more_than_is_left_store_one(
    app: FastAPI, committing: tuple[httpx.AsyncClient, list[UUID]]
) -> None:
    client, budgets = committing
    allocation = await _allocation_of(client, budgets, "1000.00")

    # 600.00 + 600.00 = 1200.00 > 1000.00: both fit alone, not together
    answers = await asyncio.gather(
        *(client.post("/v1/mdf/requests", json=request_body(allocation["id"], "600.00")) for _ in range(2))
    )

    assert sorted(answer.status_code for answer in answers) == [201, 409], [a.text for a in answers]
    [refused] = [answer.json() for answer in answers if answer.status_code == 409]
    assert refused["type"].endswith("/problems/mdf-allocation-exceeded")
    assert refused["remaining"] == eur("400.00")
    assert await _stored_requests(app, allocation["id"]) == ["600.0000"]


async def test_the_second_transaction_waits_for_the_first_and_sees_its_request(
    app: FastAPI, committing: tuple[httpx.AsyncClient, list[UUID]]
) -> None:
    client, budgets = committing
    allocation = await _allocation_of(client, budgets, "1000.00")
    body = MdfRequestIn.model_validate(request_body(allocation["id"], "700.00"))
    factory: async_sessionmaker[AsyncSession] = app.state.session_factory

    async with factory() as first, factory() as second:
        await requests.create_request(first, body, actor=ADMIN, now=NOW)  # holds the allocation
        racing = asyncio.create_task(requests.create_request(second, body, actor=ADMIN, now=NOW))
        await asyncio.sleep(0.3)
        waited = not racing.done()
        await first.commit()
        with pytest.raises(AllocationExceeded):
            await racing
        await second.rollback()

    assert waited, "the second transaction did not wait for the first one's lock"
    assert await _stored_requests(app, allocation["id"]) == ["700.0000"]
