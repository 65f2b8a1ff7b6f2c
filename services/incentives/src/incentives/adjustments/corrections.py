"""Corrections a run finds for closed periods and carries into its own (never editing a locked run):

- **Clawback**: a return or credit note in this run's window whose original sale (`original_external_id`)
  a paid run of the programme paid to the partner (the run whose period holds the day the version's basis
  counts the sale on: its `paid_on` on the paid basis, else its `occurred_on`; and that run read it, found it
  eligible, and held it neither by a flag nor by the hold window: `calculation_runs/paid_lines.py`) → an
  adjustment of -(returned amount * FX * the rate originally paid), linked to both lines and the paid run.
  The rate originally paid is the partner's effective rate in that run: its exact payout before rounding ÷
  its eligible volume (both stored on the payout). The FX rate is the one the paid run used for the original
  line's day. The return then no longer counts in this period's volume (it would be taken twice). A return
  of a sale no paid run paid takes nothing back: it counts in this period like any return (net of returns),
  or nowhere when its sale will never be paid (`line_sums.returns_of_unpaid_sales`).
- **Delta**: each approved or paid run of an earlier period is computed again with today's replica data
  (late lines, payments, back-dated tier or status changes, holds released, flags dismissed), at this run's
  `as_of`, with the locked run's version and targets; per partner, the new rounded payout minus what the
  locked run calculated minus the deltas carried from it into other periods is a delta adjustment here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any
from uuid import UUID

from prm_contracts.clients.analytics import AnalyticsClient
from prm_contracts.incentives import AdjustmentKind, FxRateApplied
from prm_contracts.money import minor_unit
from prm_contracts.periods import parse_period
from prm_kit.db import ordered_id
from sqlalchemy.ext.asyncio import AsyncSession

from incentives.adjustments import repository
from incentives.calculation.rounding import PRECISION
from incentives.programmes import repository as programmes
from incentives.programmes.models import Programme
from incentives.programmes.schemas import terms_of

SYSTEM = "system:calculation-run"


@dataclass(frozen=True)
class Correction:
    partner_id: UUID
    kind: AdjustmentKind
    amount: Decimal
    reason: str
    source_run_id: UUID
    source_line_id: UUID | None = None
    original_line_id: UUID | None = None


def _rounded(value: Decimal, currency: str) -> Decimal:
    return value.quantize(minor_unit(currency), rounding=ROUND_HALF_EVEN)


async def clawbacks(session: AsyncSession, programme: Programme, scope: Any) -> list[Correction]:
    from incentives.calculation_runs import line_sums, paid_lines
    from incentives.calculation_runs import repository as runs
    from incentives.calculation_runs.fx import rate_table

    already = await repository.clawed_line_ids(session, programme.id, except_period=scope.period.label)
    candidates = await runs.clawback_candidates(session, scope, programme.id)
    originals = await line_sums.lines_with_facts(session, [c.original.id for c in candidates])
    found: list[Correction] = []
    for candidate in candidates:
        line, original, run, payout = candidate.line, candidate.original, candidate.run, candidate.payout
        volume = Decimal(payout.breakdown["volume"])
        if line.id in already or volume <= 0:
            continue
        if not paid_lines.paid_in(run, payout, terms_of(candidate.version), originals[original.id]):
            # nothing was paid for the sale, so nothing is taken back: the return counts in its own period
            # like any return, which nets it against the sale if a delta pays the sale later (or nowhere, if
            # the sale will never be paid)
            continue
        rates = rate_table([FxRateApplied.model_validate(r) for r in run.fx_rates])
        fx = (
            Decimal(1)
            if line.currency == programme.currency
            else rates.get((line.currency, original.occurred_on))
        )
        if fx is None:
            continue  # the paid run never converted this currency: the return counts in this period instead
        with localcontext() as context:
            context.prec = PRECISION
            rate = Decimal(payout.breakdown["unrounded"]) / volume
            amount = _rounded(-(line.amount * fx * rate), programme.currency)
        if amount == 0:
            continue
        found.append(
            Correction(
                partner_id=line.partner_id,
                kind=AdjustmentKind.CLAWBACK,
                amount=amount,
                reason=(
                    f"clawback: {line.kind} {line.external_id} of {line.amount} {line.currency} takes back sale "
                    f"{original.external_id} paid in {run.period} at an effective rate of {rate:.10f}"
                    f" (FX {fx})"
                ),
                source_run_id=run.id,
                source_line_id=line.id,
                original_line_id=original.id,
            )
        )
    return found


Compute = Callable[..., Awaitable[Any]]


async def deltas(
    session: AsyncSession,
    analytics: AnalyticsClient,
    programme: Programme,
    scope: Any,
    compute: Compute,
    *,
    now: datetime,
) -> list[Correction]:
    from incentives.calculation_runs import repository as runs
    from incentives.calculation_runs.line_sums import Scope

    found: list[Correction] = []
    for run in await runs.locked_runs_before(session, programme.id, scope.period.first_day):
        version = await programmes.version_by_id(session, run.version_id)
        again = Scope(
            terms_of(version), parse_period(run.period), run.currency, scope.as_of, now, programme.id
        )
        targets = {UUID(partner): Decimal(amount) for partner, amount in run.targets.items()}
        recomputed = await compute(session, analytics, again, targets=targets)
        paid = {p.partner_id: p.calculated for p in await runs.run_payouts(session, run.id)}
        carried = await repository.delta_totals(session, run.id, except_period=scope.period.label)
        for partner_id in sorted(set(paid) | set(recomputed.settlements)):
            settlement = recomputed.settlements.get(partner_id)
            now_amount = settlement.amount if settlement is not None else Decimal(0)
            before = paid.get(partner_id, Decimal(0)) + carried.get(partner_id, Decimal(0))
            if now_amount == before:
                continue
            found.append(
                Correction(
                    partner_id=partner_id,
                    kind=AdjustmentKind.DELTA,
                    amount=now_amount - before,
                    reason=(
                        f"delta: {run.period} ({run.status}) computed again with today's data (late lines, "
                        f"payments, back-dated changes, released holds) pays {now_amount}; {before} was "
                        f"paid or carried"
                    ),
                    source_run_id=run.id,
                )
            )
    return found


async def found(
    session: AsyncSession,
    analytics: AnalyticsClient,
    programme: Programme,
    scope: Any,
    compute: Compute,
    *,
    now: datetime,
) -> list[Correction]:
    """Every clawback and delta the run of `scope` carries."""
    return await clawbacks(session, programme, scope) + await deltas(
        session, analytics, programme, scope, compute, now=now
    )


async def replace(
    session: AsyncSession, programme: Programme, period: str, corrections: list[Correction], *, now: datetime
) -> None:
    await repository.replace_corrections(
        session,
        programme.id,
        period,
        [
            {
                "id": ordered_id(),
                "programme_id": programme.id,
                "partner_id": c.partner_id,
                "period": period,
                "kind": c.kind.value,
                "amount": c.amount,
                "currency": programme.currency,
                "reason": c.reason,
                "source_line_id": c.source_line_id,
                "original_line_id": c.original_line_id,
                "source_run_id": c.source_run_id,
                "created_by": SYSTEM,
                "created_at": now,
            }
            for c in corrections
        ],
    )
