"""MDF rows as the API shows them, with the sums each answer carries, and the checks every amount passes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from prm_contracts.mdf import (
    MdfAllocationOut,
    MdfBudgetOut,
    MdfClaimOut,
    MdfClaimStatus,
    MdfRequestOut,
    MdfRequestStatus,
    MdfRoi,
)
from prm_contracts.money import Money, in_minor_units, minor_unit
from prm_contracts.principal import Principal
from prm_contracts.problem import NotFound, ValidationIssue
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.mdf import repository
from incentives.mdf.errors import AmountPrecision, CurrencyMismatch
from incentives.mdf.models import MdfAllocation, MdfBudget, MdfClaim, MdfRequest

ZERO = Decimal(0)


def money(amount: Decimal, currency: str) -> Money:
    return Money(amount=amount.quantize(minor_unit(currency)), currency=currency)


def checked_amount(value: Money, currency: str, field: str) -> Decimal:
    """The amount of `value` when it is in `currency` and in whole minor units of it; 422 otherwise."""
    if value.currency != currency:
        raise CurrencyMismatch(
            f"{field} is in {value.currency} but the budget is in {currency}; send it in {currency}",
            errors=[
                ValidationIssue(loc=["body", field, "currency"], msg=f"must be {currency}", type="currency")
            ],
        )
    unit = minor_unit(currency)
    if not in_minor_units(value.amount, currency):
        raise AmountPrecision(
            f"{field} {value.amount} is finer than the minor unit of {currency} ({unit})",
            errors=[
                ValidationIssue(loc=["body", field, "amount"], msg=f"at most {unit}", type="amount_places")
            ],
        )
    return value.amount


def ensure_visible(
    actor: Principal, row: MdfAllocation | MdfRequest | MdfClaim | None, what: str, row_id: object
) -> None:
    """404 for a missing row and for another partner's row alike: a partner learns nothing of others."""
    if row is None or (actor.partner_id is not None and row.partner_id != actor.partner_id):
        raise NotFound(f"no MDF {what} {row_id}")


def _roi(document: dict[str, object] | None) -> MdfRoi | None:
    return None if document is None else MdfRoi.model_validate(document)


def budget_out(budget: MdfBudget, allocated: Decimal) -> MdfBudgetOut:
    return MdfBudgetOut(
        id=budget.id,
        name=budget.name,
        programme_id=budget.programme_id,
        period=budget.period,
        first_day=budget.first_day,
        last_day=budget.end_day - timedelta(days=1),
        amount=money(budget.amount, budget.currency),
        allocated=money(allocated, budget.currency),
        unallocated=money(budget.amount - allocated, budget.currency),
        description=budget.description,
        created_by=budget.created_by,
        created_at=budget.created_at,
        version=budget.version,
    )


def allocation_out(allocation: MdfAllocation, period: str, reserved: Decimal) -> MdfAllocationOut:
    available = allocation.amount + allocation.accrued
    return MdfAllocationOut(
        id=allocation.id,
        budget_id=allocation.budget_id,
        partner_id=allocation.partner_id,
        period=period,
        allocated=money(allocation.amount, allocation.currency),
        accrued=money(allocation.accrued, allocation.currency),
        available=money(available, allocation.currency),
        reserved=money(reserved, allocation.currency),
        remaining=money(available - reserved, allocation.currency),
        created_at=allocation.created_at,
        version=allocation.version,
    )


def request_out(request: MdfRequest, claimed: Decimal) -> MdfRequestOut:
    approved = request.status == MdfRequestStatus.APPROVED.value
    return MdfRequestOut(
        id=request.id,
        allocation_id=request.allocation_id,
        budget_id=request.budget_id,
        partner_id=request.partner_id,
        activity=request.activity,
        description=request.description,
        planned_amount=money(request.planned_amount, request.currency),
        starts_on=request.starts_on,
        ends_on=request.ends_on,
        expected_outcome=request.expected_outcome,
        expected_roi=_roi(request.expected_roi),
        status=MdfRequestStatus(request.status),
        claimed=money(claimed, request.currency),
        unclaimed=money(request.planned_amount - claimed if approved else ZERO, request.currency),
        submitted_by=request.submitted_by,
        submitted_at=request.created_at,
        decided_by=request.decided_by,
        decided_at=request.decided_at,
        decision_reason=request.decision_reason,
        version=request.version,
    )


def claim_out(claim: MdfClaim) -> MdfClaimOut:
    return MdfClaimOut(
        id=claim.id,
        request_id=claim.request_id,
        allocation_id=claim.allocation_id,
        partner_id=claim.partner_id,
        amount=money(claim.amount, claim.currency),
        proof_reference=claim.proof_reference,
        description=claim.description,
        roi=_roi(claim.roi),
        status=MdfClaimStatus(claim.status),
        submitted_by=claim.submitted_by,
        submitted_at=claim.created_at,
        decided_by=claim.decided_by,
        decided_at=claim.decided_at,
        decision_reason=claim.decision_reason,
        paid_by=claim.paid_by,
        paid_at=claim.paid_at,
        payment_reference=claim.payment_reference,
        version=claim.version,
    )


async def budget_answers(session: AsyncSession, budgets: Sequence[MdfBudget]) -> dict[object, MdfBudgetOut]:
    sums = await repository.allocated(session, [b.id for b in budgets])
    return {b.id: budget_out(b, sums.get(b.id, ZERO)) for b in budgets}


async def allocation_answers(
    session: AsyncSession, allocations: Sequence[MdfAllocation]
) -> dict[object, MdfAllocationOut]:
    sums = await repository.reserved(session, [a.id for a in allocations])
    periods = await repository.periods_of(session, {a.budget_id for a in allocations})
    return {a.id: allocation_out(a, periods[a.budget_id], sums.get(a.id, ZERO)) for a in allocations}


async def request_answers(
    session: AsyncSession, requests: Sequence[MdfRequest]
) -> dict[object, MdfRequestOut]:
    sums = await repository.claimed(session, [r.id for r in requests])
    return {r.id: request_out(r, sums.get(r.id, ZERO)) for r in requests}
