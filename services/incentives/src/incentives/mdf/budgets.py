"""MDF budgets and their allocations per partner: the vendor's; a partner sees only its own allocations.

Allocations never exceed their budget: a new allocation locks the budget row, sums the allocations and is
refused (409 `mdf-budget-exceeded`) when it does not fit. Accruals add to an allocation without counting
against the budget (sales fund them, see `accrual`).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from prm_contracts.clients.registry import RegistryClient
from prm_contracts.mdf import MdfAllocationIn, MdfAllocationOut, MdfBudgetIn, MdfBudgetOut
from prm_contracts.pagination import Page
from prm_contracts.periods import parse_period
from prm_contracts.principal import Principal
from prm_contracts.problem import NotFound, ValidationIssue
from prm_kit.db import ordered_id
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.mdf import repository
from incentives.mdf.answers import (
    ZERO,
    allocation_answers,
    budget_answers,
    checked_amount,
    ensure_visible,
    money,
)
from incentives.mdf.errors import AlreadyAllocated, BudgetExceeded, CurrencyMismatch
from incentives.mdf.models import MdfAllocation, MdfBudget
from incentives.mdf.repository import ORDER
from incentives.replica import service as replica


async def create_budget(
    session: AsyncSession, body: MdfBudgetIn, *, actor: Principal, now: datetime
) -> MdfBudgetOut:
    actor.require_vendor("create MDF budgets")
    currency = body.amount.currency
    if body.programme_id is not None:
        programme = await repository.programme(session, body.programme_id)
        if programme is None:
            raise NotFound(f"no programme {body.programme_id}")
        if programme.currency != currency:
            raise CurrencyMismatch(
                f"the budget is in {currency} but programme {programme.name!r} pays in {programme.currency}",
                errors=[
                    ValidationIssue(
                        loc=["body", "amount", "currency"],
                        msg=f"must be {programme.currency}",
                        type="currency",
                    )
                ],
            )
    amount = checked_amount(body.amount, currency, "amount")
    period = parse_period(body.period)
    budget = MdfBudget(
        id=ordered_id(),
        name=body.name,
        programme_id=body.programme_id,
        currency=currency,
        period=period.label,
        first_day=period.first_day,
        end_day=period.end,
        amount=amount,
        description=body.description,
        created_by=actor.subject,
        version=1,
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, budget)
    return (await budget_answers(session, [budget]))[budget.id]


async def get_budget(session: AsyncSession, budget_id: UUID, *, actor: Principal) -> MdfBudgetOut:
    actor.require_vendor("see MDF budgets (its allocations are at /v1/mdf/allocations)")
    budget = await repository.budget(session, budget_id)
    if budget is None:
        raise NotFound(f"no MDF budget {budget_id}")
    return (await budget_answers(session, [budget]))[budget.id]


async def list_budgets(
    session: AsyncSession, *, actor: Principal, period: str | None, limit: int, cursor: str | None
) -> Page[MdfBudgetOut]:
    actor.require_vendor("see MDF budgets (its allocations are at /v1/mdf/allocations)")
    where = [] if period is None else [MdfBudget.period == parse_period(period).label]
    budgets = await repository.page(
        session, MdfBudget, after=keyset_position(cursor, ORDER, datetime), limit=limit + 1, where=where
    )
    answers = await budget_answers(session, budgets)
    return page_of(
        budgets,
        limit,
        out=lambda b: answers[b.id],
        cursor_of=lambda b: keyset_cursor(ORDER, b.created_at, b.id),
    )


async def create_allocation(
    session: AsyncSession,
    budget_id: UUID,
    body: MdfAllocationIn,
    registry: RegistryClient,
    *,
    actor: Principal,
    now: datetime,
) -> MdfAllocationOut:
    """Carve `body.amount` from the budget for one partner; 404 for a partner the registry does not know, 409
    beyond its unallocated funds."""
    actor.require_vendor("allocate MDF")
    # before the budget is locked: asking the registry ends the reading transaction
    await replica.ensure_partner(session, registry, body.partner_id)
    budget = await repository.budget(session, budget_id, lock=True)
    if budget is None:
        raise NotFound(f"no MDF budget {budget_id}")
    amount = checked_amount(body.amount, budget.currency, "amount")
    if await repository.allocation_of(session, budget.id, body.partner_id) is not None:
        raise AlreadyAllocated(
            f"partner {body.partner_id} already has an allocation in budget {budget.name!r}",
        )
    allocated = (await repository.allocated(session, [budget.id])).get(budget.id, ZERO)
    unallocated = budget.amount - allocated
    if amount > unallocated:
        raise BudgetExceeded(
            f"budget {budget.name!r} has {unallocated} {budget.currency} unallocated of {budget.amount}; "
            f"{amount} does not fit",
            unallocated=money(unallocated, budget.currency).model_dump(mode="json"),
        )
    allocation = MdfAllocation(
        id=ordered_id(),
        budget_id=budget.id,
        partner_id=body.partner_id,
        currency=budget.currency,
        amount=amount,
        accrued=ZERO,
        created_by=actor.subject,
        version=1,
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, allocation)
    return (await allocation_answers(session, [allocation]))[allocation.id]


async def get_allocation(session: AsyncSession, allocation_id: UUID, *, actor: Principal) -> MdfAllocationOut:
    allocation = await repository.allocation(session, allocation_id)
    ensure_visible(actor, allocation, "allocation", allocation_id)
    assert allocation is not None
    return (await allocation_answers(session, [allocation]))[allocation.id]


async def list_allocations(
    session: AsyncSession,
    *,
    actor: Principal,
    budget_id: UUID | None,
    partner_id: UUID | None,
    limit: int,
    cursor: str | None,
) -> Page[MdfAllocationOut]:
    where = []
    if budget_id is not None:
        where.append(MdfAllocation.budget_id == budget_id)
    if partner_id is not None:
        where.append(MdfAllocation.partner_id == partner_id)
    if actor.partner_id is not None:
        where.append(MdfAllocation.partner_id == actor.partner_id)
    allocations = await repository.page(
        session, MdfAllocation, after=keyset_position(cursor, ORDER, datetime), limit=limit + 1, where=where
    )
    answers = await allocation_answers(session, allocations)
    return page_of(
        allocations,
        limit,
        out=lambda a: answers[a.id],
        cursor_of=lambda a: keyset_cursor(ORDER, a.created_at, a.id),
    )
