"""Idempotency-Key: replays of the first answer, refusals of reused keys, nothing stored on failure."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Response
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict
from prm_kit.app import create_service_app
from prm_kit.db.session import SessionDep
from prm_kit.idempotency import (
    IdempotencyDep,
    IdempotentRequest,
    idempotency_record,
    request_fingerprint,
)
from prm_kit.outbox import add_event, outbox_event
from prm_kit.settings import BaseServiceSettings
from prm_kit.testing import TEST_SECRET, internal_headers, rolled_back_app
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from .kit_service import MIGRATIONS_DIR


class IdempotencySettings(BaseServiceSettings):
    service_name = "idempotencytest"


class Thing(BaseModel):
    event_id: str
    name: str


class ThingIn(BaseModel):
    name: str
    fail_after_storing: bool = False


def _app(database_url: str, tmp_path: Path) -> FastAPI:
    router = APIRouter()

    @router.post("/things", status_code=201)
    async def create_thing(body: ThingIn, session: SessionDep, idempotency: IdempotencyDep) -> Response:
        if (replay := await idempotency.replay(session)) is not None:
            return replay
        event_id = await add_event(session, type="thing.created", source="test", data={"name": body.name})
        response = await idempotency.respond(
            session,
            Thing(event_id=str(event_id), name=body.name),
            headers={"Location": f"/things/{event_id}"},
        )
        if body.fail_after_storing:
            raise Conflict("the change failed after its answer was recorded")
        return response

    @router.post("/other-things", status_code=201)
    async def create_other_thing(body: ThingIn, session: SessionDep, idempotency: IdempotencyDep) -> Response:
        if (replay := await idempotency.replay(session)) is not None:
            return replay
        return await idempotency.respond(session, Thing(event_id="-", name=body.name))

    settings = IdempotencySettings(internal_secret=TEST_SECRET, database_url=database_url, data_dir=tmp_path)
    return create_service_app(
        settings, title="t", description="t", routers=[router], migrations_dir=MIGRATIONS_DIR
    )


@pytest_asyncio.fixture
async def api(
    migrated_database: Any, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncSession]]:
    url: str = migrated_database("idempotencytest", MIGRATIONS_DIR)
    async with rolled_back_app(_app(url, tmp_path), url) as (client, session):
        yield client, session


async def _count(session: AsyncSession, table: sa.Table) -> int:
    return await session.scalar(sa.select(sa.func.count()).select_from(table)) or 0


@pytest.mark.asyncio
async def test_the_same_request_with_the_same_key_gets_the_stored_answer(
    api: tuple[httpx.AsyncClient, AsyncSession],
) -> None:
    client, session = api
    key = {"Idempotency-Key": "k-1"}

    first = await client.post("/things", json={"name": "a"}, headers=key)
    again = await client.post("/things", json={"name": "a"}, headers=key)

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == "application/json"
    assert await _count(session, outbox_event) == 1
    assert await _count(session, idempotency_record) == 1


@pytest.mark.asyncio
async def test_the_same_key_with_another_body_is_422(api: tuple[httpx.AsyncClient, AsyncSession]) -> None:
    client, session = api
    await client.post("/things", json={"name": "a"}, headers={"Idempotency-Key": "k-2"})

    response = await client.post("/things", json={"name": "b"}, headers={"Idempotency-Key": "k-2"})

    assert response.status_code == 422
    assert response.json()["type"] == "/problems/idempotency-key-reused"
    assert await _count(session, outbox_event) == 1


@pytest.mark.asyncio
async def test_anonymous_callers_share_no_answers_through_a_key(
    api: tuple[httpx.AsyncClient, AsyncSession],
) -> None:
    client, session = api
    # the public application form: everyone without a key arrives as one anonymous subject
    applicant = internal_headers(
        Principal(subject="public:applicant", scopes=frozenset({"applications:submit"}))
    )
    key = {"Idempotency-Key": "same-key-both-applicants-chose"}

    first = await client.post("/things", json={"name": "a"}, headers={**key, **applicant})
    second = await client.post("/things", json={"name": "a"}, headers={**key, **applicant})

    assert first.status_code == second.status_code == 201
    assert "idempotent-replayed" not in second.headers
    assert first.json()["event_id"] != second.json()["event_id"]  # each got its own answer
    assert await _count(session, idempotency_record) == 0  # no key of theirs is kept


@pytest.mark.asyncio
async def test_keys_are_scoped_by_principal_and_operation(
    api: tuple[httpx.AsyncClient, AsyncSession],
) -> None:
    client, session = api
    key = {"Idempotency-Key": "k-3"}
    someone_else = internal_headers(Principal(subject="key:someone-else", scopes=frozenset({"admin"})))

    await client.post("/things", json={"name": "a"}, headers=key)
    other_subject = await client.post("/things", json={"name": "a"}, headers={**key, **someone_else})
    other_operation = await client.post("/other-things", json={"name": "a"}, headers=key)

    assert "idempotent-replayed" not in other_subject.headers
    assert "idempotent-replayed" not in other_operation.headers
    assert await _count(session, outbox_event) == 2
    assert await _count(session, idempotency_record) == 3


@pytest.mark.asyncio
async def test_without_a_key_every_request_is_new(api: tuple[httpx.AsyncClient, AsyncSession]) -> None:
    client, session = api

    await client.post("/things", json={"name": "a"})
    await client.post("/things", json={"name": "a"})

    assert await _count(session, outbox_event) == 2
    assert await _count(session, idempotency_record) == 0


@pytest.mark.asyncio
async def test_a_failed_request_stores_neither_its_change_nor_its_answer(
    api: tuple[httpx.AsyncClient, AsyncSession],
) -> None:
    client, session = api
    key = {"Idempotency-Key": "k-4"}

    failed = await client.post("/things", json={"name": "a", "fail_after_storing": True}, headers=key)
    assert failed.status_code == 409
    assert await _count(session, outbox_event) == 0
    assert await _count(session, idempotency_record) == 0

    retried = await client.post("/things", json={"name": "a"}, headers=key)
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers


@pytest.mark.asyncio
async def test_an_expired_key_runs_afresh(api: tuple[httpx.AsyncClient, AsyncSession]) -> None:
    client, session = api
    key = {"Idempotency-Key": "k-5"}
    await client.post("/things", json={"name": "a"}, headers=key)
    await session.execute(
        sa.update(idempotency_record).values(created_at=datetime.now(UTC) - timedelta(days=2))
    )
    await session.commit()

    again = await client.post("/things", json={"name": "other body is fine now"}, headers=key)

    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert await _count(session, idempotency_record) == 1


def test_fingerprints_compare_json_as_data_and_include_the_path() -> None:
    same = request_fingerprint("POST", "/things", "", b'{"a": 1, "b": [1, 2]}')
    assert request_fingerprint("post", "/things", "", b'{"b":[1,2],"a":1}') == same
    assert request_fingerprint("POST", "/things", "", b'{"a": 1, "b": [2, 1]}') != same
    assert request_fingerprint("POST", "/other", "", b'{"a": 1, "b": [1, 2]}') != same
    assert request_fingerprint("POST", "/things", "x=1", b'{"a": 1, "b": [1, 2]}') != same
    assert request_fingerprint("POST", "/things", "", b"not json") != request_fingerprint(
        "POST", "/things", "", b"not  json"
    )


@pytest.mark.asyncio
async def test_a_request_without_a_key_is_never_replayed() -> None:
    request = IdempotentRequest(key=None, subject="s", operation="o", fingerprint="f")
    assert await request.replay(None) is None  # type: ignore[arg-type]  # no key: the session is not touched
