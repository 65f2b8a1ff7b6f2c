"""Every query of payout adjustments."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.incentives import AdjustmentKind
from prm_kit.db import ExactDecimal
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.adjustments.models import Adjustment

AMOUNT = ExactDecimal(19, 4)
CORRECTIONS = (AdjustmentKind.CLAWBACK.value, AdjustmentKind.DELTA.value)


async def add(session: AsyncSession, adjustment: Adjustment) -> None:
    session.add(adjustment)
    await session.flush()


async def get(session: AsyncSession, adjustment_id: UUID) -> Adjustment | None:
    found: Adjustment | None = await session.get(Adjustment, adjustment_id)
    return found


async def totals(session: AsyncSession, programme_id: UUID, period: str) -> dict[UUID, Decimal]:
    """Per partner, the sum of the period's adjustments (summed in SQL: exact on both backends)."""
    rows = await session.execute(
        sa.select(Adjustment.partner_id, sa.type_coerce(sa.func.sum(Adjustment.amount), AMOUNT))
        .where(Adjustment.programme_id == programme_id, Adjustment.period == period)
        .group_by(Adjustment.partner_id)
    )
    return {partner: amount for partner, amount in rows.all()}


async def of_period(
    session: AsyncSession, programme_id: UUID, period: str, partner_id: UUID | None = None
) -> list[Adjustment]:
    statement = sa.select(Adjustment).where(
        Adjustment.programme_id == programme_id, Adjustment.period == period
    )
    if partner_id is not None:
        statement = statement.where(Adjustment.partner_id == partner_id)
    return list((await session.scalars(statement.order_by(Adjustment.created_at, Adjustment.id))).all())


async def page(
    session: AsyncSession,
    *,
    programme_id: UUID | None,
    partner_id: UUID | None,
    period: str | None,
    after: UUID | None,
    limit: int,
) -> list[Adjustment]:
    statement = sa.select(Adjustment)
    if programme_id is not None:
        statement = statement.where(Adjustment.programme_id == programme_id)
    if partner_id is not None:
        statement = statement.where(Adjustment.partner_id == partner_id)
    if period is not None:
        statement = statement.where(Adjustment.period == period)
    if after is not None:
        statement = statement.where(Adjustment.id > after)
    return list((await session.scalars(statement.order_by(Adjustment.id).limit(limit))).all())


async def replace_corrections(
    session: AsyncSession, programme_id: UUID, period: str, rows: Sequence[dict[str, Any]]
) -> None:
    """The clawbacks and deltas of a draft period, replaced whole (manual adjustments stay)."""
    await session.execute(
        sa.delete(Adjustment).where(
            Adjustment.programme_id == programme_id,
            Adjustment.period == period,
            Adjustment.kind.in_(CORRECTIONS),
        )
    )
    if rows:
        await session.execute(sa.insert(Adjustment), list(rows))


async def clawed_line_ids(session: AsyncSession, programme_id: UUID, *, except_period: str) -> set[UUID]:
    """Return lines clawed back already in another period of the programme."""
    rows = await session.scalars(
        sa.select(Adjustment.source_line_id).where(
            Adjustment.programme_id == programme_id,
            Adjustment.kind == AdjustmentKind.CLAWBACK.value,
            Adjustment.period != except_period,
            Adjustment.source_line_id.is_not(None),
        )
    )
    return {line for line in rows.all() if line is not None}


async def delta_totals(
    session: AsyncSession, source_run_id: UUID, *, except_period: str
) -> dict[UUID, Decimal]:
    """Per partner, the deltas already carried from a locked run into other periods."""
    rows = await session.execute(
        sa.select(Adjustment.partner_id, sa.type_coerce(sa.func.sum(Adjustment.amount), AMOUNT))
        .where(
            Adjustment.source_run_id == source_run_id,
            Adjustment.kind == AdjustmentKind.DELTA.value,
            Adjustment.period != except_period,
        )
        .group_by(Adjustment.partner_id)
    )
    return {partner: amount for partner, amount in rows.all()}


def clawed_back(programme_id: UUID) -> sa.Select[UUID | None]:
    """SQL: the ids of the replica lines (returns) a clawback of the programme took back already; such a line
    does not count again in the volume of the period it falls in."""
    return sa.select(Adjustment.source_line_id).where(
        Adjustment.programme_id == programme_id,
        Adjustment.kind == AdjustmentKind.CLAWBACK.value,
        Adjustment.source_line_id.is_not(None),  # NOT IN over a NULL would drop every line
    )
