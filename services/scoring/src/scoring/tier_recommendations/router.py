"""HTTP of tier recommendations: list and read them, queue a run, apply one or many through the registry."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from prm_contracts.pagination import Page
from prm_contracts.scoring import (
    TierAction,
    TierRecommendationApplicationIn,
    TierRecommendationApplicationOut,
    TierRecommendationOut,
    TierRecommendationRunIn,
    TierRecommendationRunOut,
    TierRecommendationStatus,
)
from prm_contracts.tiers import TierKeyValue
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from scoring.clients import RegistryDep
from scoring.tier_recommendations import service

router = APIRouter(prefix="/v1/tier-recommendations", tags=["tier-recommendations"])

READ = require("scoring:read")
WRITE = require("scoring:write")


@router.get(
    "",
    response_model=Page[TierRecommendationOut],
    summary="List tier recommendations",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_tier_recommendations(
    session: SessionDep,
    who: PrincipalDep,
    partner_id: Annotated[UUID | None, Query(description="Only this partner's.")] = None,
    status: Annotated[
        TierRecommendationStatus | None, Query(description="open, applied or superseded.")
    ] = None,
    action: Annotated[TierAction | None, Query(description="promote, keep or demote.")] = None,
    tier: Annotated[TierKeyValue | None, Query(description="Only partners currently in this tier.")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[TierRecommendationOut]:
    """Recommendations newest first, each with its reasons, the gap to the partner's next tier and its
    demotion risk. A partner's own credential sees its own only."""
    return await service.list_recommendations(
        session,
        viewer=who,
        partner_id=partner_id,
        status=status,
        action=action,
        current_tier=tier,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/{recommendation_id:uuid}",
    response_model=TierRecommendationOut,
    summary="Get a tier recommendation",
    responses=problems(403, 404),
    dependencies=[READ],
)
async def get_tier_recommendation(
    recommendation_id: UUID, session: SessionDep, who: PrincipalDep
) -> TierRecommendationOut:
    """One recommendation; another partner's is 404 to a partner's own credential."""
    return await service.get_recommendation(session, recommendation_id, viewer=who)


@router.post(
    "/runs",
    status_code=202,
    response_model=TierRecommendationRunOut,
    summary="Recompute tier recommendations",
    responses=problems(403, 422),
    dependencies=[WRITE],
)
async def run_tier_recommendations(
    body: TierRecommendationRunIn, session: SessionDep, who: PrincipalDep, now: NowDep
) -> TierRecommendationRunOut:
    """Queues the partners named (up to 10,000), or every partner scoring knows, for a refresh: the worker
    reads the tier ladder, their revenue over the trailing 12 months and their certified staff, and stores a
    promote / keep / demote recommendation for each (events keep them fresh in between; use this after the
    ladder changed). Repeating it is harmless. Not open to a partner's own credential."""
    return await service.run(session, body, actor=who, now=now)


@router.post(
    "/applications",
    response_model=TierRecommendationApplicationOut,
    summary="Apply tier recommendations",
    responses=problems(403, 422),
    dependencies=[WRITE],
)
async def apply_tier_recommendations(
    body: TierRecommendationApplicationIn,
    session: SessionDep,
    who: PrincipalDep,
    registry: RegistryDep,
    now: NowDep,
) -> TierRecommendationApplicationOut:
    """Carries out open promote/demote recommendations (up to 100) through the registry's tier change, one by
    one, and records who applied each, when, and the registry's tier change. The answer has one item per id:
    applied, or why not (unknown, not open, a `keep`, or the registry's refusal, e.g. the partner already
    holds the tier). A recommendation the registry had applied already is recorded as applied. Not open to a
    partner's own credential."""
    return await service.apply(session, registry, body, actor=who, now=now)
