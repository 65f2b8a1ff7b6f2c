"""Every query on the `api_key` table."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.api_keys.models import ApiKey


async def add(session: AsyncSession, key: ApiKey) -> ApiKey:
    session.add(key)
    await session.flush()
    return key


async def by_id(session: AsyncSession, key_id: UUID) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def by_prefix(session: AsyncSession, prefix: str) -> ApiKey | None:
    found: ApiKey | None = await session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    return found


async def all_keys(session: AsyncSession) -> list[ApiKey]:
    rows = await session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id))
    return list(rows)


async def page(session: AsyncSession, *, limit: int, after: KeysetPosition[datetime] | None) -> list[ApiKey]:
    """Up to `limit` keys in creation order, strictly after the (created_at, id) position given."""
    query = (
        select(ApiKey)
        .where(keyset_after(ApiKey.created_at, ApiKey.id, after, descending=False))
        .order_by(*keyset_order(ApiKey.created_at, ApiKey.id, descending=False))
        .limit(limit)
    )
    return list(await session.scalars(query))


async def revoked_since(session: AsyncSession, since: datetime) -> list[UUID]:
    """Ids of the keys revoked at or after `since`."""
    rows = await session.scalars(select(ApiKey.id).where(ApiKey.revoked_at >= since))
    return list(rows)


async def mark_used(session: AsyncSession, key_id: UUID, at: datetime) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=at))
