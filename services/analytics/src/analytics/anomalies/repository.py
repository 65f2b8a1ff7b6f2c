"""Every query of the anomaly guard: what the rules read before a delivery's lines are written, and the
flags."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.sales import SalesKind
from prm_kit.db.in_lists import among, batches
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.anomalies.models import AnomalyFlag
from analytics.anomalies.rules import OriginalLine, RepeatKey
from analytics.kpis.models import SalesCustomerMonthRollup
from analytics.sales.deduplication import StoredKey
from analytics.sales.models import SalesDailyRollup, SalesLine

_CHUNK = 300
_flag = cast(sa.Table, AnomalyFlag.__table__)


async def daily_sales(
    session: AsyncSession, partner_id: UUID, first: date, last: date
) -> dict[tuple[str, date], Decimal]:
    """Gross sales per (currency, day) from the daily rollup."""
    rows = await session.execute(
        sa.select(SalesDailyRollup.currency, SalesDailyRollup.day, sa.func.sum(SalesDailyRollup.gross_amount))
        .where(SalesDailyRollup.partner_id == partner_id, SalesDailyRollup.day.between(first, last))
        .group_by(SalesDailyRollup.currency, SalesDailyRollup.day)
    )
    return {(currency, day): Decimal(total or 0) for currency, day, total in rows}


async def stored_repeats(
    session: AsyncSession, partner_id: UUID, customer_days: Iterable[tuple[str, date]]
) -> frozenset[RepeatKey]:
    """The stored sales of these (customer key, day) pairs, as repeat keys. Reads the partner's lines of the
    delivery's days through the (partner, day) index; the delivery's few days bound it. Matched by customer
    and by day separately (one array each on PostgreSQL, see prm_kit/db/in_lists.py), the pairs kept here."""
    wanted = sorted(set(customer_days))
    pairs = set(wanted)
    found: set[RepeatKey] = set()
    for chunk in batches(session, wanted, _CHUNK):
        rows = await session.execute(
            sa.select(
                SalesLine.customer_key, SalesLine.occurred_on, SalesLine.amount, SalesLine.currency
            ).where(
                SalesLine.partner_id == partner_id,
                SalesLine.kind == SalesKind.sale.value,
                among(session, SalesLine.occurred_on, sorted({day for _, day in chunk})),
                among(session, SalesLine.customer_key, sorted({key for key, _ in chunk})),
            )
        )
        found |= {
            (key, day, Decimal(amount).normalize(), currency)
            for key, day, amount, currency in rows
            if (key, day) in pairs
        }
    return frozenset(found)


async def customers_with_sales(
    session: AsyncSession, partner_id: UUID, keys: Iterable[str]
) -> frozenset[str]:
    wanted = sorted(set(keys))
    found: set[str] = set()
    for chunk in batches(session, wanted, _CHUNK):
        rows = await session.scalars(
            sa.select(SalesCustomerMonthRollup.customer_key)
            .where(
                SalesCustomerMonthRollup.partner_id == partner_id,
                among(session, SalesCustomerMonthRollup.customer_key, chunk),
                SalesCustomerMonthRollup.sale_line_count > 0,
            )
            .distinct()
        )
        found |= set(rows)
    return frozenset(found)


async def stored_originals(
    session: AsyncSession, partner_id: UUID, keys: Mapping[str, StoredKey]
) -> dict[str, OriginalLine]:
    """The stored lines of `keys` (by external_id; each key's day keeps the read to the lines' partitions),
    each with the returns and credit notes stored naming it (by the partial index on `original_external_id`),
    in its currency."""
    wanted = sorted(keys)
    found: dict[str, OriginalLine] = {}
    for chunk in batches(session, wanted, _CHUNK):
        rows = await session.execute(
            sa.select(
                SalesLine.external_id,
                SalesLine.kind,
                SalesLine.quantity,
                SalesLine.amount,
                SalesLine.currency,
            ).where(
                SalesLine.partner_id == partner_id,
                among(session, SalesLine.occurred_on, sorted({keys[name].occurred_on for name in chunk})),
                among(session, SalesLine.id, [keys[name].line_id for name in chunk]),
            )
        )
        for external_id, kind, quantity, amount, currency in rows:
            found[external_id] = OriginalLine(SalesKind(kind), Decimal(quantity), Decimal(amount), currency)
        naming = await session.execute(
            sa.select(
                SalesLine.original_external_id,
                SalesLine.currency,
                SalesLine.kind,
                sa.func.sum(SalesLine.quantity),
                sa.func.sum(SalesLine.amount),
            )
            .where(SalesLine.partner_id == partner_id, among(session, SalesLine.original_external_id, chunk))
            .group_by(SalesLine.original_external_id, SalesLine.currency, SalesLine.kind)
        )
        for named, currency, kind, quantity, amount in naming:
            if named is None or (original := found.get(named)) is None or currency != original.currency:
                continue
            found[named] = replace(
                original,
                returned_amount=original.returned_amount + Decimal(amount),
                returned_quantity=original.returned_quantity
                + (Decimal(quantity) if kind == SalesKind.return_.value else 0),
            )
    return found


async def add_flags(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(sa.insert(_flag), rows)


async def flag_by_id(session: AsyncSession, flag_id: UUID, *, for_update: bool = False) -> AnomalyFlag | None:
    statement = sa.select(AnomalyFlag).where(AnomalyFlag.id == flag_id)
    if for_update:
        statement = statement.with_for_update()
    flag: AnomalyFlag | None = await session.scalar(statement.execution_options(populate_existing=True))
    return flag


async def flag_page(
    session: AsyncSession,
    *,
    partner_id: UUID | None,
    status: str | None,
    code: str | None,
    after: KeysetPosition[datetime] | None,
    limit: int,
) -> list[AnomalyFlag]:
    """Flags oldest first."""
    statement = sa.select(AnomalyFlag).where(
        keyset_after(AnomalyFlag.created_at, AnomalyFlag.id, after, descending=False)
    )
    if partner_id is not None:
        statement = statement.where(AnomalyFlag.partner_id == partner_id)
    if status is not None:
        statement = statement.where(AnomalyFlag.status == status)
    if code is not None:
        statement = statement.where(AnomalyFlag.code == code)
    statement = statement.order_by(*keyset_order(AnomalyFlag.created_at, AnomalyFlag.id, descending=False))
    return list((await session.scalars(statement.limit(limit))).all())
