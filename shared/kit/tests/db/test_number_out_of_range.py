"""A number beyond its PostgreSQL column is the client's 422, not a 500: each amount a client sends is
checked, but a total kept of many (a month's sales rollup, a payout) can outgrow numeric(19,4) through
requests that were each valid."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from fastapi import APIRouter
from prm_kit.db import SessionDep
from prm_kit.testing import postgres_admin_url, rolled_back_app

from ..conftest import AppFactory

pytestmark = [pytest.mark.asyncio, pytest.mark.postgresql_pass]

router = APIRouter()


@router.post("/totals")
async def add_to_total(amount: str, session: SessionDep) -> dict[str, str]:
    total = await session.scalar(
        sa.text("SELECT CAST(:amount AS numeric(19, 4))"), {"amount": Decimal(amount)}
    )
    return {"total": str(total)}


async def test_a_total_beyond_numeric_19_4_is_a_422_saying_nothing_was_stored(kit_app: AppFactory) -> None:
    # PostgreSQL's own refusal (SQLite keeps any number), whichever backend this pass tests
    url = postgres_admin_url()
    async with rolled_back_app(kit_app(router, database_url=url), url) as (client, _):
        largest = await client.post("/totals", params={"amount": "999999999999999.9999"})
        beyond = await client.post("/totals", params={"amount": "1000000000000000"})

    assert largest.status_code == 200, largest.text
    assert beyond.status_code == 422, beyond.text
    assert beyond.headers["content-type"] == "application/problem+json"
    assert "nothing was stored" in beyond.json()["detail"]
    assert [issue["type"] for issue in beyond.json()["errors"]] == ["number_out_of_range"]
