"""Every query of the partner replica."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from prm_kit.db.core import insert_on_conflict
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.partners.models import (
    DealRegistrationOutcome,
    PartnerDimension,
    PartnerStatusPeriod,
    PartnerTierPeriod,
)


async def insert_if_absent(session: AsyncSession, model: type[Any], values: dict[str, Any]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: a history entry already kept (a redelivered event) is kept once."""
    await session.execute(insert_on_conflict(session, model).values(**values).on_conflict_do_nothing())


async def dimension_for_update(session: AsyncSession, partner_id: UUID, *, now: datetime) -> PartnerDimension:
    """The partner's row, locked; created empty the first time the partner is heard of."""
    await insert_if_absent(session, PartnerDimension, {"partner_id": partner_id, "updated_at": now})
    row: PartnerDimension | None = await session.scalar(
        sa.select(PartnerDimension)
        .where(PartnerDimension.partner_id == partner_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None  # inserted just above if it was missing
    return row


async def dimension(session: AsyncSession, partner_id: UUID) -> PartnerDimension | None:
    row: PartnerDimension | None = await session.get(PartnerDimension, partner_id)
    return row


async def deal_for_update(
    session: AsyncSession, deal_registration_id: UUID
) -> DealRegistrationOutcome | None:
    row: DealRegistrationOutcome | None = await session.scalar(
        sa.select(DealRegistrationOutcome)
        .where(DealRegistrationOutcome.deal_registration_id == deal_registration_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return row


async def add(session: AsyncSession, row: Any) -> None:
    session.add(row)
    await session.flush()


async def tier_on(session: AsyncSession, partner_id: UUID, day: date) -> str | None:
    """The tier the partner held on `day` by its tier history (the latest decision wins a tie)."""
    tier: str | None = await session.scalar(
        sa.select(PartnerTierPeriod.tier)
        .where(PartnerTierPeriod.partner_id == partner_id, PartnerTierPeriod.valid_from <= day)
        .order_by(PartnerTierPeriod.valid_from.desc(), PartnerTierPeriod.changed_at.desc())
        .limit(1)
    )
    return tier


async def status_at(session: AsyncSession, partner_id: UUID, moment: datetime) -> str | None:
    """The status the partner held at `moment` by its status history."""
    status: str | None = await session.scalar(
        sa.select(PartnerStatusPeriod.status)
        .where(PartnerStatusPeriod.partner_id == partner_id, PartnerStatusPeriod.valid_from <= moment)
        .order_by(PartnerStatusPeriod.valid_from.desc())
        .limit(1)
    )
    return status
