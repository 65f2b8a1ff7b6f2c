"""Every query of the sales domain. Writes are set-based: one executemany per table per delivery, rollups by
INSERT … ON CONFLICT DO UPDATE (PostgreSQL and SQLite both have it). On PostgreSQL a delivery of sales lines
reads and writes through delivery_statements.py instead, one statement each."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, cast
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.sales import PaymentStatus
from prm_kit.db.core import insert_on_conflict
from prm_kit.db.in_lists import among, batches
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.sales.deduplication import StoredKey, StoredPayment
from analytics.sales.models import (
    SalesCustomerRollup,
    SalesDailyRollup,
    SalesLine,
    SalesLineKey,
    SalesWebhookReceipt,
)

# Bound parameters per IN list: far below SQLite's and asyncpg's limits.
_CHUNK = 500
_line = cast(sa.Table, SalesLine.__table__)
_key = cast(sa.Table, SalesLineKey.__table__)
_daily = cast(sa.Table, SalesDailyRollup.__table__)
_customer = cast(sa.Table, SalesCustomerRollup.__table__)
_receipt = cast(sa.Table, SalesWebhookReceipt.__table__)

_DAILY_SUMS = (
    "gross_amount",
    "returns_amount",
    "costed_amount",
    "cost_amount",
    "sold_quantity",
    "returned_quantity",
    "line_count",
    "sale_line_count",
    "return_line_count",
    "costed_line_count",
)


async def receipt_of(session: AsyncSession, partner_id: UUID, webhook_id: str) -> Any:
    """The stored (body_sha256, status_code, response_body) of the delivery, or None."""
    result = await session.execute(
        sa.select(_receipt.c.body_sha256, _receipt.c.status_code, _receipt.c.response_body).where(
            _receipt.c.partner_id == partner_id, _receipt.c.webhook_id == webhook_id
        )
    )
    return result.one_or_none()


async def add_receipt(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(sa.insert(_receipt).values(**values))


async def stored_keys(
    session: AsyncSession, partner_id: UUID, external_ids: Iterable[str]
) -> dict[str, StoredKey]:
    """The partner's stored lines among `external_ids`."""
    wanted = sorted(set(external_ids))
    found: dict[str, StoredKey] = {}
    for chunk in batches(session, wanted, _CHUNK):
        rows = await session.execute(
            sa.select(_key.c.external_id, _key.c.content_hash, _key.c.line_id, _key.c.occurred_on).where(
                _key.c.partner_id == partner_id, among(session, _key.c.external_id, chunk)
            )
        )
        for external_id, digest, line_id, occurred_on in rows:
            found[external_id] = StoredKey(content_hash=digest, line_id=line_id, occurred_on=occurred_on)
    return found


async def add_lines(session: AsyncSession, lines: list[dict[str, Any]], keys: list[dict[str, Any]]) -> None:
    """The lines and their keys; the keys first, sorted, so that two deliveries racing for one external_id
    meet at its key (the loser fails there) and concurrent writers lock keys in one order."""
    await session.execute(sa.insert(_key), sorted(keys, key=lambda k: k["external_id"]))
    await session.execute(sa.insert(_line), lines)


async def add_to_daily_rollups(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    statement = insert_on_conflict(session, _daily)
    statement = statement.on_conflict_do_update(
        index_elements=[_daily.c.partner_id, _daily.c.day, _daily.c.product_category, _daily.c.currency],
        set_={name: _daily.c[name] + statement.excluded[name] for name in _DAILY_SUMS},
    )
    await session.execute(statement, rows)


async def add_to_customer_rollups(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    statement = insert_on_conflict(session, _customer)
    new = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[_customer.c.partner_id, _customer.c.customer_key, _customer.c.currency],
        set_={
            "first_on": sa.case(
                (new.first_on < _customer.c.first_on, new.first_on), else_=_customer.c.first_on
            ),
            "last_on": sa.case((new.last_on > _customer.c.last_on, new.last_on), else_=_customer.c.last_on),
            "net_amount": _customer.c.net_amount + new.net_amount,
            "line_count": _customer.c.line_count + new.line_count,
            # true once any line said "new"; see rollups.merged_is_new
            "is_new": sa.case(
                (_customer.c.is_new.is_(None), new.is_new),
                (new.is_new.is_(None), _customer.c.is_new),
                else_=sa.or_(_customer.c.is_new, new.is_new),
            ),
        },
    )
    await session.execute(statement, rows)


async def stored_payments(
    session: AsyncSession, partner_id: UUID, external_ids: Iterable[str]
) -> dict[str, StoredPayment]:
    """Payment state of the partner's stored lines among `external_ids`."""
    wanted = sorted(set(external_ids))
    found: dict[str, StoredPayment] = {}
    for chunk in batches(session, wanted, _CHUNK):
        rows = await session.execute(
            sa.select(
                _key.c.external_id, _line.c.id, _line.c.occurred_on, _line.c.payment_status, _line.c.paid_on
            )
            .join(_line, sa.and_(_line.c.id == _key.c.line_id, _line.c.occurred_on == _key.c.occurred_on))
            .where(_key.c.partner_id == partner_id, among(session, _key.c.external_id, chunk))
        )
        for external_id, line_id, occurred_on, status, paid_on in rows:
            found[external_id] = StoredPayment(
                line_id=line_id,
                occurred_on=occurred_on,
                payment_status=PaymentStatus(status),
                paid_on=paid_on,
            )
    return found


async def set_payment_statuses(session: AsyncSession, changes: list[dict[str, Any]]) -> None:
    """`changes`: {line_id, occurred_on, payment_status, paid_on}, applied in order (executemany)."""
    statement = (
        sa.update(_line)
        .where(_line.c.id == sa.bindparam("line_id"), _line.c.occurred_on == sa.bindparam("line_occurred_on"))
        .values(payment_status=sa.bindparam("new_status"), paid_on=sa.bindparam("new_paid_on"))
    )
    rows = [
        {
            "line_id": change["line_id"],
            "line_occurred_on": change["occurred_on"],
            "new_status": change["payment_status"],
            "new_paid_on": change["paid_on"],
        }
        for change in changes
    ]
    await session.execute(statement, rows)


async def line_by_id(session: AsyncSession, line_id: UUID) -> SalesLine | None:
    line: SalesLine | None = await session.scalar(sa.select(SalesLine).where(SalesLine.id == line_id))
    return line


async def line_page(
    session: AsyncSession,
    *,
    partner_id: UUID | None,
    from_on: date | None,
    to_on: date | None,
    kind: str | None,
    product_category: str | None,
    after: KeysetPosition[date] | None,
    limit: int,
) -> list[SalesLine]:
    """Lines, latest `occurred_on` first."""
    statement = sa.select(SalesLine)
    if partner_id is not None:
        statement = statement.where(SalesLine.partner_id == partner_id)
    if from_on is not None:
        statement = statement.where(SalesLine.occurred_on >= from_on)
    if to_on is not None:
        statement = statement.where(SalesLine.occurred_on <= to_on)
    if kind is not None:
        statement = statement.where(SalesLine.kind == kind)
    if product_category is not None:
        statement = statement.where(SalesLine.product_category == product_category)
    statement = (
        statement.where(keyset_after(SalesLine.occurred_on, SalesLine.id, after, descending=True))
        .order_by(*keyset_order(SalesLine.occurred_on, SalesLine.id, descending=True))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())
