"""From what each partner earned to what each is paid: cap and floor per partner, the programme's budget over
all partners, then rounding (see rounding.py). Shared by the set-based and the reference calculator."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from uuid import UUID

from prm_contracts.incentives import BudgetRule, CapRule, FloorRule, RuleKind, VersionTerms
from prm_contracts.money import minor_unit

from incentives.calculation.rounding import PRECISION, allocate
from incentives.calculation.rules import RuleResult


@dataclass(frozen=True)
class Settlement:
    earned: Decimal  # the earning rules' sum, exact
    unrounded: Decimal  # after cap, floor and budget, exact
    amount: Decimal  # paid: rounded
    mdf_accrual: Decimal  # rounded
    cap_floor_factor: Decimal | None
    budget_factor: Decimal | None


def earned(results: list[RuleResult]) -> Decimal:
    return sum((r.amount for r in results if r.kind is not RuleKind.MDF_ACCRUAL), Decimal(0))


def accrued(results: list[RuleResult]) -> Decimal:
    return sum((r.amount for r in results if r.kind is RuleKind.MDF_ACCRUAL), Decimal(0))


def _cap_floor(terms: VersionTerms, amount: Decimal) -> Decimal:
    for rule in terms.rules:
        if isinstance(rule, CapRule) and amount > rule.amount:
            amount = rule.amount
    for rule in terms.rules:
        if isinstance(rule, FloorRule) and Decimal(0) < amount < rule.amount:
            amount = rule.amount
    return amount


def budget_of(terms: VersionTerms) -> Decimal | None:
    return next((rule.amount for rule in terms.rules if isinstance(rule, BudgetRule)), None)


def settle(
    terms: VersionTerms, currency: str, results: dict[UUID, list[RuleResult]]
) -> tuple[dict[UUID, Settlement], Decimal | None]:
    """Each partner's settlement, and the budget factor when the budget bound (else None).

    When the partners' positive payouts add up to more than the budget, each positive payout is multiplied
    by budget / total, and the budget itself is split over them by largest remainder (partners in id order),
    so the rounded payouts add up to the budget exactly; otherwise each payout is rounded half-even.
    """
    with localcontext() as context:
        context.prec = PRECISION
        unit = minor_unit(currency)
        before = {partner: earned(r) for partner, r in results.items()}
        capped = {partner: _cap_floor(terms, amount) for partner, amount in before.items()}
        budget = budget_of(terms)
        total = sum((amount for amount in capped.values() if amount > 0), Decimal(0))
        factor = budget / total if budget is not None and total > budget else None
        shares: dict[UUID, Decimal] = {}
        if factor is not None and budget is not None:
            positive = sorted(p for p, amount in capped.items() if amount > 0)
            shares = dict(
                zip(positive, allocate(budget, [capped[p] for p in positive], currency), strict=True)
            )
        settlements = {}
        for partner, partner_results in results.items():
            after = capped[partner]
            scaled = after * factor if factor is not None and partner in shares else after
            amount = shares[partner] if partner in shares else scaled.quantize(unit, rounding=ROUND_HALF_EVEN)
            settlements[partner] = Settlement(
                earned=before[partner],
                unrounded=scaled,
                amount=amount,
                mdf_accrual=accrued(partner_results).quantize(unit, rounding=ROUND_HALF_EVEN),
                cap_floor_factor=after / before[partner] if after != before[partner] else None,
                budget_factor=factor if partner in shares else None,
            )
        return settlements, factor
