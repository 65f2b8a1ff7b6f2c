"""Everything a partner's score depends on that other services hold, read over HTTP with no transaction open.

The registry: the partner (404: it does not exist, nothing to refresh), its compliance summary, its
certifications, the tier ladder. Analytics: KPI snapshots of the last complete period and the one before it
(health signals), and of the trailing 12 months up to today (tier revenue, in each currency the ladder's
revenue requirements use; its `last_sale_on` feeds `no_recent_sales`). A snapshot analytics has not got (404)
is noted as unavailable; analytics or the registry unreachable fails the refresh, which is retried later.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from prm_contracts.certifications import CertificationOut
from prm_contracts.clients.analytics import AnalyticsClient
from prm_contracts.clients.registry import RegistryClient
from prm_contracts.compliance import ComplianceSummaryOut
from prm_contracts.kpis import KpiSnapshot
from prm_contracts.partners import PartnerOut
from prm_contracts.periods import Period, PeriodKind, period_containing
from prm_contracts.problem import NotFound
from prm_contracts.tiers import TierOut


@dataclass
class RemoteFacts:
    partner: PartnerOut
    compliance: ComplianceSummaryOut
    certifications: list[CertificationOut]
    latest_period: Period
    previous_period: Period
    latest: KpiSnapshot | None
    previous: KpiSnapshot | None
    trailing: dict[
        str, KpiSnapshot | None
    ]  # trailing 12 months up to today, by currency (None: the partner's)
    unavailable: list[str] = field(default_factory=list)


def health_periods(kind: str, today: date) -> tuple[Period, Period]:
    """The last complete period before today and the one before it."""
    current = period_containing(PeriodKind(kind), today)
    latest = current.previous()
    return latest, latest.previous()


def trailing_12_months(today: date) -> tuple[date, date]:
    """From the same day a year ago (exclusive) to today, both ends of the answer inclusive."""
    start = (
        today.replace(year=today.year - 1)
        if not (today.month == 2 and today.day == 29)
        else date(today.year - 1, 2, 28)
    )
    return start + timedelta(days=1), today


def ladder_currencies(ladder: list[TierOut]) -> list[str]:
    return sorted(
        {
            tier.requirements.min_trailing_12m_revenue.currency
            for tier in ladder
            if tier.requirements.min_trailing_12m_revenue is not None
        }
    )


async def _snapshot(
    analytics: AnalyticsClient,
    partner_id: UUID,
    what: str,
    unavailable: list[str],
    *,
    period: str | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
    currency: str | None = None,
) -> KpiSnapshot | None:
    try:
        return await analytics.kpi_snapshot(
            partner_id, period=period, first_day=first_day, last_day=last_day, currency=currency
        )
    except NotFound as error:
        unavailable.append(f"kpis {what}: {error.detail or 'not found'}")
        return None


async def remote_facts(
    registry: RegistryClient,
    analytics: AnalyticsClient,
    partner_id: UUID,
    *,
    ladder: list[TierOut],
    today: date,
    period_kind: str,
) -> RemoteFacts | None:
    """The partner's facts from the registry and analytics; None when the registry has no such partner."""
    try:
        partner = await registry.partner(partner_id)
    except NotFound:
        return None
    latest_period, previous_period = health_periods(period_kind, today)
    first_day, last_day = trailing_12_months(today)
    currencies: list[str | None] = [*ladder_currencies(ladder)] or [None]
    unavailable: list[str] = []
    async with asyncio.TaskGroup() as group:
        compliance = group.create_task(registry.compliance_summary(partner_id))
        certifications = group.create_task(registry.certifications(partner_id))
        latest = group.create_task(
            _snapshot(analytics, partner_id, latest_period.label, unavailable, period=latest_period.label)
        )
        previous = group.create_task(
            _snapshot(analytics, partner_id, previous_period.label, unavailable, period=previous_period.label)
        )
        trailing = [
            group.create_task(
                _snapshot(
                    analytics,
                    partner_id,
                    f"{first_day}..{last_day}" + (f" in {currency}" if currency else ""),
                    unavailable,
                    first_day=first_day,
                    last_day=last_day,
                    currency=currency,
                )
            )
            for currency in currencies
        ]
    return RemoteFacts(
        partner=partner,
        compliance=compliance.result(),
        certifications=certifications.result(),
        latest_period=latest_period,
        previous_period=previous_period,
        latest=latest.result(),
        previous=previous.result(),
        trailing={currency or "": task.result() for currency, task in zip(currencies, trailing, strict=True)},
        unavailable=sorted(unavailable),
    )


def certified_staff(certifications: list[CertificationOut], today: date) -> int:
    """People (contacts) holding at least one certification valid today; the company's own do not count."""
    return len(
        {
            c.contact_id
            for c in certifications
            if c.contact_id is not None
            and c.issued_on <= today
            and (c.expires_on is None or c.expires_on >= today)
        }
    )
