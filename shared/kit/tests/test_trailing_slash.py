"""A path with a trailing slash is not redirected: a redirect would carry the service's internal address to
a client behind the gateway (and a client that followed it would meet a 401 there)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from fastapi import APIRouter
from prm_kit.app import create_service_app
from prm_kit.settings import BaseServiceSettings
from prm_kit.testing import TEST_SECRET, internal_headers

router = APIRouter()


@router.get("/v1/things")
async def list_things() -> list[str]:
    return ["a"]


class SlashSettings(BaseServiceSettings):
    service_name: ClassVar[str] = "slashtest"


@pytest.mark.asyncio
async def test_a_trailing_slash_is_a_404_problem_without_location(tmp_path: Path) -> None:
    settings = SlashSettings(internal_secret=TEST_SECRET, data_dir=tmp_path, access_log=False)
    app = create_service_app(
        settings, title="t", description="t", routers=[router], migrations_dir=Path(__file__).parent
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1:8001", headers=internal_headers()
    ) as client:
        slashed = await client.get("/v1/things/", params={"limit": 1})
        plain = await client.get("/v1/things")

    assert slashed.status_code == 404
    assert "location" not in slashed.headers
    assert slashed.headers["content-type"] == "application/problem+json"
    assert plain.status_code == 200
