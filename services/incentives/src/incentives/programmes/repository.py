"""Every query of the programmes domain."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.incentives import VersionStatus
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.programmes.models import Programme, ProgrammeVersion


async def programme_by_id(session: AsyncSession, programme_id: UUID) -> Programme | None:
    found: Programme | None = await session.get(Programme, programme_id)
    return found


async def name_taken(session: AsyncSession, name: str) -> bool:
    return (await session.scalar(sa.select(sa.func.count()).where(Programme.name == name))) != 0


async def lock_programme(session: AsyncSession, programme_id: UUID) -> Programme | None:
    """The programme row locked: version numbers and publications of one programme go one at a time."""
    found: Programme | None = await session.scalar(
        sa.select(Programme)
        .where(Programme.id == programme_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


async def programme_page(
    session: AsyncSession, *, after: KeysetPosition[str] | None, limit: int
) -> list[Programme]:
    statement = (
        sa.select(Programme)
        .where(keyset_after(Programme.name, Programme.id, after, descending=False))
        .order_by(*keyset_order(Programme.name, Programme.id, descending=False))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def latest_numbers(session: AsyncSession, programme_ids: list[UUID]) -> dict[UUID, int]:
    if not programme_ids:
        return {}
    rows = await session.execute(
        sa.select(ProgrammeVersion.programme_id, sa.func.max(ProgrammeVersion.number))
        .where(ProgrammeVersion.programme_id.in_(programme_ids))
        .group_by(ProgrammeVersion.programme_id)
    )
    return {programme_id: latest for programme_id, latest in rows.all()}


async def version(
    session: AsyncSession, programme_id: UUID, number: int, *, for_update: bool = False
) -> ProgrammeVersion | None:
    statement = (
        sa.select(ProgrammeVersion)
        .where(ProgrammeVersion.programme_id == programme_id, ProgrammeVersion.number == number)
        .execution_options(populate_existing=True)
    )
    if for_update:
        statement = statement.with_for_update()
    found: ProgrammeVersion | None = await session.scalar(statement)
    return found


async def version_page(
    session: AsyncSession, programme_id: UUID, *, after: KeysetPosition[int] | None, limit: int
) -> list[ProgrammeVersion]:
    statement = (
        sa.select(ProgrammeVersion)
        .where(
            ProgrammeVersion.programme_id == programme_id,
            keyset_after(ProgrammeVersion.number, ProgrammeVersion.id, after, descending=True),
        )
        .order_by(*keyset_order(ProgrammeVersion.number, ProgrammeVersion.id, descending=True))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def published_overlapping(
    session: AsyncSession, programme_id: UUID, first: date, last: date | None
) -> list[ProgrammeVersion]:
    """Published versions of the programme whose effective days meet [first, last] (last None: open-ended)."""
    statement = sa.select(ProgrammeVersion).where(
        ProgrammeVersion.programme_id == programme_id,
        ProgrammeVersion.status == VersionStatus.PUBLISHED.value,
        sa.or_(ProgrammeVersion.effective_to.is_(None), ProgrammeVersion.effective_to >= first),
    )
    if last is not None:
        statement = statement.where(ProgrammeVersion.effective_from <= last)
    return list((await session.scalars(statement.order_by(ProgrammeVersion.number))).all())


async def add(session: AsyncSession, *rows: Programme | ProgrammeVersion) -> None:
    session.add_all(rows)
    await session.flush()


async def version_by_id(session: AsyncSession, version_id: UUID) -> ProgrammeVersion:
    found: ProgrammeVersion = await session.get_one(ProgrammeVersion, version_id)
    return found
