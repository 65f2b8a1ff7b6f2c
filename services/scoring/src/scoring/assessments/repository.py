"""Every query of the assessments domain."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.assessments.models import Assessment, AssessmentCriterion


async def assessment_by_id(session: AsyncSession, assessment_id: UUID) -> Assessment | None:
    found: Assessment | None = await session.get(Assessment, assessment_id)
    return found


async def criteria_of(
    session: AsyncSession, assessment_ids: list[UUID]
) -> dict[UUID, list[AssessmentCriterion]]:
    """Each assessment's criterion rows, in the version's order."""
    found: dict[UUID, list[AssessmentCriterion]] = defaultdict(list)
    if not assessment_ids:
        return found
    rows = await session.scalars(
        sa.select(AssessmentCriterion)
        .where(AssessmentCriterion.assessment_id.in_(assessment_ids))
        .order_by(AssessmentCriterion.assessment_id, AssessmentCriterion.position)
    )
    for row in rows:
        found[row.assessment_id].append(row)
    return found


async def assessment_page(
    session: AsyncSession, *, partner_id: UUID | None, after: KeysetPosition[datetime] | None, limit: int
) -> list[Assessment]:
    """Assessments, newest first; one partner's when `partner_id` is given."""
    statement = sa.select(Assessment).where(
        keyset_after(Assessment.created_at, Assessment.id, after, descending=True)
    )
    if partner_id is not None:
        statement = statement.where(Assessment.partner_id == partner_id)
    statement = statement.order_by(
        *keyset_order(Assessment.created_at, Assessment.id, descending=True)
    ).limit(limit)
    return list((await session.scalars(statement)).all())


async def add(session: AsyncSession, assessment: Assessment, criteria: list[AssessmentCriterion]) -> None:
    session.add(assessment)
    await session.flush()
    session.add_all(criteria)
    await session.flush()
