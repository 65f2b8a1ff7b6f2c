"""A version's eligibility names tiers and regions as the registry holds them. A tier key the registry's ladder
lacks ("Gold" for `gold`) would pay nobody: it is refused naming the ladder's keys, nothing stored. Regions are
free text in the registry, which compares them ignoring case and runs of spaces: so do runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from fastapi import FastAPI
from incentives.models import Base
from prm_contracts.clients.registry import RegistryClient
from sqlalchemy.ext.asyncio import AsyncSession

from ..calculation_runs.helpers import (
    a_line,
    a_partner,
    a_programme,
    a_run,
    payout_lines,
    payouts,
    programme_body,
    rebate,
    terms,
)
from ..replica.factories import FakeRegistry

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture(loop_scope="session")
async def registry(app: FastAPI) -> AsyncIterator[FakeRegistry]:
    """The registry with its seeded ladder (the app's state is restored after)."""
    fake = FakeRegistry()
    async with httpx.AsyncClient(transport=fake.transport(), base_url="http://registry") as http:
        app.state.registry = RegistryClient(http)
        yield fake


async def _row_counts(db: AsyncSession) -> dict[str, int]:
    return {
        name: await db.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        for name, table in sorted(Base.metadata.tables.items())
    }


async def _writes(client: httpx.AsyncClient, draft: dict[str, Any], tiers: list[str]) -> list[httpx.Response]:
    """Every way terms come in, with these tiers: a new programme, a new version, a replaced draft, and a
    backtest's inline candidate."""
    programme = draft["programme_id"]
    eligibility = {"tiers": tiers}
    return [
        await client.post("/v1/programmes", json=programme_body(rebate("0.05"), eligibility=eligibility)),
        await client.post(
            f"/v1/programmes/{programme}/versions", json=terms(rebate("0.05"), eligibility=eligibility)
        ),
        await client.put(
            f"/v1/programmes/{programme}/versions/1",
            json=terms(rebate("0.05"), eligibility=eligibility),
            headers={"If-Match": '"1"'},
        ),
        await client.post(
            "/v1/backtests",
            json={
                "programme_id": programme,
                "period": "2026-Q1",
                "baseline": {"version": 1},
                "candidate": {"terms": terms(rebate("0.05"), eligibility=eligibility)},
            },
        ),
    ]


async def test_a_tier_key_the_registry_lacks_is_refused_naming_its_tiers_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    draft = await a_programme(client, publish=False)
    before = await _row_counts(db)

    answers = await _writes(client, draft, ["gold", "Gold", "platinium"])

    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["type"].endswith("/unknown-tier")
        assert problem["detail"] == (
            "eligibility.tiers: the registry has no tier 'Gold', 'platinium' (tier keys are lower-case); "
            "its tiers are registered, silver, gold, platinum"
        )
        assert [error["loc"][-3:] for error in problem["errors"]] == [
            ["eligibility", "tiers", 1],
            ["eligibility", "tiers", 2],
        ]
        assert problem["known_tiers"] == ["registered", "silver", "gold", "platinum"]
    assert await _row_counts(db) == before
    unchanged = await client.get(f"/v1/programmes/{draft['programme_id']}/versions/1")
    assert unchanged.json()["eligibility"]["tiers"] is None


async def test_tier_keys_of_the_ladder_are_taken(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    await a_line(db, await a_partner(db), "100.00")
    draft = await a_programme(client, publish=False)

    answers = await _writes(client, draft, ["gold", "platinum"])

    assert [answer.status_code for answer in answers] == [201, 201, 200, 200], [a.text for a in answers]
    assert answers[0].json()["eligibility"]["tiers"] == ["gold", "platinum"]


async def test_tiers_that_cannot_be_checked_are_503_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    draft = await a_programme(client, publish=False)
    before = await _row_counts(db)
    registry.down = True

    answers = await _writes(client, draft, ["gold"])
    without_tiers = await client.post("/v1/programmes", json=programme_body(rebate("0.05")))

    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "5"
        assert "the registry" in answer.json()["detail"]
    assert without_tiers.status_code == 201  # no tier named: nothing to ask the registry
    after = await _row_counts(db)
    assert (after["programme"], after["programme_version"]) == (
        before["programme"] + 1,
        before["programme_version"] + 1,
    )


async def test_regions_match_as_the_registry_compares_them_ignoring_case_and_runs_of_spaces(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    anna = await a_partner(db, region="EMEA")
    ben = await a_partner(db, region="UK &  Ireland")
    cleo = await a_partner(db, region="DACH")
    for partner in (anna, ben, cleo):
        await a_line(db, partner, "1000.00", on=date(2026, 2, 10))
    programme = await a_programme(client, rebate("0.05"), eligibility={"regions": ["emea", "Uk & IRELAND"]})

    run = await a_run(client, programme)

    paid = await payouts(client, run)
    # anna and ben: 1,000 * 5 % = 50.00 each; cleo's DACH is not named
    assert {partner: p["amount"]["amount"] for partner, p in paid.items()} == {
        str(anna): "50.00",
        str(ben): "50.00",
    }
    for partner in (anna, ben):  # the per-line trace (the reference calculator) agrees with the run
        traced = await payout_lines(client, run["id"], partner)
        assert sum(Decimal(line["payout"]) for line in traced) == Decimal("50.00")
