"""A run's decisions: each partner's payout is approved or held (with a reason) on its own; the run is
approved once none is pending; paying the run pays its approved payouts (held ones stay held).

Approving a payout records `payout.approved` in the outbox and accrues its MDF (mdf.accrual.accrue, idempotent
per run and partner); the run's approval records `statement.published` for every payout in it. A held payout
is released back to pending (draft run) or straight to approved (approved run); a paid run's holds stay (what
is still owed is a manual adjustment of a later period).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from prm_contracts.incentives import (
    PAYOUT_APPROVED,
    STATEMENT_PUBLISHED,
    PayoutApproved,
    PayoutDecisionOut,
    PayoutStatus,
    RunStatus,
    StatementPublished,
)
from prm_contracts.principal import Principal
from prm_contracts.problem import NotFound
from prm_kit.db import bump_version
from prm_kit.etag import check_if_match
from prm_kit.outbox import add_event
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.calculation_runs import repository
from incentives.calculation_runs.models import CalculationRun, Payout
from incentives.calculation_runs.service import RunStatusConflict, _money, visible_run
from incentives.mdf.accrual import accrue
from incentives.programmes.models import Programme

SOURCE = "incentives"


class PayoutStatusConflict(RunStatusConflict):
    slug, title = "payout-status", "Payout is not in the state this needs"


def decision_out(run: CalculationRun, payout: Payout) -> PayoutDecisionOut:
    return PayoutDecisionOut(
        run_id=run.id,
        partner_id=payout.partner_id,
        status=PayoutStatus(payout.status),
        amount=_money(payout.amount, payout.currency),
        hold_reason=payout.hold_reason,
        decided_by=payout.decided_by,
        decided_at=payout.decided_at,
        run_status=RunStatus(run.status),
    )


async def _approve_payout(
    session: AsyncSession, run: CalculationRun, payout: Payout, actor: Principal, now: datetime
) -> None:
    payout.status = PayoutStatus.APPROVED.value
    payout.hold_reason = None
    payout.decided_by, payout.decided_at = actor.subject, now
    amount = _money(payout.amount, payout.currency)
    mdf = _money(payout.mdf_accrual, payout.currency)
    if mdf.amount > 0:
        await accrue(
            session, payout.partner_id, run.period, mdf, run.id, now=now, programme_id=run.programme_id
        )
    await add_event(
        session,
        type=PAYOUT_APPROVED,
        source=SOURCE,
        data=PayoutApproved(
            run_id=run.id,
            programme_id=run.programme_id,
            period=run.period,
            partner_id=payout.partner_id,
            amount=amount,
            mdf_accrual=mdf,
            approved_by=actor.subject,
            approved_at=now,
        ),
    )


async def _close_if_decided(
    session: AsyncSession, run: CalculationRun, actor: Principal, now: datetime
) -> None:
    """draft → approved once no payout is pending; each partner's statement is published then."""
    if run.status != RunStatus.DRAFT.value:
        return
    if await repository.run_payouts(session, run.id, status=PayoutStatus.PENDING.value):
        return
    run.status = RunStatus.APPROVED.value
    run.approved_by, run.approved_at = actor.subject, now
    await bump_version(session, run, at=now)
    for payout in await repository.run_payouts(session, run.id):
        await add_event(
            session,
            type=STATEMENT_PUBLISHED,
            source=SOURCE,
            data=StatementPublished(
                run_id=run.id,
                programme_id=run.programme_id,
                period=run.period,
                partner_id=payout.partner_id,
                amount=_money(payout.amount, payout.currency),
                href=f"/v1/statements/{payout.partner_id}/{run.period}",
            ),
        )


async def approve(
    session: AsyncSession, run_id: UUID, *, if_match: str | None, actor: Principal, now: datetime
) -> tuple[CalculationRun, Programme]:
    """draft → approved (who, when): every pending payout approved; held ones stay held. Locked from then."""
    actor.require_vendor("approve calculation runs")
    run, programme = await visible_run(session, run_id, for_update=True)
    if run.status != RunStatus.DRAFT.value:
        raise RunStatusConflict(f"the run is {run.status} already; only a draft is approved")
    check_if_match(if_match, run.version, required=False, resource="calculation run")
    for payout in await repository.run_payouts(session, run.id, status=PayoutStatus.PENDING.value):
        await _approve_payout(session, run, payout, actor, now)
    await session.flush()
    await _close_if_decided(session, run, actor, now)
    if run.status == RunStatus.DRAFT.value:  # a run without payouts
        run.status = RunStatus.APPROVED.value
        run.approved_by, run.approved_at = actor.subject, now
        await bump_version(session, run, at=now)
    return run, programme


