"""Who may do what, operation by operation, over every public operation of the incentives app.

Callers: a channel manager (incentives:write), an analyst (incentives:read), a credential without incentives
scopes, the paid partner's own credential (incentives:write, bound to it) and another partner's. A partner
reads programmes (how it is paid) and its own payouts and their lines (another's are 404, as if they did not
exist); it never changes programmes, runs, approves or pays, nor reads whole runs. A refused request stores
nothing. The test fails when an operation is added without a row here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from fastapi import FastAPI
from incentives.calculation_runs.models import CalculationRun
from incentives.programmes.models import ProgrammeVersion
from prm_contracts.clients.analytics import AnalyticsClient
from prm_kit.testing import StartedApps, access_groups, app_state_restored, internal_headers, undone
from sqlalchemy.ext.asyncio import AsyncSession

from .calculation_runs.helpers import (
    ANALYST,
    CHANNEL_MANAGER,
    OUTSIDER,
    FakeAnalytics,
    a_line,
    a_partner,
    a_programme,
    a_run,
    partner_user,
    programme_body,
    terms,
)

pytestmark = pytest.mark.asyncio

P = "/v1/programmes/{programme}"
V = P + "/versions/{number}"
R = "/v1/calculation-runs/{run}"
CALLS: dict[str, tuple[str, str, Any]] = {
    "list_programmes": ("GET", "/v1/programmes", None),
    "create_programme": ("POST", "/v1/programmes", "new programme"),
    "get_programme": ("GET", P, None),
    "list_programme_versions": ("GET", P + "/versions", None),
    "create_programme_version": ("POST", P + "/versions", terms(effective_from="2030-01-01")),
    "get_programme_version": ("GET", V, None),
    "replace_programme_version": ("PUT", V, terms()),
    "publish_programme_version": ("POST", V + "/publish", None),
    "create_calculation_run": ("POST", "/v1/calculation-runs", "run"),
    "list_calculation_runs": ("GET", "/v1/calculation-runs", None),
    "get_calculation_run": ("GET", R, None),
    "approve_calculation_run": ("POST", R + "/approval", None),
    "pay_calculation_run": ("POST", R + "/payment", None),
    "list_calculation_run_payouts": ("GET", R + "/payouts", None),
    "get_calculation_run_payout": ("GET", R + "/payouts/{partner}", None),
    "list_calculation_run_payout_lines": ("GET", R + "/payouts/{partner}/lines", None),
    "approve_calculation_run_payout": ("POST", R + "/payouts/{partner}/approval", None),
    "hold_calculation_run_payout": ("POST", R + "/payouts/{partner}/hold", {"reason": "checking"}),
    "release_calculation_run_payout": ("POST", R + "/payouts/{partner}/release", None),
    "create_adjustment": ("POST", "/v1/adjustments", "adjustment"),
    "list_adjustments": ("GET", "/v1/adjustments", None),
    "get_adjustment": ("GET", "/v1/adjustments/{adjustment}", None),
    "get_statement": ("GET", "/v1/statements/{partner}/2026-Q1", None),
    "get_statement_csv": ("GET", "/v1/statements/{partner}/2026-Q1.csv", None),
    "get_statement_html": ("GET", "/v1/statements/{partner}/2026-Q1.html", None),
    "list_payables": ("GET", "/v1/payables", None),
    "export_payables": ("GET", "/v1/payables/export.csv", None),
    "create_backtest": ("POST", "/v1/backtests", "backtest"),
}
CALLERS = ["channel manager", "analyst", "outsider", "own partner", "other partner"]
MATRIX = {
    "list_programmes": (200, 200, 403, 200, 200),
    "create_programme": (201, 403, 403, 403, 403),
    "get_programme": (200, 200, 403, 200, 200),
    "list_programme_versions": (200, 200, 403, 200, 200),
    "create_programme_version": (201, 403, 403, 403, 403),
    "get_programme_version": (200, 200, 403, 200, 200),
    "replace_programme_version": (200, 403, 403, 403, 403),
    "publish_programme_version": (200, 403, 403, 403, 403),
    "create_calculation_run": (200, 403, 403, 403, 403),  # 200: the period's draft recomputed
    "list_calculation_runs": (200, 200, 403, 403, 403),
    "get_calculation_run": (200, 200, 403, 403, 403),
    "approve_calculation_run": (200, 403, 403, 403, 403),
    "pay_calculation_run": (409, 403, 403, 403, 403),  # allowed, but a draft is not paid
    "list_calculation_run_payouts": (200, 200, 403, 200, 200),
    "get_calculation_run_payout": (200, 200, 403, 200, 404),
    "list_calculation_run_payout_lines": (200, 200, 403, 200, 404),
    "approve_calculation_run_payout": (200, 403, 403, 403, 403),
    "hold_calculation_run_payout": (200, 403, 403, 403, 403),
    "release_calculation_run_payout": (409, 403, 403, 403, 403),  # allowed, but nothing is held
    "create_adjustment": (201, 403, 403, 403, 403),
    "list_adjustments": (200, 200, 403, 200, 200),
    "get_adjustment": (200, 200, 403, 200, 404),
    # the run is a draft: not final, so not shown to the partner itself either
    "get_statement": (200, 200, 403, 404, 404),
    "get_statement_csv": (200, 200, 403, 404, 404),
    "get_statement_html": (200, 200, 403, 404, 404),
    "list_payables": (200, 200, 403, 200, 200),
    "export_payables": (200, 200, 403, 200, 200),
    "create_backtest": (200, 403, 403, 403, 403),
}


@pytest_asyncio.fixture(loop_scope="session")
async def app(service_apps: StartedApps) -> AsyncIterator[FastAPI]:
    shared = await service_apps.get()
    with app_state_restored(shared):
        async with httpx.AsyncClient(
            transport=FakeAnalytics().transport(), base_url="http://analytics"
        ) as http:
            shared.state.analytics = AnalyticsClient(http)
            yield shared


async def _counts(db: AsyncSession) -> tuple[int, int, list[str]]:
    versions = await db.scalar(sa.select(sa.func.count()).select_from(ProgrammeVersion))
    runs = await db.scalar(sa.select(sa.func.count()).select_from(CalculationRun))
    states = list((await db.scalars(sa.select(CalculationRun.status).order_by(CalculationRun.id))).all())
    return versions or 0, runs or 0, states


async def test_every_incentives_operation_has_a_row(app: FastAPI) -> None:
    operations = {
        operation["operationId"]
        for item in app.openapi()["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        and set(operation.get("tags", []))
        & {"programmes", "calculation-runs", "adjustments", "statements", "payables", "backtests"}
    }

    assert operations == set(MATRIX)


@dataclass(frozen=True)
class Arranged:
    partner: UUID
    other: UUID
    published: dict[str, Any]
    draft: dict[str, Any]
    run: dict[str, Any]
    adjustment: dict[str, Any]


async def _arrange(client: httpx.AsyncClient, db: AsyncSession) -> Arranged:
    """Two partners with a line each, a published and a draft programme, a run and an adjustment."""
    partner, other = await a_partner(db), await a_partner(db)
    await a_line(db, partner, "100.00")
    await a_line(db, other, "100.00")
    published = await a_programme(client)
    draft = await a_programme(client, publish=False)
    run = await a_run(client, published)
    adjustment = await client.post(
        "/v1/adjustments",
        json={
            "programme_id": published["programme_id"],
            "partner_id": str(partner),
            "period": "2026-Q1",
            "amount": {"amount": "1.00", "currency": "EUR"},
            "reason": "goodwill",
        },
    )
    assert adjustment.status_code == 201, adjustment.text
    return Arranged(partner, other, published, draft, run, adjustment.json())


def _body(call_name: str, arranged: Arranged) -> Any:
    published = arranged.published
    if call_name == "create_programme":
        return programme_body()
    if call_name == "create_adjustment":
        return {
            "programme_id": published["programme_id"],
            "partner_id": str(arranged.partner),
            "period": "2026-Q2",
            "amount": {"amount": "2.00", "currency": "EUR"},
            "reason": "goodwill",
        }
    if call_name == "create_backtest":
        return {
            "programme_id": published["programme_id"],
            "period": "2026-Q1",
            "baseline": {"version": 1},
            "candidate": {"terms": terms()},
        }
    if call_name == "create_calculation_run":
        return {"programme_id": published["programme_id"], "period": "2026-Q1", "as_of": "2026-12-31"}
    return CALLS[call_name][2]


@pytest.mark.parametrize("call_name", MATRIX)
async def test_access_matrix(client: httpx.AsyncClient, db: AsyncSession, call_name: str) -> None:
    method, path, _body_kind = CALLS[call_name]
    for group in access_groups(CALLERS, MATRIX[call_name], method):
        async with undone(db):
            arranged = await _arrange(client, db)
            for caller, expected in group:
                partner, other = arranged.partner, arranged.other
                version = (
                    arranged.draft
                    if call_name in {"replace_programme_version", "publish_programme_version"}
                    else arranged.published
                )
                principal = {
                    "channel manager": CHANNEL_MANAGER,
                    "analyst": ANALYST,
                    "outsider": OUTSIDER,
                    "own partner": partner_user(partner),
                    "other partner": partner_user(other),
                }[caller]
                headers = internal_headers(principal) | ({"If-Match": '"1"'} if method == "PUT" else {})
                before = await _counts(db)

                response = await client.request(
                    method,
                    path.format(
                        programme=version["programme_id"],
                        number=version["number"],
                        run=arranged.run["id"],
                        partner=partner,
                        adjustment=arranged.adjustment["id"],
                    ),
                    json=_body(call_name, arranged),
                    headers=headers,
                )

                assert response.status_code == expected, f"{caller}: {response.text}"
                if expected in {403, 404}:
                    assert await _counts(db) == before, caller
                if expected == 403:
                    assert response.json()["type"].endswith("/problems/forbidden")
                if call_name == "list_calculation_run_payouts" and caller in {"own partner", "other partner"}:
                    seen = [item["partner_id"] for item in response.json()["items"]]
                    assert seen == [str(partner if caller == "own partner" else other)]
