"""Every query of calculation runs and their payouts (the read of the lines they compute from is
line_sums.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

import orjson
import sqlalchemy as sa
import sqlalchemy.orm
from prm_contracts.incentives import Basis, PayoutStatus
from prm_contracts.problem import Conflict
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.calculation.reference import counting_window
from incentives.calculation_runs.line_sums import Scope
from incentives.calculation_runs.models import CalculationRun, Payout
from incentives.programmes.models import ProgrammeVersion
from incentives.replica.models import (
    SalesLine,
)

_PAYOUT = cast(sa.Table, Payout.__table__)


async def run_for_period(session: AsyncSession, programme_id: UUID, period: str) -> CalculationRun | None:
    found: CalculationRun | None = await session.scalar(
        sa.select(CalculationRun)
        .where(CalculationRun.programme_id == programme_id, CalculationRun.period == period)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


async def run_by_id(
    session: AsyncSession, run_id: UUID, *, for_update: bool = False
) -> CalculationRun | None:
    statement = (
        sa.select(CalculationRun).where(CalculationRun.id == run_id).execution_options(populate_existing=True)
    )
    if for_update:
        statement = statement.with_for_update()
    found: CalculationRun | None = await session.scalar(statement)
    return found


async def run_page(
    session: AsyncSession, *, programme_id: UUID | None, after: KeysetPosition[datetime] | None, limit: int
) -> list[CalculationRun]:
    statement = sa.select(CalculationRun).where(
        keyset_after(CalculationRun.created_at, CalculationRun.id, after, descending=True)
    )
    if programme_id is not None:
        statement = statement.where(CalculationRun.programme_id == programme_id)
    statement = statement.order_by(
        *keyset_order(CalculationRun.created_at, CalculationRun.id, descending=True)
    )
    return list((await session.scalars(statement.limit(limit))).all())


async def replace_payouts(session: AsyncSession, run_id: UUID, payouts: list[dict[str, Any]]) -> None:
    """A draft's payouts replaced whole, in bulk: by COPY on PostgreSQL (a run writes a payout per partner,
    thousands; an executemany spent more time binding each value in Python than the database spent storing
    them), by Core executemany elsewhere."""
    await session.execute(sa.delete(Payout).where(Payout.run_id == run_id))
    if not payouts:
        return
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        await connection.execute(sa.insert(_PAYOUT), payouts)
        return
    columns = list(payouts[0])
    document = columns.index("breakdown")
    records = []
    for row in payouts:
        record = list(row.values())
        # the dialect's JSONB codec on the connection takes the document as JSON text
        record[document] = orjson.dumps(record[document]).decode()
        records.append(tuple(record))
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    await driver.copy_records_to_table(_PAYOUT.name, records=records, columns=columns)


async def payout(session: AsyncSession, run_id: UUID, partner_id: UUID) -> Payout | None:
    found: Payout | None = await session.get(Payout, (run_id, partner_id))
    return found


async def payout_page(
    session: AsyncSession, run_id: UUID, *, partner_id: UUID | None, after: UUID | None, limit: int
) -> list[Payout]:
    statement = sa.select(Payout).where(Payout.run_id == run_id)
    if partner_id is not None:
        statement = statement.where(Payout.partner_id == partner_id)
    if after is not None:
        statement = statement.where(Payout.partner_id > after)
    return list((await session.scalars(statement.order_by(Payout.partner_id).limit(limit))).all())


class RunRaced(Conflict):
    slug, title = "calculation-run-in-progress", "Another run of the period was stored first"


async def add(session: AsyncSession, run: CalculationRun) -> None:
    """A new run; two first runs of one period racing: the loser's unique violation is a 409 (its
    transaction is rolled back by the request), never a 500."""
    session.add(run)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise RunRaced(
            f"another run of {run.period} was stored while this one computed; run the period again to "
            "recompute that draft"
        ) from exc


async def decided_payouts(session: AsyncSession, run_id: UUID) -> int:
    """How many of the run's payouts are approved, held or paid (a re-run would drop those decisions)."""
    found = await session.scalar(
        sa.select(sa.func.count())
        .select_from(Payout)
        .where(Payout.run_id == run_id, Payout.status != PayoutStatus.PENDING.value)
    )
    return found or 0


