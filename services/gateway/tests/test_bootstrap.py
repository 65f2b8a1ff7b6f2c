"""PRM_BOOTSTRAP_ADMIN_KEY: an admin key made at start-up, idempotently; a malformed one fails fast."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from gateway.config import Settings
from gateway.main import MIGRATIONS_DIR, create_app
from pydantic import ValidationError

BOOTSTRAP = "prm_bootkey1_" + "Z" * 43


@pytest.mark.asyncio
async def test_the_bootstrap_key_works_after_start_and_restarts_do_not_duplicate_it(
    migrated_database: Callable[[str, Path], str], make_settings: Callable[..., Settings]
) -> None:
    # a database of its own: this test commits, unlike the rolled-back ones
    settings = make_settings(
        database_url=migrated_database("gateway_bootstrap", MIGRATIONS_DIR), bootstrap_admin_key=BOOTSTRAP
    )
    names: list[Any] = []
    for _start in range(2):
        app = create_app(settings)
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
                answer = await client.get(
                    "/v1/admin/api-keys", headers={"Authorization": f"Bearer {BOOTSTRAP}"}
                )
                assert answer.status_code == 200
                names.append([item["name"] for item in answer.json()["items"]])

    assert names == [["bootstrap-admin"], ["bootstrap-admin"]]


@pytest.mark.parametrize("value", ["short", "x" * 40, "prm_UPPER123_" + "a" * 40])
def test_a_bootstrap_key_not_in_the_key_format_fails_at_start(
    make_settings: Callable[..., Settings], value: str
) -> None:
    with pytest.raises(ValidationError, match="bootstrap_admin_key"):
        make_settings(bootstrap_admin_key=value)
