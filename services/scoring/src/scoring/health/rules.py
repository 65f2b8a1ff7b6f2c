"""The health signals, as pure rules over facts already read (no I/O; tested without a database).

KPI signals compare the last complete period (`latest`) with the one before it (`previous`):

- `revenue_declining` (warning): revenue fell two periods in a row, i.e. `growth_previous_period` is below 0
  in both `latest` and `previous`;
- `attainment_low`: `target_attainment` of `latest` under the threshold (warning), under half of it (critical);
- `nps_drop` (warning): NPS of `previous` minus NPS of `latest` is more than the allowed drop in points;
- `no_recent_sales`: the last sale (up to today) is more than N days ago (warning), more than 2·N days ago or
  none in the trailing 12 months (critical);
- `certifications_expiring` (info): certifications expiring from today to today + N days;
- `open_compliance_violations`: any open or remediating violation (warning), a high or critical one (critical).

A fact that could not be read (no snapshot, a KPI null with its reason) leaves its signal unchecked and is
named in `unavailable`, so "healthy" never hides "unknown".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from prm_contracts.certifications import CertificationOut
from prm_contracts.compliance import SeverityCounts
from prm_contracts.kpis import Kpi, KpiSnapshot
from prm_contracts.scoring import (
    HealthLevel,
    HealthOut,
    HealthSignal,
    HealthSignalKind,
    SignalSeverity,
)

SEVERITY_RANK = {SignalSeverity.INFO: 1, SignalSeverity.WARNING: 2, SignalSeverity.CRITICAL: 3}
KIND_ORDER = {kind: position for position, kind in enumerate(HealthSignalKind)}


@dataclass(frozen=True)
class HealthThresholds:
    attainment: Decimal
    nps_drop_points: Decimal
    no_sales_days: int
    certification_days: int


@dataclass(frozen=True)
class HealthFacts:
    """What the rules read; None where the fact could not be read (its reason is in `unavailable`)."""

    today: date
    latest_period: str
    previous_period: str
    latest: KpiSnapshot | None
    previous: KpiSnapshot | None
    last_sale_known: bool  # whether a snapshot up to today was read (then `last_sale_on` None means no sale)
    last_sale_on: date | None
    open_violations: SeverityCounts | None
    certifications: list[CertificationOut] | None
    unavailable: list[str] = field(default_factory=list)


def _text(value: Decimal) -> str:
    return format(value, "f")


class _Reader:
    """Reads KPI values, noting each one that is missing and why."""

    def __init__(self, unavailable: list[str]) -> None:
        self.unavailable = unavailable

    def value(self, snapshot: KpiSnapshot | None, name: str, period: str) -> Decimal | None:
        if snapshot is None:
            return None  # the snapshot itself is already named as unavailable
        kpi: Kpi = getattr(snapshot, name)
        if kpi.value is None:
            self.unavailable.append(f"{name} {period}: {kpi.reason or 'not computable'}")
        return kpi.value


def _revenue_declining(facts: HealthFacts, read: _Reader) -> HealthSignal | None:
    latest = read.value(facts.latest, "growth_previous_period", facts.latest_period)
    previous = read.value(facts.previous, "growth_previous_period", facts.previous_period)
    if latest is None or previous is None or not (latest < 0 and previous < 0):
        return None
    return HealthSignal(
        kind=HealthSignalKind.REVENUE_DECLINING,
        severity=SignalSeverity.WARNING,
        reason=f"revenue fell two periods in a row: {_text(previous)} in {facts.previous_period}, then "
        f"{_text(latest)} in {facts.latest_period} (growth against the period before)",
        values={
            "period": facts.latest_period,
            "growth": _text(latest),
            "previous_period": facts.previous_period,
            "previous_growth": _text(previous),
        },
    )


def _attainment_low(facts: HealthFacts, read: _Reader, threshold: Decimal) -> HealthSignal | None:
    attainment = read.value(facts.latest, "target_attainment", facts.latest_period)
    if attainment is None or attainment >= threshold:
        return None
    severity = SignalSeverity.CRITICAL if attainment < threshold / 2 else SignalSeverity.WARNING
    return HealthSignal(
        kind=HealthSignalKind.ATTAINMENT_LOW,
        severity=severity,
        reason=f"target attainment {_text(attainment)} in {facts.latest_period} is under the threshold "
        f"{_text(threshold)}",
        values={"period": facts.latest_period, "actual": _text(attainment), "threshold": _text(threshold)},
    )


def _nps_drop(facts: HealthFacts, read: _Reader, allowed: Decimal) -> HealthSignal | None:
    latest = read.value(facts.latest, "nps", facts.latest_period)
    previous = read.value(facts.previous, "nps", facts.previous_period)
    if latest is None or previous is None or previous - latest <= allowed:
        return None
    drop = previous - latest
    return HealthSignal(
        kind=HealthSignalKind.NPS_DROP,
        severity=SignalSeverity.WARNING,
        reason=f"NPS fell {_text(drop)} points, from {_text(previous)} in {facts.previous_period} to "
        f"{_text(latest)} in {facts.latest_period} (more than {_text(allowed)})",
        values={
            "period": facts.latest_period,
            "nps": _text(latest),
            "previous_period": facts.previous_period,
            "previous_nps": _text(previous),
            "drop": _text(drop),
            "threshold": _text(allowed),
        },
    )


def _no_recent_sales(facts: HealthFacts, days: int) -> HealthSignal | None:
    if not facts.last_sale_known:
        return None
    values: dict[str, str | int | None] = {
        "last_sale_on": None if facts.last_sale_on is None else facts.last_sale_on.isoformat(),
        "threshold_days": days,
    }
    if facts.last_sale_on is None:
        return HealthSignal(
            kind=HealthSignalKind.NO_RECENT_SALES,
            severity=SignalSeverity.CRITICAL,
            reason="no sale reported in the trailing 12 months",
            values=values | {"days_since": None},
        )
    since = (facts.today - facts.last_sale_on).days
    if since <= days:
        return None
    return HealthSignal(
        kind=HealthSignalKind.NO_RECENT_SALES,
        severity=SignalSeverity.CRITICAL if since > 2 * days else SignalSeverity.WARNING,
        reason=f"no sale reported for {since} days (the last on {facts.last_sale_on}); the limit is {days}",
        values=values | {"days_since": since},
    )


def _certifications_expiring(facts: HealthFacts, days: int) -> HealthSignal | None:
    if facts.certifications is None:
        return None
    until = facts.today + timedelta(days=days)
    expiring = sorted(
        c.expires_on for c in facts.certifications if c.expires_on and facts.today <= c.expires_on <= until
    )
    if not expiring:
        return None
    count = len(expiring)
    return HealthSignal(
        kind=HealthSignalKind.CERTIFICATIONS_EXPIRING,
        severity=SignalSeverity.INFO,
        reason=f"{count} certification{'s' if count > 1 else ''} expire{'' if count > 1 else 's'} within "
        f"{days} days, the first on {expiring[0]}",
        values={"count": count, "first_expires_on": expiring[0].isoformat(), "within_days": days},
    )


def _open_violations(facts: HealthFacts) -> HealthSignal | None:
    counts = facts.open_violations
    if counts is None:
        return None
    total = counts.low + counts.medium + counts.high + counts.critical
    if total == 0:
        return None
    serious = counts.high + counts.critical
    return HealthSignal(
        kind=HealthSignalKind.OPEN_COMPLIANCE_VIOLATIONS,
        severity=SignalSeverity.CRITICAL if serious else SignalSeverity.WARNING,
        reason=f"{total} open compliance violation{'s' if total > 1 else ''}"
        + (f", {serious} of them high or critical" if serious else ""),
        values={"open": total, "high": counts.high, "critical": counts.critical},
    )


def health_of(facts: HealthFacts, thresholds: HealthThresholds) -> HealthOut:
    """Every signal that fires, most severe first, and the level: the worst severity, or healthy."""
    unavailable = list(facts.unavailable)
    read = _Reader(unavailable)
    found = [
        _revenue_declining(facts, read),
        _attainment_low(facts, read, thresholds.attainment),
        _nps_drop(facts, read, thresholds.nps_drop_points),
        _certifications_expiring(facts, thresholds.certification_days),
        _no_recent_sales(facts, thresholds.no_sales_days),
        _open_violations(facts),
    ]
    signals = sorted(
        (s for s in found if s is not None), key=lambda s: (-SEVERITY_RANK[s.severity], KIND_ORDER[s.kind])
    )
    level = HealthLevel(signals[0].severity.value) if signals else HealthLevel.HEALTHY
    return HealthOut(
        level=level,
        signals=signals,
        as_of=facts.today,
        periods=[facts.latest_period, facts.previous_period],
        unavailable=unavailable,
    )


def health_rank(level: HealthLevel) -> int:
    """0 healthy, 1 info, 2 warning, 3 critical: the order partners at risk are listed in."""
    return 0 if level is HealthLevel.HEALTHY else SEVERITY_RANK[SignalSeverity(level.value)]
