"""The request's session commits once, before the response leaves: a 2xx means stored, an error means nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, FastAPI
from prm_contracts.problem import Conflict
from prm_kit.db.engine import make_engine
from prm_kit.db.session import SessionDep
from prm_kit.outbox import inbox_event
from prm_kit.testing import internal_headers
from sqlalchemy.orm import registry
from starlette.types import Message, Receive, Scope, Send

from ..kit_service import MIGRATIONS_DIR

AppFactory = Callable[..., FastAPI]

router = APIRouter(prefix="/v1/receipts")


@router.put("/{receipt_id}", status_code=201)
async def record_receipt(receipt_id: uuid.UUID, session: SessionDep) -> dict[str, str]:
    await session.execute(
        sa.insert(inbox_event).values(id=receipt_id, type="receipt.recorded", received_at=datetime.now(UTC))
    )
    return {"id": str(receipt_id)}


@router.put("/{receipt_id}/refused")
async def record_then_refuse_receipt(receipt_id: uuid.UUID, session: SessionDep) -> None:
    await session.execute(
        sa.insert(inbox_event).values(id=receipt_id, type="receipt.recorded", received_at=datetime.now(UTC))
    )
    await session.flush()
    raise Conflict("refused after writing")


class Receipt:
    """Mapped with the ORM, so that its INSERT waits for the flush at commit."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


registry().map_imperatively(Receipt, inbox_event)


@router.put("/{receipt_id}/at-commit", status_code=201)
async def record_receipt_at_commit(receipt_id: uuid.UUID, session: SessionDep) -> dict[str, str]:
    session.add(Receipt(id=receipt_id, type="receipt.recorded", received_at=datetime.now(UTC)))
    return {"id": str(receipt_id)}


@pytest.fixture
def committed_database_url(migrated_database: Any) -> str:
    """A database of its own: these tests commit for real, without the rolled-back harness."""
    url: str = migrated_database("kitsession", MIGRATIONS_DIR)
    return url


async def stored_receipts(url: str, receipt_id: uuid.UUID) -> int:
    """Counted through a connection of its own, as another request or process would see it."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(
                sa.select(sa.func.count()).select_from(inbox_event).where(inbox_event.c.id == receipt_id)
            )
    finally:
        await engine.dispose()
    return int(count or 0)


def watching_response_start(app: FastAPI, url: str, receipt_id: uuid.UUID, seen: list[int]) -> Any:
    """Wraps the app: when the response starts to leave, look at what another connection sees."""

    async def watched(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_and_look(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen.append(await stored_receipts(url, receipt_id))
            await send(message)

        await app(scope, receive, send_and_look)

    return watched


@pytest.mark.asyncio
async def test_a_successful_write_is_committed_before_the_response_is_sent(
    kit_app: AppFactory, committed_database_url: str
) -> None:
    app = kit_app(router, database_url=committed_database_url)
    receipt_id = uuid.uuid4()
    seen_at_response_start: list[int] = []
    transport = httpx.ASGITransport(
        app=watching_response_start(app, committed_database_url, receipt_id, seen_at_response_start)
    )

    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=transport, base_url="http://test", headers=internal_headers()) as client,
    ):
        response = await client.put(f"/v1/receipts/{receipt_id}")

    assert response.status_code == 201
    assert seen_at_response_start == [1]
    assert await stored_receipts(committed_database_url, receipt_id) == 1


@pytest.mark.asyncio
async def test_a_write_followed_by_an_error_stores_nothing(
    kit_app: AppFactory, committed_database_url: str
) -> None:
    app = kit_app(router, database_url=committed_database_url)
    receipt_id = uuid.uuid4()
    transport = httpx.ASGITransport(app=app)

    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=transport, base_url="http://test", headers=internal_headers()) as client,
    ):
        response = await client.put(f"/v1/receipts/{receipt_id}/refused")

    assert response.status_code == 409
    assert response.json()["detail"] == "refused after writing"
    assert await stored_receipts(committed_database_url, receipt_id) == 0


@pytest.mark.asyncio
async def test_a_failed_commit_is_an_error_answer_not_a_success(
    kit_app: AppFactory, committed_database_url: str
) -> None:
    app = kit_app(router, database_url=committed_database_url)
    receipt_id = uuid.uuid4()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)

    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=transport, base_url="http://test", headers=internal_headers()) as client,
    ):
        first = await client.put(f"/v1/receipts/{receipt_id}/at-commit")
        # the same id again: the primary key refuses it when the session commits, after the endpoint returned
        again = await client.put(f"/v1/receipts/{receipt_id}/at-commit")

    assert first.status_code == 201
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["type"] == "/problems/conflict"
    assert await stored_receipts(committed_database_url, receipt_id) == 1
