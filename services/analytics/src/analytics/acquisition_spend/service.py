"""Partners' customer-acquisition spend per period: what the vendor spent to win new customers through a
partner, the numerator of customer acquisition cost."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from uuid import UUID

from prm_contracts.money import Money
from prm_contracts.pagination import Page
from prm_contracts.periods import Period, PeriodKind
from prm_contracts.principal import Principal
from prm_contracts.problem import NotFound
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.acquisition_spend import repository
from analytics.acquisition_spend.models import AcquisitionSpend
from analytics.acquisition_spend.schemas import AcquisitionSpendIn, AcquisitionSpendOut
from analytics.kpis.announcements import announce, per_period
from analytics.partners.access import ensure_visible, visible_partner_filter
from analytics.targets.put_rules import PutOutcome, money_put_outcome, period_columns, store_money

ORDER = "period"


def spend_out(spend: AcquisitionSpend) -> AcquisitionSpendOut:
    return AcquisitionSpendOut(
        id=spend.id,
        partner_id=spend.partner_id,
        period=spend.period,
        period_kind=PeriodKind(spend.period_kind),
        first_day=spend.first_day,
        last_day=spend.last_day,
        spend=Money(amount=spend.amount, currency=spend.currency),
        version=spend.version,
        created_at=spend.created_at,
        updated_at=spend.updated_at,
    )


async def put_spend(
    session: AsyncSession,
    partner_id: UUID,
    period: Period,
    body: AcquisitionSpendIn,
    *,
    if_match: str | None,
    now: datetime,
) -> tuple[AcquisitionSpend, PutOutcome]:
    existing = await repository.spend_by_key(session, partner_id, period.label, for_update=True)
    outcome = money_put_outcome(existing, body.spend, if_match=if_match, resource="spend")
    new = partial(AcquisitionSpend, partner_id=partner_id, **period_columns(period))
    spend = await store_money(
        session, existing, body.spend, outcome, new=new, add=repository.add_spend, now=now
    )
    if outcome is not PutOutcome.UNCHANGED:
        await announce(session, per_period([partner_id], period))
    return spend, outcome


async def visible_spend(
    session: AsyncSession, partner_id: UUID, period: Period, *, viewer: Principal
) -> AcquisitionSpend:
    ensure_visible(viewer, partner_id, "acquisition spend")
    spend = await repository.spend_by_key(session, partner_id, period.label)
    if spend is None:
        raise NotFound(f"no acquisition spend of partner {partner_id} for {period.label}")
    return spend


async def list_spend(
    session: AsyncSession,
    *,
    viewer: Principal,
    partner_id: UUID | None,
    period: Period | None,
    limit: int,
    cursor: str | None,
) -> Page[AcquisitionSpendOut]:
    rows = await repository.spend_page(
        session,
        partner_id=visible_partner_filter(viewer, partner_id, "acquisition spend"),
        period=period.label if period else None,
        after=keyset_position(cursor, ORDER, str),
        limit=limit + 1,
    )
    return page_of(rows, limit, out=spend_out, cursor_of=lambda s: keyset_cursor(ORDER, s.period, s.id))
