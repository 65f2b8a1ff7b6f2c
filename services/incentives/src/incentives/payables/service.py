"""Payables for finance: per partner and currency, what runs earned (every payout, drafts included), what is
approved and not yet paid, what is on hold and what is paid; summed in one SQL pass (exact on both backends)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.incentives import PayableRow, PayoutStatus
from prm_contracts.money import minor_unit
from prm_contracts.periods import parse_period
from prm_contracts.principal import Principal
from prm_kit.db import ExactDecimal
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.calculation_runs.models import CalculationRun, Payout


async def payables(
    session: AsyncSession, *, period: str | None, partner_id: UUID | None, actor: Principal
) -> list[PayableRow]:
    """By partner id then currency; a partner's credential sees its own row(s) only."""
    if actor.partner_id is not None:
        if partner_id is not None and partner_id != actor.partner_id:
            return []
        partner_id = actor.partner_id
    statement = (
        sa.select(
            Payout.partner_id,
            Payout.currency,
            Payout.status,
            sa.type_coerce(sa.func.sum(Payout.amount), ExactDecimal(19, 4)),
        )
        .join(CalculationRun, CalculationRun.id == Payout.run_id)
        .group_by(Payout.partner_id, Payout.currency, Payout.status)
    )
    if period is not None:
        statement = statement.where(CalculationRun.period == parse_period(period).label)
    if partner_id is not None:
        statement = statement.where(Payout.partner_id == partner_id)
    sums: dict[tuple[UUID, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for partner, currency, status, amount in (await session.execute(statement)).all():
        sums[(partner, currency)][status] += amount
    rows = []
    for (partner, currency), by_status in sorted(
        sums.items(), key=lambda item: (str(item[0][0]), item[0][1])
    ):
        unit = minor_unit(currency)

        def money(value: Decimal, unit: Decimal = unit) -> str:
            return format(value.quantize(unit), "f")

        rows.append(
            PayableRow(
                partner_id=partner,
                currency=currency,
                earned=money(sum(by_status.values(), Decimal(0))),
                approved=money(by_status.get(PayoutStatus.APPROVED.value, Decimal(0))),
                on_hold=money(by_status.get(PayoutStatus.HELD.value, Decimal(0))),
                paid=money(by_status.get(PayoutStatus.PAID.value, Decimal(0))),
            )
        )
    return rows


def payables_csv(rows: list[PayableRow]) -> str:
    lines = ["partner_id,currency,earned,approved,on_hold,paid"]
    lines += [f"{r.partner_id},{r.currency},{r.earned},{r.approved},{r.on_hold},{r.paid}" for r in rows]
    return "\r\n".join(lines) + "\r\n"
