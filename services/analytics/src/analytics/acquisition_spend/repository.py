"""Every query of the acquisition-spend domain."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.acquisition_spend.models import AcquisitionSpend


async def spend_by_key(
    session: AsyncSession, partner_id: UUID, period: str, *, for_update: bool = False
) -> AcquisitionSpend | None:
    statement = sa.select(AcquisitionSpend).where(
        AcquisitionSpend.partner_id == partner_id, AcquisitionSpend.period == period
    )
    if for_update:
        statement = statement.with_for_update()
    spend: AcquisitionSpend | None = await session.scalar(statement.execution_options(populate_existing=True))
    return spend


async def add_spend(session: AsyncSession, spend: AcquisitionSpend) -> None:
    session.add(spend)
    await session.flush()


async def spend_page(
    session: AsyncSession,
    *,
    partner_id: UUID | None,
    period: str | None,
    after: KeysetPosition[str] | None,
    limit: int,
) -> list[AcquisitionSpend]:
    statement = sa.select(AcquisitionSpend).where(
        keyset_after(AcquisitionSpend.period, AcquisitionSpend.id, after, descending=False)
    )
    if partner_id is not None:
        statement = statement.where(AcquisitionSpend.partner_id == partner_id)
    if period is not None:
        statement = statement.where(AcquisitionSpend.period == period)
    statement = statement.order_by(
        *keyset_order(AcquisitionSpend.period, AcquisitionSpend.id, descending=False)
    )
    return list((await session.scalars(statement.limit(limit))).all())
