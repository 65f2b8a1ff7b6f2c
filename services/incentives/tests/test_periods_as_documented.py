"""Every incentives operation taking a period (a body field, a query or a path parameter) accepts exactly what
its documented pattern admits: `2026-q1` or `2026-Q1 ` is 422 with the pattern in `detail`, nothing stored."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from incentives.models import Base
from prm_contracts.periods import PERIOD_PATTERN
from sqlalchemy.ext.asyncio import AsyncSession

from .calculation_runs.helpers import a_line, a_partner, a_programme, a_run, rebate

pytestmark = pytest.mark.asyncio

REFUSED = ["2026-q1", "2026-Q1 ", " 2026-Q1", "2026-Q1\n"]


async def _row_counts(db: AsyncSession) -> dict[str, int]:
    return {
        name: await db.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        for name, table in sorted(Base.metadata.tables.items())
    }


def _refused_as_documented(answer: httpx.Response, sent: str) -> None:
    assert answer.status_code == 422, (sent, answer.text)
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert PERIOD_PATTERN in answer.json()["detail"], answer.json()["detail"]


def _bodies(programme: dict[str, Any], partner: str) -> dict[str, dict[str, Any]]:
    """Each operation taking a period in its body, with a valid body but for the period."""
    return {
        "/v1/calculation-runs": {"programme_id": programme["programme_id"], "as_of": "2026-12-31"},
        "/v1/adjustments": {
            "programme_id": programme["programme_id"],
            "partner_id": partner,
            "amount": {"amount": "5.00", "currency": "EUR"},
            "reason": "goodwill",
        },
        "/v1/backtests": {
            "programme_id": programme["programme_id"],
            "baseline": {"version": 1},
            "candidate": {"version": 1},
        },
        "/v1/mdf/budgets": {
            "name": f"Field marketing {uuid4().hex[:6]}",
            "amount": {"amount": "1000.00", "currency": "EUR"},
        },
    }


@pytest.mark.parametrize("period", REFUSED)
async def test_a_period_in_a_body_is_taken_only_as_documented(
    client: httpx.AsyncClient, db: AsyncSession, period: str
) -> None:
    anna = await a_partner(db)
    await a_line(db, anna, "100.00")
    programme = await a_programme(client, rebate("0.05"))
    before = await _row_counts(db)

    for path, body in _bodies(programme, str(anna)).items():
        _refused_as_documented(await client.post(path, json=body | {"period": period}), f"{path} {period!r}")

    assert await _row_counts(db) == before


@pytest.mark.parametrize("period", REFUSED)
async def test_a_period_in_a_query_or_a_path_is_taken_only_as_documented(
    client: httpx.AsyncClient, db: AsyncSession, period: str
) -> None:
    anna = await a_partner(db)
    await a_line(db, anna, "100.00")
    await a_run(client, await a_programme(client, rebate("0.05")))
    statement = f"/v1/statements/{anna}/{quote(period, safe='')}"

    for path, params in [
        ("/v1/adjustments", {"period": period}),
        ("/v1/mdf/budgets", {"period": period}),
        ("/v1/payables", {"period": period}),
        ("/v1/payables/export.csv", {"period": period}),
        (statement, {}),
        (f"{statement}.csv", {}),
        (f"{statement}.html", {}),
    ]:
        _refused_as_documented(await client.get(path, params=params), f"{path} {params} {period!r}")


async def test_the_documented_periods_are_taken(client: httpx.AsyncClient, db: AsyncSession) -> None:
    anna = await a_partner(db)
    await a_line(db, anna, "100.00")
    programme = await a_programme(client, rebate("0.05"))

    run = await client.post(
        "/v1/calculation-runs",
        json={"programme_id": programme["programme_id"], "period": "2026-Q1", "as_of": "2026-12-31"},
    )
    statement = await client.get(f"/v1/statements/{anna}/2026-Q1")
    payables = await client.get("/v1/payables", params={"period": "2026-Q1"})
    budgets = await client.get("/v1/mdf/budgets", params={"period": "2026-07"})

    assert (run.status_code, statement.status_code, payables.status_code) == (201, 200, 200)
    assert budgets.status_code == 200
    assert statement.json()["period"] == "2026-Q1"


async def test_every_period_parameter_and_field_states_the_pattern(app: FastAPI) -> None:
    document = app.openapi()
    stated: list[tuple[str, str]] = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "period":
                    stated.append((f"{method} {path}", parameter["schema"]["pattern"]))
    for name, schema in document["components"]["schemas"].items():
        if "period" in schema.get("properties", {}) and name.endswith("In"):
            stated.append((name, schema["properties"]["period"]["pattern"]))

    assert len(stated) >= 10, stated
    assert {pattern for _, pattern in stated} == {PERIOD_PATTERN}, stated
    for refused in REFUSED:
        assert re.fullmatch(PERIOD_PATTERN, refused) is None  # as ECMA reads `$`: not before a newline
