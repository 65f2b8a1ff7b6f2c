"""A partner against the registry's tier ladder, as pure rules (no I/O; tested without a database).

- A tier's **measured** requirements are its minimum trailing-12-month revenue (compared in the requirement's
  currency: analytics converts the revenue into it) and its minimum certified staff. Its **named criteria**
  cannot be read from any data: they never block a recommendation and are listed for a person to confirm.
- The partner **qualifies** for a tier when it meets every measured requirement. The recommended tier is the
  highest it qualifies for; when it qualifies for none, a partner that holds a tier is recommended the lowest
  rung (it cannot leave the ladder through a tier change) and one without a tier keeps none.
- **promote / keep / demote** compares the ranks of the recommended and the current tier (no tier: below all).
- **The gap** is to the tier just above the current one (the lowest one for a partner without a tier): its
  unmet measured requirements, each with the shortfall (money rounded up to the cent, so that much more is
  always enough), and its named criteria to confirm.
- **Demotion risk**: the current tier's measured requirements the partner fails, each with the first day it
  was seen failing (kept across refreshes while it keeps failing; forgotten once it passes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from prm_contracts.money import Money, minor_unit
from prm_contracts.scoring import RequirementCheck, RequirementStatus, TierAction, TierGap
from prm_contracts.tiers import TierOut

REVENUE = "min_trailing_12m_revenue"
STAFF = "min_certified_staff"
CRITERION = "criterion"


@dataclass(frozen=True)
class Revenue:
    """Trailing-12-month revenue in one currency: an amount, or None with the reason analytics gave."""

    amount: Decimal | None
    reason: str | None = None


@dataclass(frozen=True)
class TierFacts:
    current_tier: str | None
    revenue: dict[str, Revenue]  # by currency: each currency a requirement of the ladder is in
    certified_staff: int | None
    today: date
    failing_since: dict[str, date]  # "<tier>:<requirement>" -> first day seen failing


@dataclass(frozen=True)
class Standing:
    current_tier: str | None
    recommended_tier: str | None
    action: TierAction
    reasons: list[str]
    gap: TierGap
    demotion_risk: list[RequirementCheck]
    failing_since: dict[str, date]


def money_text(amount: Decimal, currency: str) -> str:
    return f"{format(as_money(amount, currency).amount, 'f')} {currency}"


def as_money(amount: Decimal, currency: str, rounding: str = ROUND_HALF_UP) -> Money:
    """An exact amount shown to the currency's minor unit (half up unless told otherwise): cents for EUR,
    whole yen, fils for KWD."""
    return Money(amount=amount.quantize(minor_unit(currency), rounding=rounding), currency=currency)


def _revenue_check(required: Money, facts: TierFacts) -> RequirementCheck:
    revenue = facts.revenue.get(required.currency, Revenue(None, "not read"))
    needed = money_text(required.amount, required.currency)
    if revenue.amount is None:
        return RequirementCheck(
            requirement=REVENUE,
            status=RequirementStatus.UNMET,
            required=required,
            text=f"trailing-12-month revenue in {required.currency} unknown ({revenue.reason}); "
            f"{needed} needed",
        )
    actual = as_money(revenue.amount, required.currency)
    if revenue.amount >= required.amount:
        return RequirementCheck(
            requirement=REVENUE,
            status=RequirementStatus.MET,
            required=required,
            actual=actual,
            text=f"trailing-12-month revenue {money_text(revenue.amount, required.currency)} meets {needed}",
        )
    shortfall = as_money(required.amount - revenue.amount, required.currency, ROUND_CEILING)
    return RequirementCheck(
        requirement=REVENUE,
        status=RequirementStatus.UNMET,
        required=required,
        actual=actual,
        shortfall=shortfall,
        text=f"{format(shortfall.amount, 'f')} {shortfall.currency} more trailing-12-month revenue",
    )


def _staff_check(required: int, facts: TierFacts) -> RequirementCheck:
    actual = facts.certified_staff
    if actual is None:
        return RequirementCheck(
            requirement=STAFF,
            status=RequirementStatus.UNMET,
            required=required,
            text=f"certified staff unknown; {required} needed",
        )
    if actual >= required:
        return RequirementCheck(
            requirement=STAFF,
            status=RequirementStatus.MET,
            required=required,
            actual=actual,
            text=f"{actual} certified staff meets {required}",
        )
    short = required - actual
    return RequirementCheck(
        requirement=STAFF,
        status=RequirementStatus.UNMET,
        required=required,
        actual=actual,
        shortfall=short,
        text=f"{short} more certified staff member{'s' if short > 1 else ''}",
    )


def checks(tier: TierOut, facts: TierFacts) -> list[RequirementCheck]:
    """Each requirement of `tier` against the partner: measured ones met or unmet, named ones unverified."""
    found: list[RequirementCheck] = []
    requirements = tier.requirements
    if requirements.min_trailing_12m_revenue is not None:
        found.append(_revenue_check(requirements.min_trailing_12m_revenue, facts))
    if requirements.min_certified_staff is not None:
        found.append(_staff_check(requirements.min_certified_staff, facts))
    found += [
        RequirementCheck(
            requirement=CRITERION,
            name=criterion.name,
            status=RequirementStatus.UNVERIFIED,
            text=f"to confirm: {criterion.name}",
        )
        for criterion in requirements.criteria
    ]
    return found


def _unmet(found: list[RequirementCheck]) -> list[RequirementCheck]:
    return [check for check in found if check.status is RequirementStatus.UNMET]


def _gap(next_tier: TierOut | None, facts: TierFacts) -> TierGap:
    if next_tier is None:
        return TierGap(next_tier=None, unmet=[], to_confirm=[], summary="top of the ladder")
    found = checks(next_tier, facts)
    unmet = _unmet(found)
    to_confirm = [check.name or "" for check in found if check.status is RequirementStatus.UNVERIFIED]
    summary = (
        "; ".join(check.text for check in unmet)
        if unmet
        else f"meets every measured requirement of {next_tier.key}"
    )
    return TierGap(next_tier=next_tier.key, unmet=unmet, to_confirm=to_confirm, summary=summary)


def _with_since(
    tier: str, unmet: list[RequirementCheck], facts: TierFacts
) -> tuple[list[RequirementCheck], dict[str, date]]:
    since: dict[str, date] = {}
    risk: list[RequirementCheck] = []
    for check in unmet:
        key = f"{tier}:{check.requirement}"
        since[key] = facts.failing_since.get(key, facts.today)
        risk.append(check.model_copy(update={"failing_since": since[key]}))
    return risk, since


def standing(ladder: list[TierOut], facts: TierFacts) -> Standing:
    """The recommendation for the partner, the gap to its next tier and its demotion risk."""
    rungs = sorted(ladder, key=lambda tier: tier.rank)
    by_key = {tier.key: tier for tier in rungs}
    current = by_key.get(facts.current_tier) if facts.current_tier else None
    current_rank = current.rank if current else 0
    qualifying = [tier for tier in rungs if not _unmet(checks(tier, facts))]

    target: TierOut | None
    if qualifying:
        target = qualifying[-1]
    elif facts.current_tier is not None and rungs:
        target = rungs[0]
    else:
        target = current
    target_rank = target.rank if target else 0
    action = (
        TierAction.PROMOTE
        if target_rank > current_rank
        else TierAction.DEMOTE
        if target_rank < current_rank
        else TierAction.KEEP
    )

    reasons: list[str] = []
    if facts.current_tier is not None and current is None:
        reasons.append(f"holds {facts.current_tier!r}, which is not on the tier ladder")
    current_unmet = _unmet(checks(current, facts)) if current else []
    if action is TierAction.PROMOTE and target is not None:
        met = [c.text for c in checks(target, facts) if c.status is RequirementStatus.MET]
        reasons.append(
            f"meets every measured requirement of {target.key}" + (": " + "; ".join(met) if met else "")
        )
    elif action is TierAction.DEMOTE and current is not None and target is not None:
        reasons.append(f"fails {current.key}: " + "; ".join(c.text for c in current_unmet))
        reasons.append(
            f"the highest tier met is {target.key}"
            if qualifying
            else f"meets no tier; {target.key} is the lowest"
        )
    elif current is not None and current_unmet:
        reasons.append(
            f"fails {current.key} ({'; '.join(c.text for c in current_unmet)}), the lowest tier already"
        )
    elif current is not None:
        reasons.append(f"meets every measured requirement of {current.key}, and not those of a higher tier")
    elif not rungs:
        reasons.append("the tier ladder is empty")
    else:
        reasons.append("meets the measured requirements of no tier")

    above = [tier for tier in rungs if tier.rank > current_rank]
    risk, since = _with_since(current.key, current_unmet, facts) if current else ([], {})
    return Standing(
        current_tier=facts.current_tier,
        recommended_tier=target.key if target else None,
        action=action,
        reasons=reasons,
        gap=_gap(above[0] if above else None, facts),
        demotion_risk=risk,
        failing_since=since,
    )