async def payout_for_update(session: AsyncSession, run_id: UUID, partner_id: UUID) -> Payout | None:
    found: Payout | None = await session.scalar(
        sa.select(Payout)
        .where(Payout.run_id == run_id, Payout.partner_id == partner_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


async def run_payouts(session: AsyncSession, run_id: UUID, *, status: str | None = None) -> list[Payout]:
    statement = sa.select(Payout).where(Payout.run_id == run_id)
    if status is not None:
        statement = statement.where(Payout.status == status)
    statement = statement.order_by(Payout.partner_id).execution_options(populate_existing=True)
    return list((await session.scalars(statement)).all())


async def locked_runs_before(
    session: AsyncSession, programme_id: UUID, first_day: date
) -> list[CalculationRun]:
    """The programme's approved or paid runs of periods before `first_day`, oldest first."""
    statement = (
        sa.select(CalculationRun)
        .where(
            CalculationRun.programme_id == programme_id,
            CalculationRun.first_day < first_day,
            CalculationRun.status != "draft",
        )
        .order_by(CalculationRun.first_day)
    )
    return list((await session.scalars(statement)).all())


@dataclass(frozen=True)
class ClawbackCandidate:
    line: SalesLine
    original: SalesLine
    run: CalculationRun
    payout: Payout
    version: ProgrammeVersion


async def clawback_candidates(
    session: AsyncSession, scope: Scope, programme_id: UUID
) -> list[ClawbackCandidate]:
    """Returns and credit notes of the scope's window whose original sale (same partner, its external id)
    fell in a paid run of the programme that paid that partner, with that run's version. Whether the run
    paid that very sale is the caller's to judge (`paid_lines.paid_in`)."""
    original = sa.orm.aliased(SalesLine, name="original_line")
    first, end = counting_window(scope.terms, scope.period)
    # the day the run's basis counts the sale on: on the paid basis a sale is paid by the run of the day it
    # was paid, whatever period it was sold in
    counted_on = sa.case(
        (ProgrammeVersion.basis == Basis.PAID.value, original.paid_on), else_=original.occurred_on
    )
    statement = (
        sa.select(SalesLine, original, CalculationRun, Payout, ProgrammeVersion)
        .join(
            original,
            sa.and_(
                original.partner_id == SalesLine.partner_id,
                original.external_id == SalesLine.original_external_id,
                original.kind == "sale",
            ),
        )
        .join(
            CalculationRun,
            sa.and_(CalculationRun.programme_id == programme_id, CalculationRun.status == "paid"),
        )
        .join(ProgrammeVersion, ProgrammeVersion.id == CalculationRun.version_id)
        .join(
            Payout,
            sa.and_(
                Payout.run_id == CalculationRun.id,
                Payout.partner_id == SalesLine.partner_id,
                Payout.status == "paid",
            ),
        )
        .where(
            SalesLine.kind.in_(["return", "credit_note"]),
            SalesLine.original_external_id.is_not(None),
            SalesLine.occurred_on >= first,
            SalesLine.occurred_on < end,
            SalesLine.recorded_at <= scope.recorded_until,
            CalculationRun.first_day <= counted_on,
            CalculationRun.end_day > counted_on,
        )
        .order_by(SalesLine.id)
    )
    return [ClawbackCandidate(*row) for row in (await session.execute(statement)).all()]


async def payout_page_for(
    session: AsyncSession, *, partner_id: UUID | None, period: str | None
) -> list[tuple[Payout, CalculationRun]]:
    """Payouts with their runs (payables), by partner."""
    statement = sa.select(Payout, CalculationRun).join(CalculationRun, CalculationRun.id == Payout.run_id)
    if partner_id is not None:
        statement = statement.where(Payout.partner_id == partner_id)
    if period is not None:
        statement = statement.where(CalculationRun.period == period)
    rows = await session.execute(statement.order_by(Payout.partner_id, CalculationRun.period))
    return [(payout, run) for payout, run in rows.all()]
