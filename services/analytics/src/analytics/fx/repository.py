"""Every query of the FX domain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.fx.models import FxRate


async def stored_rates(
    session: AsyncSession, spans: Iterable[tuple[str, str, date, date]]
) -> dict[tuple[str, str, date], FxRate]:
    """The stored rates of each (base, quote, first day, last day) span, by (base, quote, date); locked so a
    concurrent correction of the same rates waits."""
    conditions = [
        sa.and_(FxRate.base == base, FxRate.quote == quote, FxRate.effective_on.between(first, last))
        for base, quote, first, last in spans
    ]
    if not conditions:
        return {}
    rows = await session.scalars(sa.select(FxRate).where(sa.or_(*conditions)).with_for_update())
    return {(row.base, row.quote, row.effective_on): row for row in rows}


async def insert_rates(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """One multi-row INSERT per thousand rates (Core, not a loop of ORM adds)."""
    for start in range(0, len(rows), 1000):
        await session.execute(sa.insert(FxRate), list(rows[start : start + 1000]))


async def rate_in_force(session: AsyncSession, base: str, quote: str, on: date) -> FxRate | None:
    """The latest rate of the pair effective on or before `on`."""
    rate: FxRate | None = await session.scalar(
        sa.select(FxRate)
        .where(FxRate.base == base, FxRate.quote == quote, FxRate.effective_on <= on)
        .order_by(FxRate.effective_on.desc())
        .limit(1)
    )
    return rate


async def rates_between(
    session: AsyncSession, base: str, quote: str, first: date, last: date
) -> list[FxRate]:
    """The pair's rates effective from `first` to `last`, and the one in force on `first`, oldest first."""
    in_force = await rate_in_force(session, base, quote, first)
    start = in_force.effective_on if in_force is not None else first
    rows = await session.scalars(
        sa.select(FxRate)
        .where(FxRate.base == base, FxRate.quote == quote, FxRate.effective_on.between(start, last))
        .order_by(FxRate.effective_on)
    )
    return list(rows)


async def rate_page(
    session: AsyncSession,
    *,
    base: str | None,
    quote: str | None,
    first: date | None,
    last: date | None,
    after: KeysetPosition[date] | None,
    limit: int,
) -> list[FxRate]:
    """Rates by date (then id), oldest first, filtered by currency and effective date."""
    statement = sa.select(FxRate).where(keyset_after(FxRate.effective_on, FxRate.id, after, descending=False))
    if base is not None:
        statement = statement.where(FxRate.base == base)
    if quote is not None:
        statement = statement.where(FxRate.quote == quote)
    if first is not None:
        statement = statement.where(FxRate.effective_on >= first)
    if last is not None:
        statement = statement.where(FxRate.effective_on <= last)
    statement = statement.order_by(*keyset_order(FxRate.effective_on, FxRate.id, descending=False)).limit(
        limit
    )
    return list((await session.scalars(statement)).all())
