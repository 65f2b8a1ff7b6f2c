"""Every query of the targets domain."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.targets.models import Target


async def target_by_key(
    session: AsyncSession, partner_id: UUID, metric: str, period: str, *, for_update: bool = False
) -> Target | None:
    statement = sa.select(Target).where(
        Target.partner_id == partner_id, Target.metric == metric, Target.period == period
    )
    if for_update:
        statement = statement.with_for_update()
    target: Target | None = await session.scalar(statement.execution_options(populate_existing=True))
    return target


async def other_currency(
    session: AsyncSession, partner_id: UUID, currency: str, *, besides: UUID | None
) -> Target | None:
    """A target of the partner in another currency than `currency`, other than the one `besides`."""
    statement = sa.select(Target).where(Target.partner_id == partner_id, Target.currency != currency)
    if besides is not None:
        statement = statement.where(Target.id != besides)
    target: Target | None = await session.scalar(statement.limit(1))
    return target


async def add_target(session: AsyncSession, target: Target) -> None:
    session.add(target)
    await session.flush()


async def target_page(
    session: AsyncSession,
    *,
    partner_id: UUID | None,
    metric: str | None,
    period: str | None,
    after: KeysetPosition[str] | None,
    limit: int,
) -> list[Target]:
    """Targets by period label (then id)."""
    statement = sa.select(Target).where(keyset_after(Target.period, Target.id, after, descending=False))
    if partner_id is not None:
        statement = statement.where(Target.partner_id == partner_id)
    if metric is not None:
        statement = statement.where(Target.metric == metric)
    if period is not None:
        statement = statement.where(Target.period == period)
    statement = statement.order_by(*keyset_order(Target.period, Target.id, descending=False)).limit(limit)
    return list((await session.scalars(statement)).all())


async def partner_targets(session: AsyncSession, partner_id: UUID, period: str | None) -> list[Target]:
    statement = sa.select(Target).where(Target.partner_id == partner_id)
    if period is not None:
        statement = statement.where(Target.period == period)
    return list((await session.scalars(statement.order_by(Target.first_day, Target.metric))).all())


async def period_targets(session: AsyncSession, period: str, metric: str | None) -> list[Target]:
    """Every partner's targets of one period label, by partner then metric."""
    statement = sa.select(Target).where(Target.period == period)
    if metric is not None:
        statement = statement.where(Target.metric == metric)
    return list((await session.scalars(statement.order_by(Target.partner_id, Target.metric))).all())
