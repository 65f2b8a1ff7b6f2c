"""Every query of the applications domain."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.applications.models import PartnerApplication
from partner_registry.applications.schemas import ApplicationFilters


async def application_by_id(
    session: AsyncSession, application_id: UUID, *, for_update: bool = False
) -> PartnerApplication | None:
    """The application; `for_update` locks its row until the transaction ends."""
    statement = (
        sa.select(PartnerApplication)
        .where(PartnerApplication.id == application_id)
        .execution_options(populate_existing=True)
    )
    if for_update:
        statement = statement.with_for_update()
    application: PartnerApplication | None = await session.scalar(statement)
    return application


async def add_application(session: AsyncSession, application: PartnerApplication) -> None:
    session.add(application)
    await session.flush()


async def application_page(
    session: AsyncSession,
    filters: ApplicationFilters,
    *,
    after: KeysetPosition[datetime] | None,
    limit: int,
    only_partner_id: UUID | None = None,
) -> list[PartnerApplication]:
    """Applications, newest first."""
    statement = sa.select(PartnerApplication)
    if only_partner_id is not None:
        statement = statement.where(PartnerApplication.partner_id == only_partner_id)
    if filters.statuses:
        statement = statement.where(PartnerApplication.status.in_([s.value for s in filters.statuses]))
    if filters.screening_statuses:
        statement = statement.where(
            PartnerApplication.screening_status.in_([s.value for s in filters.screening_statuses])
        )
    statement = (
        statement.where(
            keyset_after(PartnerApplication.created_at, PartnerApplication.id, after, descending=True)
        )
        .order_by(*keyset_order(PartnerApplication.created_at, PartnerApplication.id, descending=True))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())
