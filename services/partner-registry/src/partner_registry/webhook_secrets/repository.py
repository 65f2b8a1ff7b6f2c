"""Every query of the webhook secrets domain."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.webhook_secrets.models import PartnerWebhookSecret


def _valid_at(at: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        PartnerWebhookSecret.created_at <= at,
        sa.or_(PartnerWebhookSecret.expires_at.is_(None), PartnerWebhookSecret.expires_at > at),
    )


async def valid_secrets(
    session: AsyncSession, partner_id: UUID, *, at: datetime, for_update: bool = False
) -> list[PartnerWebhookSecret]:
    """The partner's secrets valid at `at`, newest first."""
    statement = (
        sa.select(PartnerWebhookSecret)
        .where(PartnerWebhookSecret.partner_id == partner_id, _valid_at(at))
        .order_by(*keyset_order(PartnerWebhookSecret.created_at, PartnerWebhookSecret.id, descending=True))
        .execution_options(populate_existing=True)
    )
    if for_update:
        statement = statement.with_for_update()
    return list((await session.scalars(statement)).all())


async def secret_of(session: AsyncSession, partner_id: UUID, secret_id: UUID) -> PartnerWebhookSecret | None:
    secret: PartnerWebhookSecret | None = await session.scalar(
        sa.select(PartnerWebhookSecret)
        .where(PartnerWebhookSecret.id == secret_id, PartnerWebhookSecret.partner_id == partner_id)
        .execution_options(populate_existing=True)
    )
    return secret


async def add_secret(session: AsyncSession, secret: PartnerWebhookSecret) -> None:
    session.add(secret)
    await session.flush()


async def secret_page(
    session: AsyncSession, partner_id: UUID, *, after: KeysetPosition[datetime] | None, limit: int
) -> list[PartnerWebhookSecret]:
    """Every secret the partner ever had, newest first."""
    secret = PartnerWebhookSecret
    statement = (
        sa.select(secret)
        .where(
            secret.partner_id == partner_id,
            keyset_after(secret.created_at, secret.id, after, descending=True),
        )
        .order_by(*keyset_order(secret.created_at, secret.id, descending=True))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())
