"""What each rule earns for one partner in one period, from the partner's aggregated volumes (the set-based
calculator sums lines in SQL and hands the sums here). Exact Decimal; nothing is rounded here."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, localcontext

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


def rule_results(terms: VersionTerms, volumes: PartnerVolumes) -> list[RuleResult]:
    """Every earning and accruing rule's exact amount; caps, floors and budgets are `settle`'s."""
    results: list[RuleResult] = []
    with localcontext() as context:
        context.prec = PRECISION
        for index, rule in enumerate(terms.rules):
            if isinstance(rule, RebateRule | MdfAccrualRule):
                results.append(RuleResult(index, RuleKind(rule.kind), rule.rate * volumes.volume))
            elif isinstance(rule, VolumeBonusRule):
                amount, band = volume_bonus(rule, volumes.volume)
                results.append(RuleResult(index, RuleKind.VOLUME_BONUS, amount, band))
            elif isinstance(rule, AcceleratorRule):
                amount = accelerator(rule, volumes.volume, volumes.target)
                results.append(RuleResult(index, RuleKind.ACCELERATOR, amount))
            elif isinstance(rule, SpiffRule):
                base = (
                    volumes.spiff_units.get(index, Decimal(0))
                    if rule.per is SpiffUnit.UNIT
                    else Decimal(volumes.spiff_deals.get(index, 0))
                )
                results.append(RuleResult(index, RuleKind.SPIFF, rule.amount * base))
            elif isinstance(rule, DealRegistrationBonusRule):
                results.append(
                    RuleResult(index, RuleKind.DEAL_REGISTRATION_BONUS, rule.rate * volumes.deal_volume)
                )
    return results
