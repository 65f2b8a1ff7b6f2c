"""Partners' targets per metric (revenue by default) and period.

All targets of one partner are in one currency: a target in another currency than the partner's other
targets is refused (409 `target-currency-mismatch`), not converted, so attainment always compares amounts a
channel manager set in the same currency (KPIs convert the partner's actuals into it with named rates).
Analytics does not own partners: a target may be set for a partner its replica has not heard of yet.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from uuid import UUID

from prm_contracts.analytics import TargetIn, TargetMetric, TargetOut
from prm_contracts.money import Money
from prm_contracts.pagination import Page
from prm_contracts.periods import Period, PeriodKind
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict, NotFound
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.kpis.announcements import announce, per_period
from analytics.partners.access import ensure_visible, visible_partner_filter
from analytics.targets import repository
from analytics.targets.models import Target
from analytics.targets.put_rules import PutOutcome, money_put_outcome, period_columns, store_money

ORDER = "period"


class TargetCurrencyMismatch(Conflict):
    slug, title = "target-currency-mismatch", "The partner's targets are in another currency"


def target_out(target: Target) -> TargetOut:
    return TargetOut(
        id=target.id,
        partner_id=target.partner_id,
        metric=TargetMetric(target.metric),
        period=target.period,
        period_kind=PeriodKind(target.period_kind),
        first_day=target.first_day,
        last_day=target.last_day,
        target=Money(amount=target.amount, currency=target.currency),
        version=target.version,
        created_at=target.created_at,
        updated_at=target.updated_at,
    )


async def put_target(
    session: AsyncSession,
    partner_id: UUID,
    metric: TargetMetric,
    period: Period,
    body: TargetIn,
    *,
    if_match: str | None,
    now: datetime,
) -> tuple[Target, PutOutcome]:
    existing = await repository.target_by_key(
        session, partner_id, metric.value, period.label, for_update=True
    )
    outcome = money_put_outcome(existing, body.target, if_match=if_match, resource="target")
    if outcome is PutOutcome.UNCHANGED and existing is not None:
        return existing, outcome
    other = await repository.other_currency(
        session, partner_id, body.target.currency, besides=existing.id if existing else None
    )
    if other is not None:
        raise TargetCurrencyMismatch(
            f"partner {partner_id}'s targets are in {other.currency} (e.g. {other.metric} {other.period}); "
            f"set this one in {other.currency} too, or change the others first",
            currency=other.currency,
        )
    new = partial(Target, partner_id=partner_id, metric=metric.value, **period_columns(period))
    target = await store_money(
        session, existing, body.target, outcome, new=new, add=repository.add_target, now=now
    )
    # any metric: attainment reads the revenue target, and every target sets the snapshot's default currency
    await announce(session, per_period([partner_id], period))
    return target, outcome


async def visible_target(
    session: AsyncSession, partner_id: UUID, metric: TargetMetric, period: Period, *, viewer: Principal
) -> Target:
    ensure_visible(viewer, partner_id, "target")
    target = await repository.target_by_key(session, partner_id, metric.value, period.label)
    if target is None:
        raise NotFound(f"no {metric.value} target of partner {partner_id} for {period.label}")
    return target


async def list_targets(
    session: AsyncSession,
    *,
    viewer: Principal,
    partner_id: UUID | None,
    metric: TargetMetric | None,
    period: Period | None,
    limit: int,
    cursor: str | None,
) -> Page[TargetOut]:
    rows = await repository.target_page(
        session,
        partner_id=visible_partner_filter(viewer, partner_id, "targets"),
        metric=metric.value if metric else None,
        period=period.label if period else None,
        after=keyset_position(cursor, ORDER, str),
        limit=limit + 1,
    )
    return page_of(rows, limit, out=target_out, cursor_of=lambda t: keyset_cursor(ORDER, t.period, t.id))


async def partner_targets(session: AsyncSession, partner_id: UUID, period: Period | None) -> list[TargetOut]:
    rows = await repository.partner_targets(session, partner_id, period.label if period else None)
    return [target_out(row) for row in rows]


async def period_targets(
    session: AsyncSession, period: Period, metric: TargetMetric | None
) -> list[TargetOut]:
    rows = await repository.period_targets(session, period.label, metric.value if metric else None)
    return [target_out(row) for row in rows]
