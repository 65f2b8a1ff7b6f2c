"""Market sizes per region (a country or a region code), customer segment and period: the denominators of
market share. Vendor data: readable by every analytics reader, written only by the vendor's credentials."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from prm_contracts.money import Money
from prm_contracts.pagination import Page
from prm_contracts.periods import Period, PeriodKind
from prm_contracts.problem import NotFound
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.kpis.announcements import announce, per_period
from analytics.market_sizes import repository
from analytics.market_sizes.models import MarketSize
from analytics.market_sizes.schemas import MarketSizeIn, MarketSizeOut
from analytics.targets.put_rules import PutOutcome, money_put_outcome, period_columns, store_money

ORDER = "period"


def market_size_out(size: MarketSize) -> MarketSizeOut:
    return MarketSizeOut(
        id=size.id,
        region=size.region,
        segment=size.segment,
        period=size.period,
        period_kind=PeriodKind(size.period_kind),
        first_day=size.first_day,
        last_day=size.last_day,
        size=Money(amount=size.amount, currency=size.currency),
        version=size.version,
        created_at=size.created_at,
        updated_at=size.updated_at,
    )


async def put_size(
    session: AsyncSession,
    region: str,
    segment: str,
    period: Period,
    body: MarketSizeIn,
    *,
    if_match: str | None,
    now: datetime,
) -> tuple[MarketSize, PutOutcome]:
    existing = await repository.size_by_key(session, region, segment, period.label, for_update=True)
    outcome = money_put_outcome(existing, body.size, if_match=if_match, resource="market size")
    new = partial(MarketSize, region=region, segment=segment, **period_columns(period))
    size = await store_money(session, existing, body.size, outcome, new=new, add=repository.add_size, now=now)
    if outcome is not PutOutcome.UNCHANGED:
        # every segment of a region adds to the market of each partner placed there
        await announce(session, per_period(await repository.partners_in_region(session, region), period))
    return size, outcome


async def get_size(session: AsyncSession, region: str, segment: str, period: Period) -> MarketSize:
    size = await repository.size_by_key(session, region, segment, period.label)
    if size is None:
        raise NotFound(f"no market size of {region} / {segment!r} for {period.label}")
    return size


async def list_sizes(
    session: AsyncSession,
    *,
    region: str | None,
    segment: str | None,
    period: Period | None,
    limit: int,
    cursor: str | None,
) -> Page[MarketSizeOut]:
    rows = await repository.size_page(
        session,
        region=region,
        segment=segment,
        period=period.label if period else None,
        after=keyset_position(cursor, ORDER, str),
        limit=limit + 1,
    )
    return page_of(rows, limit, out=market_size_out, cursor_of=lambda s: keyset_cursor(ORDER, s.period, s.id))