async def mark_paid(
    session: AsyncSession, run_id: UUID, *, if_match: str | None, actor: Principal, now: datetime
) -> tuple[CalculationRun, Programme]:
    """approved → paid (who, when): its approved payouts are paid; held ones stay held."""
    actor.require_vendor("mark calculation runs paid")
    run, programme = await visible_run(session, run_id, for_update=True)
    if run.status != RunStatus.APPROVED.value:
        raise RunStatusConflict(f"the run is {run.status}; only an approved run is paid")
    check_if_match(if_match, run.version, required=False, resource="calculation run")
    for payout in await repository.run_payouts(session, run.id, status=PayoutStatus.APPROVED.value):
        payout.status = PayoutStatus.PAID.value
    run.status = RunStatus.PAID.value
    run.paid_by, run.paid_at = actor.subject, now
    await bump_version(session, run, at=now)
    return run, programme


async def _locked_payout(
    session: AsyncSession, run_id: UUID, partner_id: UUID, actor: Principal, action: str
) -> tuple[CalculationRun, Payout]:
    actor.require_vendor(action)
    run, _ = await visible_run(session, run_id, for_update=True)
    payout = await repository.payout_for_update(session, run.id, partner_id)
    if payout is None:
        raise NotFound(f"no payout of partner {partner_id} in run {run_id}")
    return run, payout


async def approve_payout(
    session: AsyncSession, run_id: UUID, partner_id: UUID, *, actor: Principal, now: datetime
) -> PayoutDecisionOut:
    """One partner's pending payout of a draft run approved; the run too when none is pending any more."""
    run, payout = await _locked_payout(session, run_id, partner_id, actor, "approve payouts")
    if payout.status != PayoutStatus.PENDING.value:
        raise PayoutStatusConflict(f"the payout is {payout.status}; only a pending payout is approved")
    await _approve_payout(session, run, payout, actor, now)
    await session.flush()
    await _close_if_decided(session, run, actor, now)
    return decision_out(run, payout)


async def hold_payout(
    session: AsyncSession, run_id: UUID, partner_id: UUID, reason: str, *, actor: Principal, now: datetime
) -> PayoutDecisionOut:
    """A pending payout held with a reason (not paid until released); the run is approved when none is
    pending any more."""
    run, payout = await _locked_payout(session, run_id, partner_id, actor, "hold payouts")
    if payout.status != PayoutStatus.PENDING.value:
        raise PayoutStatusConflict(f"the payout is {payout.status}; only a pending payout is held")
    payout.status = PayoutStatus.HELD.value
    payout.hold_reason = reason
    payout.decided_by, payout.decided_at = actor.subject, now
    await session.flush()
    await _close_if_decided(session, run, actor, now)
    return decision_out(run, payout)


async def release_payout(
    session: AsyncSession, run_id: UUID, partner_id: UUID, *, actor: Principal, now: datetime
) -> PayoutDecisionOut:
    """A held payout released: pending again in a draft run, approved at once in an approved run."""
    run, payout = await _locked_payout(session, run_id, partner_id, actor, "release payouts")
    if payout.status != PayoutStatus.HELD.value:
        raise PayoutStatusConflict(f"the payout is {payout.status}; only a held payout is released")
    if run.status == RunStatus.PAID.value:
        raise RunStatusConflict(
            "the run is paid; what the held payout still owes goes into a later period as an adjustment"
        )
    if run.status == RunStatus.APPROVED.value:
        await _approve_payout(session, run, payout, actor, now)
    else:
        payout.status = PayoutStatus.PENDING.value
        payout.hold_reason = None
        payout.decided_by, payout.decided_at = actor.subject, now
    await session.flush()
    return decision_out(run, payout)
