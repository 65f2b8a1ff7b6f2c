"""Every query of the improvement-plans domain."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.improvement_plans.models import ImprovementGoal, ImprovementPlan
from scoring.improvement_plans.schemas import PlanStatus


async def plan_by_id(
    session: AsyncSession, plan_id: UUID, *, for_update: bool = False
) -> ImprovementPlan | None:
    statement = sa.select(ImprovementPlan).where(ImprovementPlan.id == plan_id)
    if for_update:
        # fresh values: the request may have read this plan before it called another service
        statement = statement.with_for_update().execution_options(populate_existing=True)
    found: ImprovementPlan | None = (await session.scalars(statement)).one_or_none()
    return found


async def open_plans_of(
    session: AsyncSession, partner_id: UUID, *, for_update: bool
) -> list[ImprovementPlan]:
    statement = (
        sa.select(ImprovementPlan)
        .where(ImprovementPlan.partner_id == partner_id, ImprovementPlan.status == PlanStatus.OPEN.value)
        .order_by(ImprovementPlan.created_at, ImprovementPlan.id)
    )
    if for_update:
        statement = statement.with_for_update()
    return list((await session.scalars(statement)).all())


async def goals_of(session: AsyncSession, plan_ids: list[UUID]) -> dict[UUID, list[ImprovementGoal]]:
    """Each plan's goals, in the order they were given."""
    found: dict[UUID, list[ImprovementGoal]] = defaultdict(list)
    if not plan_ids:
        return found
    rows = await session.scalars(
        sa.select(ImprovementGoal)
        .where(ImprovementGoal.plan_id.in_(plan_ids))
        .order_by(ImprovementGoal.plan_id, ImprovementGoal.position)
        .execution_options(populate_existing=True)
    )
    for row in rows:
        found[row.plan_id].append(row)
    return found


async def plan_page(
    session: AsyncSession,
    *,
    partner_id: UUID | None,
    status: PlanStatus | None,
    after: KeysetPosition[datetime] | None,
    limit: int,
) -> list[ImprovementPlan]:
    """Plans, newest first; filtered by partner and status when given."""
    statement = sa.select(ImprovementPlan).where(
        keyset_after(ImprovementPlan.created_at, ImprovementPlan.id, after, descending=True)
    )
    if partner_id is not None:
        statement = statement.where(ImprovementPlan.partner_id == partner_id)
    if status is not None:
        statement = statement.where(ImprovementPlan.status == status.value)
    statement = statement.order_by(
        *keyset_order(ImprovementPlan.created_at, ImprovementPlan.id, descending=True)
    ).limit(limit)
    return list((await session.scalars(statement)).all())


async def add(session: AsyncSession, plan: ImprovementPlan, goals: list[ImprovementGoal]) -> None:
    session.add(plan)
    await session.flush()
    session.add_all(goals)
    await session.flush()
