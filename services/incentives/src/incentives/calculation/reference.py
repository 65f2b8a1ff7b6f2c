"""The slow, obviously correct calculator: one line at a time, every line's contribution to every rule.

It is the specification the set-based calculator is tested against, and what a payout's per-line trace is
derived from on read (one partner's lines at a time). Lines arrive with their FX rate and the partner's facts
as of the line's day; nothing here reads a database or a clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, localcontext
from uuid import UUID

from prm_contracts.incentives import (
    AcceleratorRule,
    Basis,
    DealRegistrationBonusRule,
    MdfAccrualRule,
    RebateRule,
    RuleKind,
    SpiffRule,
    SpiffUnit,
    VersionTerms,
    VolumeBonusMode,
    VolumeBonusRule,
)
from prm_contracts.periods import Period

from incentives.calculation.rounding import PRECISION
from incentives.calculation.rules import RuleResult
from incentives.replica.regions import region_key

FLAGGED = "flagged"
HOLD_PERIOD = "hold_period"
HELD_FLAGS = ("open", "confirmed")


@dataclass(frozen=True)
class LineFacts:
    """A replica line with what the calculation needs beside it: its FX rate into the programme currency, and
    the partner's tier, status and profile as of the line's day."""

    id: UUID
    partner_id: UUID
    external_id: str
    kind: str
    occurred_on: date
    payment_status: str
    paid_on: date | None
    sku: str
    category: str
    quantity: Decimal
    amount: Decimal  # positive; the kind gives the sign
    currency: str
    fx_rate: Decimal
    approved_deal: bool
    flag_status: str
    tier: str | None
    active: bool
    partner_type: str | None
    country: str | None
    region: str | None
    original_external_id: str | None = None  # a return's or credit note's sale, of the same partner

    @property
    def sign(self) -> int:
        return 1 if self.kind == "sale" else -1

    @property
    def converted(self) -> Decimal:
        with localcontext() as context:
            context.prec = PRECISION
            return self.sign * self.amount * self.fx_rate


@dataclass(frozen=True)
class Contribution:
    line_id: UUID
    rule: int
    kind: RuleKind
    amount: Decimal  # exact
    band: int | None = None
    rate: Decimal | None = None


@dataclass
class PartnerReference:
    results: list[RuleResult]
    contributions: list[Contribution]
    volume: Decimal
    lines: list[LineFacts] = field(default_factory=list)
    held: dict[UUID, str] = field(default_factory=dict)
    held_volume: Decimal = Decimal(0)


def counting_window(terms: VersionTerms, period: Period) -> tuple[date, date]:
    """The days [first, end) whose lines count: the period within the version's effective dates."""
    end = (
        period.end if terms.effective_to is None else min(period.end, terms.effective_to + timedelta(days=1))
    )
    return max(period.first_day, terms.effective_from), end


def counts_in_period(terms: VersionTerms, period: Period, line: LineFacts) -> bool:
    first, end = counting_window(terms, period)
    if terms.basis is Basis.PAID:
        return line.payment_status == "paid" and line.paid_on is not None and first <= line.paid_on < end
    return first <= line.occurred_on < end


def eligible(terms: VersionTerms, line: LineFacts) -> bool:
    rules = terms.eligibility
    return (
        (rules.tiers is None or line.tier in rules.tiers)
        and (rules.partner_types is None or line.partner_type in rules.partner_types)
        and (rules.countries is None or line.country in rules.countries)
        and (rules.regions is None or region_key(line.region) in {region_key(r) for r in rules.regions})
        and (not rules.active_at_sale or line.active)
        and (rules.categories_included is None or line.category in rules.categories_included)
        and line.category not in rules.categories_excluded
        and (rules.skus_included is None or line.sku in rules.skus_included)
        and line.sku not in rules.skus_excluded
        and (not rules.registered_deals_only or line.approved_deal)
    )


def follows_unpaid_sale(
    terms: VersionTerms, line: LineFacts, originals: Mapping[tuple[UUID, str], LineFacts]
) -> bool:
    """A return or credit note whose original sale will never be paid: the terms' eligibility excludes the
    sale on its own day, or its flag was confirmed. It counts nowhere, as its sale does: netting it would take
    back commission that was never paid. (A sale held by an open flag or the hold window may still be paid:
    its return nets.) `originals`: the partner's sales by (partner, external id)."""
    if line.kind == "sale" or line.original_external_id is None:
        return False
    sale = originals.get((line.partner_id, line.original_external_id))
    return sale is not None and (sale.flag_status == "confirmed" or not eligible(terms, sale))


def hold_reason(terms: VersionTerms, line: LineFacts, as_of: date) -> str | None:
    if line.flag_status in HELD_FLAGS:
        return FLAGGED
    if line.occurred_on + timedelta(days=terms.hold_days) > as_of:
        return HOLD_PERIOD
    return None


