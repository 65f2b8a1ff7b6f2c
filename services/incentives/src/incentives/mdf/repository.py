"""Every query of MDF.

The limits (allocations ≤ budget, reserved requests ≤ allocation, claims ≤ request) are checked by summing
children after locking their parent row: `lock_*` is `SELECT … FOR UPDATE` on PostgreSQL, so two
transactions adding to one parent go one after the other and the second sums what the first committed. On
SQLite every writing transaction begins IMMEDIATE (prm_kit.db.engine), which serialises writers the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.mdf import MdfClaimStatus, MdfRequestStatus
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.mdf.models import MdfAccrual, MdfAllocation, MdfBudget, MdfClaim, MdfRequest
from incentives.programmes.models import Programme

# Requests that hold part of their allocation, and claims that hold part of their request.
RESERVING_REQUESTS = (MdfRequestStatus.PENDING.value, MdfRequestStatus.APPROVED.value)
HOLDING_CLAIMS = (MdfClaimStatus.PENDING.value, MdfClaimStatus.APPROVED.value, MdfClaimStatus.PAID.value)

ORDER = "-created_at"  # every MDF list: newest first

Row = TypeVar("Row", MdfBudget, MdfAllocation, MdfRequest, MdfClaim)


async def add(session: AsyncSession, *rows: Any) -> None:
    session.add_all(rows)
    await session.flush()


async def programme(session: AsyncSession, programme_id: UUID) -> Programme | None:
    found: Programme | None = await session.get(Programme, programme_id)
    return found


async def _one(session: AsyncSession, model: type[Row], row_id: UUID, *, lock: bool) -> Row | None:
    statement = sa.select(model).where(model.id == row_id).execution_options(populate_existing=True)
    if lock:
        statement = statement.with_for_update()
    found: Row | None = await session.scalar(statement)
    return found


async def budget(session: AsyncSession, budget_id: UUID, *, lock: bool = False) -> MdfBudget | None:
    return await _one(session, MdfBudget, budget_id, lock=lock)


async def allocation(
    session: AsyncSession, allocation_id: UUID, *, lock: bool = False
) -> MdfAllocation | None:
    return await _one(session, MdfAllocation, allocation_id, lock=lock)


async def request(session: AsyncSession, request_id: UUID, *, lock: bool = False) -> MdfRequest | None:
    return await _one(session, MdfRequest, request_id, lock=lock)


async def claim(session: AsyncSession, claim_id: UUID, *, lock: bool = False) -> MdfClaim | None:
    return await _one(session, MdfClaim, claim_id, lock=lock)


async def allocation_of(
    session: AsyncSession, budget_id: UUID, partner_id: UUID, *, lock: bool = False
) -> MdfAllocation | None:
    statement = sa.select(MdfAllocation).where(
        MdfAllocation.budget_id == budget_id, MdfAllocation.partner_id == partner_id
    )
    if lock:
        statement = statement.with_for_update()
    found: MdfAllocation | None = await session.scalar(statement.execution_options(populate_existing=True))
    return found


async def _sums(
    session: AsyncSession, amount: Any, group: Any, ids: Sequence[UUID], *where: sa.ColumnElement[bool]
) -> dict[UUID, Decimal]:
    if not ids:
        return {}
    rows = await session.execute(
        sa.select(group, sa.func.sum(amount)).where(group.in_(ids), *where).group_by(group)
    )
    return {key: total for key, total in rows.all()}


async def allocated(session: AsyncSession, budget_ids: Sequence[UUID]) -> dict[UUID, Decimal]:
    """Per budget, what its allocations carved from it."""
    return await _sums(session, MdfAllocation.amount, MdfAllocation.budget_id, budget_ids)


async def reserved(session: AsyncSession, allocation_ids: Sequence[UUID]) -> dict[UUID, Decimal]:
    """Per allocation, the planned amounts of its pending and approved requests."""
    return await _sums(
        session,
        MdfRequest.planned_amount,
        MdfRequest.allocation_id,
        allocation_ids,
        MdfRequest.status.in_(RESERVING_REQUESTS),
    )


async def claimed(session: AsyncSession, request_ids: Sequence[UUID]) -> dict[UUID, Decimal]:
    """Per request, the amounts of its pending, approved and paid claims."""
    return await _sums(
        session, MdfClaim.amount, MdfClaim.request_id, request_ids, MdfClaim.status.in_(HOLDING_CLAIMS)
    )


async def page(
    session: AsyncSession,
    model: type[Row],
    *,
    after: KeysetPosition[datetime] | None,
    limit: int,
    where: Sequence[sa.ColumnElement[bool]] = (),
) -> list[Row]:
    """Newest first."""
    statement = (
        sa.select(model)
        .where(keyset_after(model.created_at, model.id, after, descending=True), *where)
        .order_by(*keyset_order(model.created_at, model.id, descending=True))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def accrual(session: AsyncSession, source_run_id: UUID, partner_id: UUID) -> MdfAccrual | None:
    found: MdfAccrual | None = await session.scalar(
        sa.select(MdfAccrual).where(
            MdfAccrual.source_run_id == source_run_id, MdfAccrual.partner_id == partner_id
        )
    )
    return found


async def budget_for_accrual(
    session: AsyncSession, currency: str, first_day: date, end_day: date, programme_id: UUID | None
) -> MdfBudget | None:
    """The budget an accrual goes to: one in its currency whose period covers the accrual's, the programme's
    own before a programme-independent one, then the narrowest period, then the oldest."""
    candidates: list[sa.ColumnElement[bool]] = [MdfBudget.programme_id.is_(None)]
    if programme_id is not None:
        candidates.append(MdfBudget.programme_id == programme_id)
    found: MdfBudget | None = await session.scalar(
        sa.select(MdfBudget)
        .where(
            MdfBudget.currency == currency,
            MdfBudget.first_day <= first_day,
            MdfBudget.end_day >= end_day,
            sa.or_(*candidates),
        )
        .order_by(
            MdfBudget.programme_id.is_(None),
            MdfBudget.end_day,  # all cover the accrual's period: the earliest end and latest start are narrowest
            MdfBudget.first_day.desc(),
            MdfBudget.created_at,
            MdfBudget.id,
        )
        .limit(1)
    )
    return found


async def periods_of(session: AsyncSession, budget_ids: set[UUID]) -> dict[UUID, str]:
    if not budget_ids:
        return {}
    rows = await session.execute(
        sa.select(MdfBudget.id, MdfBudget.period).where(MdfBudget.id.in_(budget_ids))
    )
    return {budget_id: period for budget_id, period in rows.all()}
