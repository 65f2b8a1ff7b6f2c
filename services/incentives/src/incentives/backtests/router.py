"""HTTP of what-if backtests: `/v1/backtests` (computes, stores nothing)."""

from __future__ import annotations

from fastapi import APIRouter
from prm_contracts.incentives import BacktestIn, BacktestOut
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.internal_auth import PrincipalDep, require

from incentives.backtests import service
from incentives.clients import AnalyticsDep, RegistryDep

router = APIRouter(prefix="/v1/backtests", tags=["backtests"])


@router.post(
    "",
    response_model=BacktestOut,
    summary="Compare two programme versions on a past period, storing nothing",
    responses=problems(403, 404, 422, 502, 503),
    dependencies=[require("incentives:write")],
)
async def create_backtest(
    body: BacktestIn,
    session: SessionDep,
    who: PrincipalDep,
    now: NowDep,
    analytics: AnalyticsDep,
    registry: RegistryDep,
) -> BacktestOut:
    """`candidate` and `baseline` are each a stored version (`version`, drafts included) or inline `terms`
    (a modified copy of a published version). Both are computed by the run's set-based calculator over the
    same lines (payouts rounded as a run rounds them, adjustments not included); the answer gives both
    totals, every partner's delta and the top gainers and losers. Nothing is stored (200, not 201). 422
    `fx-rates-missing` as a run would, and 422 (`number_out_of_range`) when a total is beyond what an amount
    holds, as a run storing it would; 422 `unknown-tier` for inline terms naming a tier the registry does not
    have (503 with `Retry-After` when the registry cannot answer)."""
    return await service.backtest(session, body, analytics, registry, actor=who, now=now)
