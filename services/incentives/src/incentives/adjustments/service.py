"""Manual adjustments: a signed amount in the programme's currency with a reason and who, on a partner's
payout of one programme period. They live apart from the computed payout, so a re-run of the draft keeps
them (calculation_runs adds the period's adjustments to each payout). A period whose run is approved or paid
is closed: 409. When the period has a draft, its payout (and the run's total) changes at once, if it is still
pending: a decided one (approved or held) is 409, since its amount is what was decided."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from prm_contracts.clients.registry import RegistryClient
from prm_contracts.incentives import AdjustmentIn, AdjustmentKind, AdjustmentOut, PayoutStatus, RunStatus
from prm_contracts.money import Money, in_minor_units, minor_unit
from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict, NotFound, UnprocessableContent
from prm_kit.db import bump_version, ordered_id
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.adjustments import repository
from incentives.adjustments.models import Adjustment
from incentives.calculation_runs import repository as runs
from incentives.calculation_runs.models import CalculationRun, Payout
from incentives.programmes.service import visible_programme
from incentives.replica import service as replica


class PeriodClosed(Conflict):
    slug, title = "period-closed", "The period's run is approved or paid"


class PayoutDecided(Conflict):
    slug, title = "payout-decided", "The partner's payout of the period is decided"


class AdjustmentCurrency(UnprocessableContent):
    slug, title = "adjustment-currency", "Adjustment not in the programme's currency"


class AdjustmentAmount(UnprocessableContent):
    slug, title = "adjustment-amount", "Adjustment amount not usable"


def adjustment_out(adjustment: Adjustment) -> AdjustmentOut:
    return AdjustmentOut(
        id=adjustment.id,
        programme_id=adjustment.programme_id,
        partner_id=adjustment.partner_id,
        period=adjustment.period,
        kind=AdjustmentKind(adjustment.kind),
        amount=Money(
            amount=adjustment.amount.quantize(minor_unit(adjustment.currency)), currency=adjustment.currency
        ),
        reason=adjustment.reason,
        source_line_id=adjustment.source_line_id,
        original_line_id=adjustment.original_line_id,
        source_run_id=adjustment.source_run_id,
        created_by=adjustment.created_by,
        created_at=adjustment.created_at,
    )


async def create(
    session: AsyncSession, body: AdjustmentIn, registry: RegistryClient, *, actor: Principal, now: datetime
) -> Adjustment:
    """404 for a partner the registry does not know; 409 when the period is closed or the partner's payout in
    its draft is decided (approved or held: its amount was decided as it is)."""
    actor.require_vendor("adjust payouts")
    programme = await visible_programme(session, body.programme_id)
    from incentives.calculation_runs.service import _period_of

    period = _period_of(programme, body.period)
    amount = body.amount.amount
    if body.amount.currency != programme.currency:
        raise AdjustmentCurrency(
            f"{programme.name!r} pays in {programme.currency}; the adjustment is in {body.amount.currency}"
        )
    if amount == 0 or not in_minor_units(amount, programme.currency):
        raise AdjustmentAmount(
            f"an adjustment is a non-zero amount in {programme.currency}'s minor unit, got {amount}"
        )
    await replica.ensure_partner(session, registry, body.partner_id)
    run = await runs.run_for_period(session, programme.id, period.label)
    if run is not None and run.status != RunStatus.DRAFT.value:
        raise PeriodClosed(
            f"the {period.label} run of {programme.name!r} is {run.status}; its payouts never change — adjust "
            "the next open period instead",
            run_id=str(run.id),
        )
    payout = None if run is None else await runs.payout_for_update(session, run.id, body.partner_id)
    if run is not None and payout is not None and payout.status != PayoutStatus.PENDING.value:
        remedy = (
            f"release it (POST /v1/calculation-runs/{run.id}/payouts/{body.partner_id}/release) to make it "
            "pending, then adjust it"
            if payout.status == PayoutStatus.HELD.value
            else "adjust the next open period instead"
        )
        raise PayoutDecided(
            f"partner {body.partner_id}'s payout in the {period.label} run of {programme.name!r} is "
            f"{payout.status} at {payout.amount.quantize(minor_unit(programme.currency))} "
            f"{programme.currency}; an adjustment would change what was decided: {remedy}",
            run_id=str(run.id),
            payout_status=payout.status,
        )
    adjustment = Adjustment(
        id=ordered_id(),
        programme_id=programme.id,
        partner_id=body.partner_id,
        period=period.label,
        kind=AdjustmentKind.MANUAL.value,
        amount=amount,
        currency=programme.currency,
        reason=body.reason,
        source_line_id=None,
        original_line_id=None,
        source_run_id=None,
        created_by=actor.subject,
        created_at=now,
    )
    await repository.add(session, adjustment)
    if run is not None:
        await _adjust_draft(session, run, payout, body.partner_id, amount, now)
    return adjustment


async def _adjust_draft(
    session: AsyncSession,
    run: CalculationRun,
    payout: Payout | None,
    partner_id: UUID,
    amount: Decimal,
    now: datetime,
) -> None:
    """The draft's pending payout (a new one with nothing calculated when the partner had none) and totals."""
    if payout is None:
        payout = Payout(
            run_id=run.id,
            partner_id=partner_id,
            calculated=Decimal(0),
            amount=Decimal(0),
            mdf_accrual=Decimal(0),
            currency=run.currency,
            status="pending",
            breakdown=empty_breakdown(),
        )
        session.add(payout)
        run.partner_count += 1
    payout.amount += amount
    run.payout_total += amount
    await bump_version(session, run, at=now)


def empty_breakdown() -> dict[str, object]:
    return {
        "earned": "0",
        "unrounded": "0",
        "volume": "0",
        "lines": 0,
        "held_lines": 0,
        "held_volume": "0",
        "target": None,
        "rules": [],
        "cap_floor_factor": None,
        "budget_factor": None,
        "flagged_lines": [],
    }


async def visible(session: AsyncSession, adjustment_id: UUID, actor: Principal) -> Adjustment:
    adjustment = await repository.get(session, adjustment_id)
    if adjustment is None or (actor.partner_id is not None and actor.partner_id != adjustment.partner_id):
        raise NotFound(f"no adjustment {adjustment_id}")
    return adjustment


async def list_adjustments(
    session: AsyncSession,
    *,
    programme_id: UUID | None,
    partner_id: UUID | None,
    period: str | None,
    limit: int,
    cursor: str | None,
    actor: Principal,
) -> Page[AdjustmentOut]:
    """By id; a partner's credential sees its own only."""
    if actor.partner_id is not None:
        if partner_id is not None and partner_id != actor.partner_id:
            return Page[AdjustmentOut](items=[], next_cursor=None)
        partner_id = actor.partner_id
    position = keyset_position(cursor, "id", str)
    rows = await repository.page(
        session,
        programme_id=programme_id,
        partner_id=partner_id,
        period=period,
        after=position.id if position else None,
        limit=limit + 1,
    )
    return page_of(rows, limit, out=adjustment_out, cursor_of=lambda a: keyset_cursor("id", str(a.id), a.id))
