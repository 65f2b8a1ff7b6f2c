"""Every query of health signals: partners at risk, read from the stored scores."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.scores.models import PartnerScore


async def at_risk_page(
    session: AsyncSession,
    *,
    min_rank: int,
    partner_id: UUID | None,
    tier: str | None,
    partner_type: str | None,
    region: str | None,
    after: KeysetPosition[int] | None,
    limit: int,
) -> list[PartnerScore]:
    """Partners whose worst signal is at least `min_rank` severe, the most severe first."""
    statement = sa.select(PartnerScore).where(
        PartnerScore.health_rank >= min_rank,
        PartnerScore.health.is_not(None),
        keyset_after(PartnerScore.health_rank, PartnerScore.partner_id, after, descending=True),
    )
    if partner_id is not None:
        statement = statement.where(PartnerScore.partner_id == partner_id)
    if tier is not None:
        statement = statement.where(PartnerScore.tier == tier)
    if partner_type is not None:
        statement = statement.where(PartnerScore.partner_type == partner_type)
    if region is not None:
        statement = statement.where(PartnerScore.region == region)
    statement = statement.order_by(
        *keyset_order(PartnerScore.health_rank, PartnerScore.partner_id, descending=True)
    ).limit(limit)
    return list((await session.scalars(statement)).all())
