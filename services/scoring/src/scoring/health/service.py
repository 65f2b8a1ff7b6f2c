"""Partners at risk: the stored health of each partner (refreshed with its score), worst first."""

from __future__ import annotations

from uuid import UUID

from prm_contracts.pagination import Page
from prm_contracts.partners import PartnerType
from prm_contracts.principal import Principal
from prm_contracts.scoring import PartnerDimensions, PartnerHealthOut, SignalSeverity
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.health import repository
from scoring.health.rules import SEVERITY_RANK
from scoring.scores.models import PartnerScore

ORDER = "-health_rank"


def partner_health_out(row: PartnerScore) -> PartnerHealthOut:
    partner = (
        None
        if row.partner_type is None
        else PartnerDimensions(
            partner_type=row.partner_type,
            status=row.status or "",
            tier=row.tier,
            country=row.country or "",
            region=row.region,
        )
    )
    return PartnerHealthOut.model_validate(
        {"partner_id": row.partner_id, "partner": partner, "health": row.health}
    )


async def partners_at_risk(
    session: AsyncSession,
    *,
    viewer: Principal,
    min_severity: SignalSeverity,
    partner_id: UUID | None,
    tier: str | None,
    partner_type: PartnerType | None,
    region: str | None,
    limit: int,
    cursor: str | None,
) -> Page[PartnerHealthOut]:
    """Partners with a signal at least `min_severity`, the most severe first; a partner's own key sees only
    itself (another partner as an empty list)."""
    after = keyset_position(cursor, ORDER, int)
    if viewer.partner_id is not None:
        if partner_id is not None and partner_id != viewer.partner_id:
            return Page[PartnerHealthOut](items=[])
        partner_id = viewer.partner_id
    rows = await repository.at_risk_page(
        session,
        min_rank=SEVERITY_RANK[min_severity],
        partner_id=partner_id,
        tier=tier,
        partner_type=None if partner_type is None else partner_type.value,
        region=region,
        after=after,
        limit=limit + 1,
    )
    return page_of(
        rows,
        limit,
        out=partner_health_out,
        cursor_of=lambda row: keyset_cursor(ORDER, row.health_rank, row.partner_id),
    )
