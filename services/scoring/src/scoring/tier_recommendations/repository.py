"""Every query of tier recommendations."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.scoring import TierRecommendationStatus
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.tier_recommendations.models import TierRecommendation


async def open_of(session: AsyncSession, partner_id: UUID) -> TierRecommendation | None:
    found: TierRecommendation | None = await session.scalar(
        sa.select(TierRecommendation)
        .where(
            TierRecommendation.partner_id == partner_id,
            TierRecommendation.status == TierRecommendationStatus.OPEN.value,
        )
        .with_for_update()
    )
    return found


async def by_ids(
    session: AsyncSession, ids: list[UUID], *, for_update: bool = False
) -> dict[UUID, TierRecommendation]:
    statement = sa.select(TierRecommendation).where(TierRecommendation.id.in_(ids))
    if for_update:
        statement = statement.with_for_update()
    return {row.id: row for row in await session.scalars(statement)}


async def by_id(session: AsyncSession, recommendation_id: UUID) -> TierRecommendation | None:
    found: TierRecommendation | None = await session.get(TierRecommendation, recommendation_id)
    return found


async def add(session: AsyncSession, recommendation: TierRecommendation) -> None:
    session.add(recommendation)
    await session.flush()


async def page(
    session: AsyncSession,
    *,
    partner_id: UUID | None,
    status: str | None,
    action: str | None,
    current_tier: str | None,
    after: KeysetPosition[datetime] | None,
    limit: int,
) -> list[TierRecommendation]:
    """Recommendations newest first, filtered."""
    statement = sa.select(TierRecommendation).where(
        keyset_after(TierRecommendation.created_at, TierRecommendation.id, after, descending=True)
    )
    if partner_id is not None:
        statement = statement.where(TierRecommendation.partner_id == partner_id)
    if status is not None:
        statement = statement.where(TierRecommendation.status == status)
    if action is not None:
        statement = statement.where(TierRecommendation.action == action)
    if current_tier is not None:
        statement = statement.where(TierRecommendation.current_tier == current_tier)
    statement = statement.order_by(
        *keyset_order(TierRecommendation.created_at, TierRecommendation.id, descending=True)
    ).limit(limit)
    return list((await session.scalars(statement)).all())
