"""What-if: a modified copy of a published version against it, on a past quarter, storing nothing, with the
same numbers separate runs give."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest
import sqlalchemy as sa
from incentives.models import Base
from sqlalchemy.ext.asyncio import AsyncSession

from ..calculation_runs.helpers import a_line, a_partner, a_programme, a_run, payouts, rebate, terms

pytestmark = pytest.mark.asyncio

WHOLE = {
    "kind": "volume_bonus",
    "mode": "whole_band",
    "bands": [{"from": "0", "to": "1000", "rate": "0.01"}, {"from": "1000", "rate": "0.04"}],
}


async def _row_counts(db: AsyncSession) -> dict[str, int]:
    return {
        name: await db.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        for name, table in sorted(Base.metadata.tables.items())
    }


async def test_a_backtest_compares_two_versions_stores_nothing_and_matches_runs(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna, ben, cleo = await a_partner(db), await a_partner(db), await a_partner(db)
    await a_line(db, anna, "2000.00", on=date(2026, 2, 1))
    await a_line(db, ben, "500.00", on=date(2026, 2, 1))
    await a_line(db, cleo, "1000.00", on=date(2026, 3, 1))
    published = await a_programme(client, rebate("0.02"))
    candidate = terms(WHOLE)
    before = await _row_counts(db)

    answer = await client.post(
        "/v1/backtests",
        json={
            "programme_id": published["programme_id"],
            "period": "2026-Q1",
            "as_of": "2026-12-31",
            "baseline": {"version": 1},
            "candidate": {"terms": candidate},
            "top": 1,
        },
    )

    assert answer.status_code == 200, answer.text
    assert await _row_counts(db) == before
    body = answer.json()
    # baseline 2 %: anna 40.00, ben 10.00, cleo 20.00 = 70.00
    # candidate whole band: anna 2,000 * 4 % = 80.00, ben 500 * 1 % = 5.00, cleo 1,000 * 4 % = 40.00 = 125.00
    assert (body["baseline_total"]["amount"], body["candidate_total"]["amount"]) == ("70.00", "125.00")
    assert body["delta_total"]["amount"] == "55.00"
    deltas = {row["partner_id"]: row["delta"] for row in body["partners"]}
    assert deltas == {str(anna): "40.00", str(ben): "-5.00", str(cleo): "20.00"}
    assert [r["partner_id"] for r in body["top_gainers"]] == [str(anna)]
    assert [r["partner_id"] for r in body["top_losers"]] == [str(ben)]

    # the same numbers from real runs of each side
    baseline_run = await payouts(client, await a_run(client, published))
    other = await a_programme(client, WHOLE)
    candidate_run = await payouts(client, await a_run(client, other))
    for row in body["partners"]:
        assert Decimal(row["baseline"]) == Decimal(baseline_run[row["partner_id"]]["amount"]["amount"])
        assert Decimal(row["candidate"]) == Decimal(candidate_run[row["partner_id"]]["amount"]["amount"])


async def test_a_backtest_side_names_exactly_one_version(client: httpx.AsyncClient, db: AsyncSession) -> None:
    published = await a_programme(client)
    both = {"version": 1, "terms": terms()}
    answer = await client.post(
        "/v1/backtests",
        json={
            "programme_id": published["programme_id"],
            "period": "2026-Q1",
            "baseline": both,
            "candidate": {"version": 1},
        },
    )
    missing = await client.post(
        "/v1/backtests",
        json={
            "programme_id": published["programme_id"],
            "period": "2026-Q1",
            "baseline": {"version": 9},
            "candidate": {"version": 1},
        },
    )
    past_any_version = await client.post(
        "/v1/backtests",
        json={
            "programme_id": published["programme_id"],
            "period": "2026-Q1",
            "baseline": {"version": 2**70},
            "candidate": {"version": 1},
        },
    )
    assert answer.status_code == 422
    assert missing.status_code == 404
    assert past_any_version.status_code == 422  # refused by its bound, not an overflow in the database
    assert past_any_version.json()["errors"][0]["loc"] == ["body", "baseline", "version"]


async def test_a_backtest_whose_total_is_beyond_an_amount_is_a_422_storing_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    for _ in range(3):
        await a_line(db, await a_partner(db), "900000000000000.00", on=date(2026, 2, 1))
    published = await a_programme(client, rebate("1"))
    before = await _row_counts(db)

    answer = await client.post(
        "/v1/backtests",
        json={
            "programme_id": published["programme_id"],
            "period": "2026-Q1",
            "as_of": "2026-12-31",
            "baseline": {"version": 1},
            "candidate": {"version": 1},
        },
    )

    # each payout 900,000,000,000,000.00 fits an amount; the total 2,700,000,000,000,000.00 (16 digits) does
    # not: the answer a run storing it gets, not a 500
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [issue["type"] for issue in answer.json()["errors"]] == ["number_out_of_range"]
    assert await _row_counts(db) == before
