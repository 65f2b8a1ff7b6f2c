"""Every query of the onboarding checklist."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from partner_registry.onboarding.models import OnboardingChecklist


async def checklist_of(session: AsyncSession, partner_id: UUID) -> OnboardingChecklist | None:
    """The partner's stored checklist with its items; None while it has never changed."""
    checklist: OnboardingChecklist | None = await session.scalar(
        sa.select(OnboardingChecklist)
        .where(OnboardingChecklist.partner_id == partner_id)
        .options(selectinload(OnboardingChecklist.items))
        .execution_options(populate_existing=True)
    )
    return checklist


async def add_checklist(session: AsyncSession, checklist: OnboardingChecklist) -> None:
    session.add(checklist)
    await session.flush()
