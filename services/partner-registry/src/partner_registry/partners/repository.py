"""Every query of the partners domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from prm_kit.db import UTCDateTime
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from partner_registry.agreements.models import Agreement, current_on
from partner_registry.paging import KeysetPosition
from partner_registry.partners.models import Partner, PartnerHistoryEntry, PartnerSpecialisation
from partner_registry.partners.schemas import HistoryKind, PartnerFilters, PartnerSort


async def partner_by_id(
    session: AsyncSession, partner_id: UUID, *, for_update: bool = False
) -> Partner | None:
    """The partner with its specialisations; `for_update` locks its row until the transaction ends."""
    statement = (
        sa.select(Partner)
        .where(Partner.id == partner_id)
        .options(selectinload(Partner.specialisations))
        .execution_options(populate_existing=True)
    )
    if for_update:
        statement = statement.with_for_update(of=Partner)
    partner: Partner | None = (await session.scalars(statement)).one_or_none()
    return partner


async def partner_exists(session: AsyncSession, partner_id: UUID) -> bool:
    return (await session.scalar(sa.select(Partner.id).where(Partner.id == partner_id))) is not None


async def registration_holder(
    session: AsyncSession, country: str, key: str, *, other_than: UUID | None = None
) -> UUID | None:
    """The partner registered in `country` under the registration number key `key`, if any."""
    statement = sa.select(Partner.id).where(
        Partner.country == country, Partner.registration_number_key == key
    )
    if other_than is not None:
        statement = statement.where(Partner.id != other_than)
    holder: UUID | None = await session.scalar(statement)
    return holder


async def add_partner(session: AsyncSession, partner: Partner) -> None:
    session.add(partner)
    await session.flush()


def _sort_key(sort: PartnerSort) -> tuple[sa.ColumnElement[Any], bool]:
    """The SQL expression a sort orders by (the indexed one), and whether it is descending."""
    name = sort.value.removeprefix("-")
    expression: Any = {
        "display_name": sa.func.lower(Partner.display_name),
        "legal_name": sa.func.lower(Partner.legal_name),
        "created_at": Partner.created_at,
    }[name]
    return expression, sort.value.startswith("-")


def _like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def partner_page(
    session: AsyncSession,
    filters: PartnerFilters,
    sort: PartnerSort,
    *,
    after: KeysetPosition | None,
    limit: int,
    only_partner_id: UUID | None = None,
) -> list[tuple[Partner, Any]]:
    """Up to `limit` partners after `after` in `sort` order, each with its sort key value (for the cursor)."""
    key, descending = _sort_key(sort)
    statement = sa.select(Partner, key).options(selectinload(Partner.specialisations))
    conditions: list[sa.ColumnElement[bool]] = []
    if only_partner_id is not None:
        conditions.append(Partner.id == only_partner_id)
    if filters.partner_types:
        conditions.append(Partner.partner_type.in_([t.value for t in filters.partner_types]))
    if filters.statuses:
        conditions.append(Partner.status.in_([s.value for s in filters.statuses]))
    if filters.tiers:
        conditions.append(Partner.tier.in_(filters.tiers))
    if filters.countries:
        conditions.append(Partner.country.in_(filters.countries))
    if filters.regions:
        conditions.append(Partner.region.in_(filters.regions))
    if filters.specialisations:
        conditions.append(
            sa.exists().where(
                PartnerSpecialisation.partner_id == Partner.id,
                PartnerSpecialisation.value_key.in_(filters.specialisations),
            )
        )
    if filters.registration_number_key is not None:
        conditions.append(Partner.registration_number_key == filters.registration_number_key)
    if filters.website_domain is not None:
        conditions.append(Partner.website_domain == filters.website_domain)
    if filters.has_current_agreement is not None and filters.today is not None:
        current = sa.exists().where(Agreement.partner_id == Partner.id, current_on(filters.today))
        conditions.append(current if filters.has_current_agreement else ~current)
    if filters.name_contains:
        # lower(...) LIKE '%…%': the trigram GIN indexes serve this on PostgreSQL; SQLite scans
        pattern = _like_pattern(filters.name_contains)
        conditions.append(
            sa.or_(
                sa.func.lower(Partner.display_name).like(pattern, escape="\\"),
                sa.func.lower(Partner.legal_name).like(pattern, escape="\\"),
            )
        )
    if after is not None:
        last_key: Any = after.key
        if sort.value.removeprefix("-") == "created_at":
            last_key = sa.literal(datetime.fromisoformat(after.key), UTCDateTime())
        position = sa.tuple_(key, Partner.id)
        bound = sa.tuple_(last_key, sa.literal(after.id, sa.Uuid()))
        conditions.append(position < bound if descending else position > bound)
    order = (key.desc(), Partner.id.desc()) if descending else (key.asc(), Partner.id.asc())
    rows = await session.execute(statement.where(*conditions).order_by(*order).limit(limit))
    return [(row[0], row[1]) for row in rows.all()]


async def add_history_entry(session: AsyncSession, entry: PartnerHistoryEntry) -> None:
    session.add(entry)
    await session.flush()


async def history_page(
    session: AsyncSession,
    partner_id: UUID,
    *,
    kinds: Sequence[HistoryKind],
    after: KeysetPosition | None,
    limit: int,
) -> list[PartnerHistoryEntry]:
    """A partner's history, newest first."""
    statement = sa.select(PartnerHistoryEntry).where(PartnerHistoryEntry.partner_id == partner_id)
    if kinds:
        statement = statement.where(PartnerHistoryEntry.kind.in_([k.value for k in kinds]))
    if after is not None:
        statement = statement.where(
            sa.tuple_(PartnerHistoryEntry.occurred_at, PartnerHistoryEntry.id)
            < sa.tuple_(
                sa.literal(datetime.fromisoformat(after.key), UTCDateTime()),
                sa.literal(after.id, sa.Uuid()),
            )
        )
    statement = statement.order_by(PartnerHistoryEntry.occurred_at.desc(), PartnerHistoryEntry.id.desc())
    return list((await session.scalars(statement.limit(limit))).all())