def _in_spiff(rule: SpiffRule, line: LineFacts) -> bool:
    return line.sku in rule.skus and rule.window.from_ <= line.occurred_on <= rule.window.to


def _marginal_total(rule: VolumeBonusRule, volume: Decimal) -> Decimal:
    """Walk up the bands, paying each band's rate on the slice of volume inside it."""
    total = Decimal(0)
    for band in rule.bands:
        if volume <= band.from_:
            break
        upper = volume if band.to is None else min(volume, band.to)
        total += band.rate * (upper - band.from_)
    return total


def _whole_band(rule: VolumeBonusRule, volume: Decimal) -> tuple[int | None, Decimal]:
    reached = [i for i, band in enumerate(rule.bands) if volume >= band.from_]
    if not reached:
        return None, Decimal(0)
    return reached[-1], rule.bands[reached[-1]].rate


def partner_reference(
    terms: VersionTerms, lines: list[LineFacts], target: Decimal | None
) -> PartnerReference:
    """One partner's rule amounts and every payable line's contribution to each (lines already eligible)."""
    with localcontext() as context:
        context.prec = PRECISION
        volume = sum((line.converted for line in lines), Decimal(0))
        results: list[RuleResult] = []
        contributions: list[Contribution] = []
        for index, rule in enumerate(terms.rules):
            kind = RuleKind(rule.kind)
            per_line: list[tuple[LineFacts, Decimal, int | None, Decimal | None]] = []
            band: int | None = None
            if isinstance(rule, RebateRule | MdfAccrualRule):
                per_line = [(line, rule.rate * line.converted, None, rule.rate) for line in lines]
                total = sum((c for _, c, _, _ in per_line), Decimal(0))
            elif isinstance(rule, DealRegistrationBonusRule):
                per_line = [
                    (line, rule.rate * line.converted, None, rule.rate)
                    for line in lines
                    if line.approved_deal
                ]
                total = sum((c for _, c, _, _ in per_line), Decimal(0))
            elif isinstance(rule, SpiffRule):
                for line in lines:
                    if _in_spiff(rule, line):
                        count = line.quantity if rule.per is SpiffUnit.UNIT else Decimal(1)
                        per_line.append((line, line.sign * count * rule.amount, None, rule.amount))
                total = sum((c for _, c, _, _ in per_line), Decimal(0))
            elif isinstance(rule, VolumeBonusRule):
                if rule.mode is VolumeBonusMode.WHOLE_BAND:
                    band, rate = _whole_band(rule, volume)
                    total = rate * volume
                    per_line = (
                        [(line, rate * line.converted, band, rate) for line in lines]
                        if band is not None
                        else []
                    )
                else:
                    total = _marginal_total(rule, volume)
                    band, _ = _whole_band(rule, volume)
                    per_line = (
                        [(line, total * line.converted / volume, band, None) for line in lines]
                        if total
                        else []
                    )
            elif isinstance(rule, AcceleratorRule):
                above = volume - rule.threshold * target if target is not None else Decimal(0)
                total = rule.rate * above if above > 0 else Decimal(0)
                per_line = (
                    [(line, total * line.converted / volume, None, rule.rate) for line in lines]
                    if total
                    else []
                )
            else:
                continue  # cap, floor and budget act on the partner's total (settle.py)
            results.append(RuleResult(index, kind, total, band))
            contributions.extend(
                Contribution(line.id, index, kind, amount, line_band, rate)
                for line, amount, line_band, rate in per_line
            )
        return PartnerReference(results=results, contributions=contributions, volume=volume, lines=lines)


def reference_calculation(
    terms: VersionTerms,
    period: Period,
    as_of: date,
    lines: list[LineFacts],
    targets: dict[UUID, Decimal],
    originals: Mapping[tuple[UUID, str], LineFacts] | None = None,
) -> dict[UUID, PartnerReference]:
    """Per partner with at least one eligible line of the period (payable or held): its reference result.
    `originals`: the sales the returns among `lines` name, by (partner, external id), with their facts."""
    payable: dict[UUID, list[LineFacts]] = defaultdict(list)
    held: dict[UUID, dict[UUID, str]] = defaultdict(dict)
    held_volume: dict[UUID, Decimal] = defaultdict(Decimal)
    for line in lines:
        if not counts_in_period(terms, period, line) or not eligible(terms, line):
            continue
        if follows_unpaid_sale(terms, line, originals or {}):
            continue
        reason = hold_reason(terms, line, as_of)
        if reason is None:
            payable[line.partner_id].append(line)
        else:
            held[line.partner_id][line.id] = reason
            held_volume[line.partner_id] += line.converted
    answer = {}
    for partner in sorted(set(payable) | set(held)):
        reference = partner_reference(terms, payable.get(partner, []), targets.get(partner))
        reference.held = held.get(partner, {})
        reference.held_volume = held_volume.get(partner, Decimal(0))
        answer[partner] = reference
    return answer
