"""Every query of the tiers domain."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.partners.models import Partner
from partner_registry.tiers.models import PartnerTierChange, Tier


async def tier_by_id(session: AsyncSession, tier_id: UUID, *, for_update: bool = False) -> Tier | None:
    statement = sa.select(Tier).where(Tier.id == tier_id).execution_options(populate_existing=True)
    if for_update:
        statement = statement.with_for_update()
    tier: Tier | None = await session.scalar(statement)
    return tier


async def tier_by_key(session: AsyncSession, key: str, *, for_share: bool = False) -> Tier | None:
    """The tier with `key`; `for_share` keeps it from being deleted until the transaction ends."""
    statement = sa.select(Tier).where(Tier.key == key).execution_options(populate_existing=True)
    if for_share:
        statement = statement.with_for_update(read=True)
    tier: Tier | None = await session.scalar(statement)
    return tier


async def tier_keys(session: AsyncSession) -> list[str]:
    """Every key of the ladder, lowest rank first."""
    return list((await session.scalars(sa.select(Tier.key).order_by(Tier.rank))).all())


async def tier_id_with_key(session: AsyncSession, key: str) -> UUID | None:
    found: UUID | None = await session.scalar(sa.select(Tier.id).where(Tier.key == key))
    return found


async def tier_id_with_rank(
    session: AsyncSession, rank: int, *, other_than: UUID | None = None
) -> UUID | None:
    statement = sa.select(Tier.id).where(Tier.rank == rank)
    if other_than is not None:
        statement = statement.where(Tier.id != other_than)
    found: UUID | None = await session.scalar(statement)
    return found


async def tier_page(
    session: AsyncSession, *, keys: list[str], after: KeysetPosition[int] | None, limit: int
) -> list[Tier]:
    """The ladder from the lowest rank up."""
    statement = sa.select(Tier)
    if keys:
        statement = statement.where(Tier.key.in_(keys))
    statement = (
        statement.where(keyset_after(Tier.rank, Tier.id, after, descending=False))
        .order_by(*keyset_order(Tier.rank, Tier.id, descending=False))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def add_tier(session: AsyncSession, tier: Tier) -> None:
    session.add(tier)
    await session.flush()


async def remove_tier(session: AsyncSession, tier: Tier) -> None:
    await session.delete(tier)
    await session.flush()


async def partners_holding(session: AsyncSession, key: str) -> int:
    """How many partners hold the tier `key`."""
    count = await session.scalar(sa.select(sa.func.count()).select_from(Partner).where(Partner.tier == key))
    return int(count or 0)


async def last_tier_change(session: AsyncSession, partner_id: UUID) -> PartnerTierChange | None:
    change: PartnerTierChange | None = await session.scalar(
        sa.select(PartnerTierChange)
        .where(PartnerTierChange.partner_id == partner_id)
        .order_by(PartnerTierChange.changed_at.desc(), PartnerTierChange.id.desc())
        .limit(1)
    )
    return change


async def tier_change_of_recommendation(
    session: AsyncSession, recommendation_id: UUID
) -> PartnerTierChange | None:
    change: PartnerTierChange | None = await session.scalar(
        sa.select(PartnerTierChange).where(PartnerTierChange.recommendation_id == recommendation_id)
    )
    return change


async def add_tier_change(session: AsyncSession, change: PartnerTierChange) -> None:
    session.add(change)
    await session.flush()


async def tier_change_page(
    session: AsyncSession,
    partner_id: UUID,
    *,
    after: KeysetPosition[datetime] | None,
    limit: int,
) -> list[PartnerTierChange]:
    """A partner's tier history, newest first (changes are recorded in the order of their effective days)."""
    statement = (
        sa.select(PartnerTierChange)
        .where(
            PartnerTierChange.partner_id == partner_id,
            keyset_after(PartnerTierChange.changed_at, PartnerTierChange.id, after, descending=True),
        )
        .order_by(*keyset_order(PartnerTierChange.changed_at, PartnerTierChange.id, descending=True))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())
