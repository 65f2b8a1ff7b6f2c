"""The partners a KPI export covers: every partner analytics knows (in the replica, with sales or with a
target, as `kpis.service.ensure_known` defines it), in keyset pages by id."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.partners.models import PartnerDimension
from analytics.sales.models import SalesDailyRollup
from analytics.targets.models import Target


async def known_partners(session: AsyncSession, *, after: UUID | None, limit: int) -> list[UUID]:
    known = sa.union(
        sa.select(PartnerDimension.partner_id.label("partner_id")),
        sa.select(SalesDailyRollup.partner_id).distinct(),
        sa.select(Target.partner_id).distinct(),
    ).subquery()
    statement = sa.select(known.c.partner_id)
    if after is not None:
        statement = statement.where(known.c.partner_id > after)
    return list(await session.scalars(statement.order_by(known.c.partner_id).limit(limit)))
