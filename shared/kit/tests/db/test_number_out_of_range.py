"""A number beyond its PostgreSQL column is the client's 422, not a 500: each amount a client sends is
checked, but a total kept of many (a month's sales rollup, a payout) can outgrow numeric(19,4) through
requests that were each valid."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import APIRouter
from prm_kit.db import ExactDecimal, SessionDep
from prm_kit.db.states import EXACT_CHECK, stays_exact
from prm_kit.db.types import NumberOutOfRange
from prm_kit.testing import postgres_admin_url, rolled_back_app

from ..conftest import AppFactory

pytestmark = pytest.mark.asyncio

router = APIRouter()


@router.post("/totals")
async def add_to_total(amount: str, session: SessionDep) -> dict[str, str]:
    total = await session.scalar(
        sa.text("SELECT CAST(:amount AS numeric(19, 4))"), {"amount": Decimal(amount)}
    )
    return {"total": str(total)}


@pytest.mark.postgresql_pass
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


# SQLite keeps an ExactDecimal as a scaled 64-bit integer and, unasked, turns a sum past it into an inexact
# REAL: a `stays_exact` CHECK makes that write fail, and SUM itself fails on overflow. Both are the same 422.
_SCALED_MAX = 2**63 - 1
sqlite_router = APIRouter()


@sqlite_router.post("/sqlite-totals")
async def add_to_sqlite_total(scaled: int, session: SessionDep) -> dict[str, int]:
    await session.execute(
        sa.text(
            f"CREATE TABLE IF NOT EXISTS total (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL, "
            f"CONSTRAINT ck_total_{EXACT_CHECK}amount CHECK ({stays_exact('amount')}))"
        )
    )
    await session.execute(
        sa.text(
            "INSERT INTO total (id, amount) VALUES (1, :scaled) "
            "ON CONFLICT (id) DO UPDATE SET amount = total.amount + excluded.amount"
        ),
        {"scaled": scaled},
    )
    return {"total": int(await session.scalar(sa.text("SELECT amount FROM total WHERE id = 1")) or 0)}


@sqlite_router.post("/sqlite-amounts")
async def store_amount(amount: str, session: SessionDep) -> dict[str, str]:
    stored = await session.scalar(sa.select(sa.bindparam("amount", Decimal(amount), type_=ExactDecimal())))
    return {"amount": str(stored)}


@sqlite_router.get("/sqlite-sum")
async def sum_past_64_bits(session: SessionDep) -> dict[str, int]:
    total = await session.scalar(
        sa.text("SELECT sum(amount) FROM (SELECT :largest AS amount UNION ALL SELECT 1)"),
        {"largest": _SCALED_MAX},
    )
    return {"total": int(total)}


@pytest.mark.backend_independent
async def test_on_sqlite_a_total_past_64_bits_is_the_same_422_not_an_inexact_real(
    kit_app: AppFactory, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'totals.db'}"
    async with rolled_back_app(kit_app(sqlite_router, database_url=url), url) as (client, _):
        first = await client.post("/sqlite-totals", params={"scaled": _SCALED_MAX - 10})
        at_the_bound = await client.post("/sqlite-totals", params={"scaled": 10})
        beyond = await client.post("/sqlite-totals", params={"scaled": 1})
        summed = await client.get("/sqlite-sum")
        largest_amount = await client.post("/sqlite-amounts", params={"amount": "922337203685477.5807"})
        past_the_amount = await client.post("/sqlite-amounts", params={"amount": "922337203685477.5808"})

    assert (first.json(), at_the_bound.json()) == ({"total": _SCALED_MAX - 10}, {"total": _SCALED_MAX})
    assert largest_amount.json() == {"amount": "922337203685477.5807"}
    for refused in (beyond, summed, past_the_amount):
        assert refused.status_code == 422, refused.text  # not 409 (a unique key's race) nor 500
        assert [issue["type"] for issue in refused.json()["errors"]] == ["number_out_of_range"]
    for refused in (beyond, past_the_amount):
        assert "nothing was stored" in refused.json()["detail"]
    assert "ask for a shorter span" in summed.json()["detail"]  # a read adding stored totals up


computed_router = APIRouter()


@computed_router.post("/what-if")
async def total_not_stored(amount: str) -> dict[str, str]:
    # a total a service computes and answers without storing it (a backtest's)
    raise NumberOutOfRange(f"a total of {amount} does not fit an amount")


@pytest.mark.backend_independent
async def test_a_total_a_service_refuses_itself_is_the_same_422(kit_app: AppFactory, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'what-if.db'}"
    async with rolled_back_app(kit_app(computed_router, database_url=url), url) as (client, _):
        refused = await client.post("/what-if", params={"amount": "2700000000000000.00"})

    assert refused.status_code == 422, refused.text  # not a 500
    assert refused.headers["content-type"] == "application/problem+json"
    assert [issue["type"] for issue in refused.json()["errors"]] == ["number_out_of_range"]
