"""HTTP of health signals: the partners at risk, most severe first."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from prm_contracts.pagination import Page
from prm_contracts.partners import PartnerType
from prm_contracts.scoring import PartnerHealthOut, SignalSeverity
from prm_contracts.tiers import TierKeyValue
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from scoring.health import service

router = APIRouter(prefix="/v1/health-signals", tags=["health-signals"])


@router.get(
    "",
    response_model=Page[PartnerHealthOut],
    summary="List partners at risk",
    responses=problems(403, 422),
    dependencies=[require("scoring:read")],
)
async def list_partners_at_risk(
    session: SessionDep,
    who: PrincipalDep,
    min_severity: Annotated[
        SignalSeverity, Query(description="Only partners with a signal at least this severe.")
    ] = SignalSeverity.WARNING,
    partner_id: Annotated[UUID | None, Query(description="Only this partner.")] = None,
    tier: Annotated[TierKeyValue | None, Query(description="Only partners in this tier.")] = None,
    partner_type: Annotated[PartnerType | None, Query(description="Only partners of this type.")] = None,
    region: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Only this region.")
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[PartnerHealthOut]:
    """Partners whose health signals fire, the most severe first, each with every signal's reason, severity
    and the values it compared: revenue down two periods in a row, target attainment under the threshold, an
    NPS drop, certifications expiring soon, no sale for too long, open compliance violations. Computed when
    the partner's score is refreshed (by events: registry changes, new KPIs). A partner's own credential sees
    only itself."""
    return await service.partners_at_risk(
        session,
        viewer=who,
        min_severity=min_severity,
        partner_id=partner_id,
        tier=tier,
        partner_type=partner_type,
        region=region,
        limit=limit,
        cursor=cursor,
    )
