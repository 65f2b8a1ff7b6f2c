"""Every query of the agreements domain."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.agreements import AgreementStatus
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.agreements.models import Agreement, current_on
from partner_registry.partners.models import Partner


async def agreement_of(session: AsyncSession, partner_id: UUID, agreement_id: UUID) -> Agreement | None:
    agreement: Agreement | None = await session.scalar(
        sa.select(Agreement)
        .where(Agreement.id == agreement_id, Agreement.partner_id == partner_id)
        .execution_options(populate_existing=True)
    )
    return agreement


async def agreement_page(
    session: AsyncSession,
    partner_id: UUID,
    *,
    statuses: list[AgreementStatus],
    after: KeysetPosition[date] | None,
    limit: int,
) -> list[Agreement]:
    """A partner's agreements, the latest start first."""
    statement = sa.select(Agreement).where(Agreement.partner_id == partner_id)
    if statuses:
        statement = statement.where(Agreement.status.in_([s.value for s in statuses]))
    statement = (
        statement.where(keyset_after(Agreement.starts_on, Agreement.id, after, descending=True))
        .order_by(*keyset_order(Agreement.starts_on, Agreement.id, descending=True))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def current_agreement_id(session: AsyncSession, partner_id: UUID, on: date) -> UUID | None:
    """An agreement of the partner that is active and runs on the day `on`, if there is one."""
    found: UUID | None = await session.scalar(
        sa.select(Agreement.id).where(Agreement.partner_id == partner_id, current_on(on)).limit(1)
    )
    return found


async def ended_active_agreements(session: AsyncSession, *, before: date, limit: int) -> list[Agreement]:
    """Active agreements that ended before the day `before`, locked with their partner (as every change to
    an agreement is); agreements whose row or partner another transaction holds are skipped."""
    statement = (
        sa.select(Agreement)
        .join(Partner, Partner.id == Agreement.partner_id)
        .where(Agreement.status == AgreementStatus.ACTIVE.value, Agreement.ends_on < before)
        .order_by(Agreement.ends_on, Agreement.id)
        .limit(limit)
        .with_for_update(of=[Agreement, Partner], skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return list((await session.scalars(statement)).all())


async def add_agreement(session: AsyncSession, agreement: Agreement) -> None:
    session.add(agreement)
    await session.flush()


async def remove_agreement(session: AsyncSession, agreement: Agreement) -> None:
    await session.delete(agreement)
    await session.flush()
