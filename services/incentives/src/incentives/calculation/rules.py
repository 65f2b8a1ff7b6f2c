"""What each rule earns for one partner in one period, from the partner's aggregated volumes (the set-based
calculator sums lines in SQL and hands the sums here). Exact Decimal; nothing is rounded here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from functools import partial

from prm_contracts.incentives import (
    AcceleratorRule,
    DealRegistrationBonusRule,
    MdfAccrualRule,
    RebateRule,
    RuleKind,
    SpiffRule,
    SpiffUnit,
    VersionTerms,
    VolumeBand,
    VolumeBonusMode,
    VolumeBonusRule,
)

from incentives.calculation.rounding import PRECISION


@dataclass
class PartnerVolumes:
    """A partner's eligible, payable lines of the period, summed (amounts in the programme's currency)."""

    volume: Decimal = Decimal(0)
    deal_volume: Decimal = Decimal(0)
    spiff_units: dict[int, Decimal] = field(default_factory=dict)  # rule index → signed quantity
    spiff_deals: dict[int, int] = field(default_factory=dict)  # rule index → signed line count
    lines: int = 0
    target: Decimal | None = None


@dataclass(frozen=True)
class RuleResult:
    rule: int
    kind: RuleKind
    amount: Decimal
    band: int | None = None


def band_reached(bands: list[VolumeBand], volume: Decimal) -> int | None:
    """The index of the band holding `volume`, None below the first band."""
    for index, band in enumerate(bands):
        if band.from_ <= volume and (band.to is None or volume < band.to):
            return index
    return None


def volume_bonus(rule: VolumeBonusRule, volume: Decimal) -> tuple[Decimal, int | None]:
    band = band_reached(rule.bands, volume)
    if band is None:
        return Decimal(0), None
    if rule.mode is VolumeBonusMode.WHOLE_BAND:
        return rule.bands[band].rate * volume, band
    amount = Decimal(0)
    for current in rule.bands[: band + 1]:
        top = volume if current.to is None else min(volume, current.to)
        amount += current.rate * (top - current.from_)
    return amount, band


def accelerator(rule: AcceleratorRule, volume: Decimal, target: Decimal | None) -> Decimal:
    if target is None:
        return Decimal(0)
    excess = volume - rule.threshold * target
    return rule.rate * excess if excess > 0 else Decimal(0)


Amount = Callable[[PartnerVolumes], tuple[Decimal, int | None]]
RulePlan = list[tuple[int, RuleKind, Amount]]


def _of_volume(rate: Decimal, volumes: PartnerVolumes) -> tuple[Decimal, int | None]:
    return rate * volumes.volume, None


def _of_deal_volume(rate: Decimal, volumes: PartnerVolumes) -> tuple[Decimal, int | None]:
    return rate * volumes.deal_volume, None


def _of_bands(rule: VolumeBonusRule, volumes: PartnerVolumes) -> tuple[Decimal, int | None]:
    return volume_bonus(rule, volumes.volume)


def _above_target(rule: AcceleratorRule, volumes: PartnerVolumes) -> tuple[Decimal, int | None]:
    return accelerator(rule, volumes.volume, volumes.target), None


def _per_unit(index: int, amount: Decimal, volumes: PartnerVolumes) -> tuple[Decimal, int | None]:
    return amount * volumes.spiff_units.get(index, Decimal(0)), None


def _per_deal(index: int, amount: Decimal, volumes: PartnerVolumes) -> tuple[Decimal, int | None]:
    return amount * Decimal(volumes.spiff_deals.get(index, 0)), None


def rule_plan(terms: VersionTerms) -> RulePlan:
    """Each earning and accruing rule of the terms as a function of a partner's volumes, worked out once for
    a run's thousands of partners (caps, floors and budgets are `settle`'s)."""
    plan: RulePlan = []
    for index, rule in enumerate(terms.rules):
        if isinstance(rule, RebateRule | MdfAccrualRule):
            plan.append((index, RuleKind(rule.kind), partial(_of_volume, rule.rate)))
        elif isinstance(rule, VolumeBonusRule):
            plan.append((index, RuleKind.VOLUME_BONUS, partial(_of_bands, rule)))
        elif isinstance(rule, AcceleratorRule):
            plan.append((index, RuleKind.ACCELERATOR, partial(_above_target, rule)))
        elif isinstance(rule, SpiffRule):
            per = _per_unit if rule.per is SpiffUnit.UNIT else _per_deal
            plan.append((index, RuleKind.SPIFF, partial(per, index, rule.amount)))
        elif isinstance(rule, DealRegistrationBonusRule):
            plan.append((index, RuleKind.DEAL_REGISTRATION_BONUS, partial(_of_deal_volume, rule.rate)))
    return plan


def rule_results(
    terms: VersionTerms, volumes: PartnerVolumes, plan: RulePlan | None = None
) -> list[RuleResult]:
    """Every earning and accruing rule's exact amount (by `plan`, worked out from the terms when not given);
    caps, floors and budgets are `settle`'s."""
    with localcontext() as context:
        context.prec = PRECISION
        return [
            RuleResult(index, kind, *amount(volumes))
            for index, kind, amount in (rule_plan(terms) if plan is None else plan)
        ]
