"""MDF accrued by calculation runs (`mdf_accrual` rules): added to the partner's allocation when a run is
approved, once per (run, partner) however often the approval is retried.

The accrual goes to the partner's allocation in the budget of its currency whose period covers the run's
period, the run's programme's own budget before a programme-independent one (then the narrowest period, then
the oldest). When there is none, a budget of that period with 0 funded is opened (accruals do not count
against a budget's amount: sales fund them), and the partner's allocation in it with 0 allocated.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from prm_contracts.money import Money
from prm_contracts.periods import Period, parse_period
from prm_contracts.problem import Conflict
from prm_kit.db import bump_version, ordered_id
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.mdf import repository
from incentives.mdf.answers import ZERO
from incentives.mdf.models import MdfAccrual, MdfAllocation, MdfBudget


class AccrualChanged(Conflict):
    slug, title = "mdf-accrual-changed", "The run accrued a different amount before"


async def accrue(
    session: AsyncSession,
    partner_id: UUID,
    period: str | Period,
    amount: Money,
    source_run_id: UUID,
    *,
    now: datetime,
    programme_id: UUID | None = None,
) -> MdfAccrual | None:
    """Add `amount` (≥ 0, the run's rounded accrual) to the partner's MDF for `period`, in the caller's
    transaction. Idempotent per (source_run_id, partner_id): a repeat returns the first accrual; a repeat
    with another amount is 409 (an approved run never changes). Nothing is stored for 0 (None)."""
    if amount.amount < 0:
        raise ValueError(f"an MDF accrual cannot be negative, got {amount.amount}")
    earlier = await repository.accrual(session, source_run_id, partner_id)
    if earlier is not None:
        if (earlier.amount, earlier.currency) != (amount.amount, amount.currency):
            raise AccrualChanged(
                f"run {source_run_id} accrued {earlier.amount} {earlier.currency} to partner {partner_id} "
                f"already; it cannot accrue {amount.amount} {amount.currency} now"
            )
        return earlier
    if amount.amount == 0:
        return None
    span = period if isinstance(period, Period) else parse_period(period)
    budget = await repository.budget_for_accrual(
        session, amount.currency, span.first_day, span.end, programme_id
    )
    if budget is None:
        budget = await _accrual_budget(session, span, amount.currency, programme_id, source_run_id, now)
    allocation = await repository.allocation_of(session, budget.id, partner_id, lock=True)
    if allocation is None:
        allocation = await _accrual_allocation(session, budget, partner_id, source_run_id, now)
    allocation.accrued += amount.amount
    await bump_version(session, allocation, at=now)
    accrual = MdfAccrual(
        id=ordered_id(),
        allocation_id=allocation.id,
        partner_id=partner_id,
        source_run_id=source_run_id,
        period=span.label,
        amount=amount.amount,
        currency=amount.currency,
        accrued_at=now,
    )
    await repository.add(session, accrual)
    return accrual


async def _accrual_budget(
    session: AsyncSession,
    span: Period,
    currency: str,
    programme_id: UUID | None,
    source_run_id: UUID,
    now: datetime,
) -> MdfBudget:
    budget = MdfBudget(
        id=ordered_id(),
        name=f"Accrued MDF {span.label} {currency}",
        programme_id=programme_id,
        currency=currency,
        period=span.label,
        first_day=span.first_day,
        end_day=span.end,
        amount=ZERO,
        description="Opened by an approved calculation run: holds MDF accrued from sales, no funds of its own.",
        created_by=f"calculation-run:{source_run_id}",
        version=1,
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, budget)
    return budget


async def _accrual_allocation(
    session: AsyncSession, budget: MdfBudget, partner_id: UUID, source_run_id: UUID, now: datetime
) -> MdfAllocation:
    allocation = MdfAllocation(
        id=ordered_id(),
        budget_id=budget.id,
        partner_id=partner_id,
        currency=budget.currency,
        amount=Decimal(0),
        accrued=ZERO,
        created_by=f"calculation-run:{source_run_id}",
        version=1,
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, allocation)
    return allocation
