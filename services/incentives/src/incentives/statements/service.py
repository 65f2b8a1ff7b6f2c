"""A partner's statement of a period: per programme run of the period, the payout's decision, the rules'
exact amounts, its lines (the run's per-line trace, held lines shown with why), its adjustments, and per
currency what is paid (paid payouts only). A partner's own credential sees the runs that are approved or paid
(a draft is not final); another partner's statement is 404 to it."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from prm_contracts.incentives import (
    PayoutStatus,
    RuleAmount,
    RunStatus,
    StatementLine,
    StatementOut,
    StatementProgramme,
)
from prm_contracts.money import Money, minor_unit
from prm_contracts.periods import parse_documented_period
from prm_contracts.principal import Principal
from prm_contracts.problem import NotFound, UnprocessableContent, ValidationIssue
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.adjustments import repository as adjustments
from incentives.adjustments.service import adjustment_out
from incentives.calculation_runs import repository as runs
from incentives.calculation_runs import service as run_service
from incentives.calculation_runs.models import CalculationRun, Payout
from incentives.programmes.service import visible_programme

PAGE = 200


UNTRACEABLE = (
    "the partner's lines or their history changed after this run was computed (a payment reported later, a "
    "back-dated change): its figures stand, but a per-line trace rebuilt now would not add up to them"
)


async def _lines(
    session: AsyncSession, run: CalculationRun, partner_id: UUID, actor: Principal
) -> tuple[list[StatementLine], str | None]:
    """The payout's per-line trace, or none and why (`StatementProgramme.lines_unavailable`)."""
    lines: list[StatementLine] = []
    cursor = None
    while True:
        try:
            page = await run_service.payout_lines(
                session, run.id, partner_id, limit=PAGE, cursor=cursor, actor=actor
            )
        except run_service.TraceInputsChanged:
            return [], UNTRACEABLE
        lines += [StatementLine(run_id=run.id, **line.model_dump()) for line in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return lines, None


async def _section(
    session: AsyncSession, run: CalculationRun, payout: Payout, actor: Principal
) -> StatementProgramme:
    programme = await visible_programme(session, run.programme_id)
    breakdown = payout.breakdown
    lines, unavailable = await _lines(session, run, payout.partner_id, actor)
    return StatementProgramme(
        run_id=run.id,
        programme_id=programme.id,
        programme_name=programme.name,
        version_number=run.version_number,
        run_status=RunStatus(run.status),
        payout_status=PayoutStatus(payout.status),
        hold_reason=payout.hold_reason,
        rules=[RuleAmount(rule=r["rule"], kind=r["kind"], amount=r["amount"]) for r in breakdown["rules"]],
        calculated=run_service._money(payout.calculated, payout.currency),
        adjustments=[
            adjustment_out(a)
            for a in await adjustments.of_period(session, run.programme_id, run.period, payout.partner_id)
        ],
        amount=run_service._money(payout.amount, payout.currency),
        mdf_accrual=run_service._money(payout.mdf_accrual, payout.currency),
        held_lines=breakdown["held_lines"],
        lines=lines,
        lines_unavailable=unavailable,
    )


async def statement(
    session: AsyncSession, partner_id: UUID, period: str, *, actor: Principal
) -> StatementOut:
    if actor.partner_id is not None and actor.partner_id != partner_id:
        raise NotFound(f"no statement of partner {partner_id} for {period}")
    try:
        label = parse_documented_period(period).label
    except ValueError as exc:
        issue = ValidationIssue(loc=["path", "period"], msg=str(exc), type="period")
        raise UnprocessableContent(f"period: {exc}", errors=[issue]) from exc
    sections = []
    for payout, run in await runs.payout_page_for(session, partner_id=partner_id, period=label):
        if actor.partner_id is not None and run.status == RunStatus.DRAFT.value:
            continue
        sections.append(await _section(session, run, payout, actor))
    if not sections:
        raise NotFound(f"no statement of partner {partner_id} for {label}: no run of the period pays it yet")
    # what is paid: a held payout of a paid run, a pending or approved one, is not (payables says the same)
    totals: dict[str, Decimal] = {}
    for section in sections:
        currency = section.amount.currency
        paid = section.amount.amount if section.payout_status is PayoutStatus.PAID else Decimal(0)
        totals[currency] = totals.get(currency, Decimal(0).quantize(minor_unit(currency))) + paid
    return StatementOut(
        partner_id=partner_id,
        period=label,
        programmes=sections,
        totals=[Money(amount=amount, currency=currency) for currency, amount in sorted(totals.items())],
    )
