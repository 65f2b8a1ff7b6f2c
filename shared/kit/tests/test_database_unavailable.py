"""A database that cannot be reached is a 503 with Retry-After, never a 500, and the service heals by itself
when it is back (the pool reconnects; nothing restarts)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, FastAPI
from prm_kit.app import create_service_app
from prm_kit.db.session import SessionDep
from prm_kit.settings import BaseServiceSettings
from prm_kit.testing import TEST_SECRET, free_ports, internal_headers

router = APIRouter()


@router.get("/v1/answer")
async def read_answer(session: SessionDep) -> dict[str, int]:
    return {"answer": int(await session.scalar(sa.text("SELECT 42")) or 0)}


@router.post("/v1/answer", status_code=201)
async def write_answer(session: SessionDep) -> dict[str, int]:
    return {"answer": int(await session.scalar(sa.text("SELECT 42")) or 0)}


class UnreachableSettings(BaseServiceSettings):
    service_name: ClassVar[str] = "unreachable"


def _app(tmp_path: Path) -> FastAPI:
    (port,) = free_ports(1)  # nothing listens there: every connection is refused
    settings = UnreachableSettings(
        internal_secret=TEST_SECRET,
        database_url=f"postgresql+asyncpg://prm@127.0.0.1:{port}/prm",
        data_dir=tmp_path,
        access_log=False,
    )
    return create_service_app(
        settings, title="t", description="t", routers=[router], migrations_dir=Path(__file__).parent
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_an_unreachable_database_is_503_with_retry_after(tmp_path: Path, method: str) -> None:
    app = _app(tmp_path)
    async with LifespanManager(app):  # starts although the database is down (readiness says so)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=internal_headers()
        ) as client:
            response = await client.request(method, "/v1/answer")
            ready = await client.get("/readyz")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert body["type"] == "/problems/service-unavailable"
    assert "database" in body["detail"]
    assert "127.0.0.1" not in body["detail"]  # nothing internal leaks
    assert ready.status_code == 503
