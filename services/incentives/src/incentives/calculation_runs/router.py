"""HTTP of calculation runs: `/v1/calculation-runs`, approving and paying a run, its payouts and each
payout's lines."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Query, Response
from prm_contracts.incentives import (
    CalculationRunIn,
    CalculationRunOut,
    PayoutDecisionOut,
    PayoutHoldIn,
    PayoutLineOut,
    PayoutOut,
)
from prm_contracts.pagination import Page
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_response, set_etag
from prm_kit.idempotency import IdempotencyDep
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.openapi import shared_header
from prm_kit.pagination import CursorQuery, LimitQuery

from incentives.calculation_runs import lifecycle, service
from incentives.clients import AnalyticsDep

router = APIRouter(prefix="/v1/calculation-runs", tags=["calculation-runs"])

READ = require("incentives:read")
WRITE = require("incentives:write")


def _location(run_id: UUID) -> str:
    return f"/v1/calculation-runs/{run_id}"


@router.post(
    "",
    status_code=201,
    response_model=CalculationRunOut,
    summary="Run (or re-run) a programme's calculation for a period",
    responses={
        **etag_response(201),
        # the recomputed run, as the 201 answers it: a client needs its totals and its ETag to approve it
        200: {"model": CalculationRunOut, "description": "A draft run of the period, recomputed."}
        | {"headers": {**etag_response(200)[200]["headers"], "Location": shared_header("Location")}},
        **problems(403, 404, 409, 422, 502),
    },
    dependencies=[WRITE],
)
async def create_calculation_run(
    body: CalculationRunIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
    analytics: AnalyticsDep,
) -> Response:
    """Computes every partner's payout for the period under the programme version (default: the published
    version effective in the period), set-based over the replica of sales lines. 201 with a new draft run;
    200 when the period's draft is recomputed in place. 409 `calculation-run-locked` when the period's run is
    approved or paid; 422 `no-programme-version-in-period`, `period-type-mismatch`, or `fx-rates-missing`
    with the list of (currency, day) analytics has no rate for (nothing is stored)."""
    run, is_new = await service.calculate(session, body, analytics, actor=who, now=now)
    _, programme = await service.visible_run(session, run.id)
    answer = service.run_out(run, programme)
    headers = {"Location": _location(run.id), "ETag": f'"{run.version}"'}
    return await idempotency.respond(session, answer, status_code=201 if is_new else 200, headers=headers)


@router.get(
    "",
    response_model=Page[CalculationRunOut],
    summary="List calculation runs",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_calculation_runs(
    session: SessionDep,
    who: PrincipalDep,
    programme_id: UUID | None = Query(default=None, description="Only this programme's runs."),
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[CalculationRunOut]:
    """Runs, newest first. Not for a partner's credential (it reads its own payouts)."""
    return await service.list_runs(session, programme_id=programme_id, limit=limit, cursor=cursor, actor=who)


@router.get(
    "/{run_id}",
    response_model=CalculationRunOut,
    summary="Get a calculation run",
    responses={**etag_response(200), **problems(403, 404)},
    dependencies=[READ],
)
async def get_calculation_run(
    run_id: UUID, session: SessionDep, who: PrincipalDep, response: Response
) -> CalculationRunOut:
    """The run's state, totals and the FX rates it converted with."""
    answer = await service.run_answer(session, run_id, actor=who)
    set_etag(response, answer.version)
    return answer


@router.post(
    "/{run_id}/approval",
    response_model=CalculationRunOut,
    summary="Approve a draft calculation run",
    responses={**etag_response(200), **problems(403, 404, 409, 412)},
    dependencies=[WRITE],
)
async def approve_calculation_run(
    run_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> CalculationRunOut:
    """draft → approved, recording who and when: every pending payout is approved (`payout.approved`, MDF
    accrued), held ones stay held; `statement.published` per partner. The run is locked from then on. 409
    when it is not a draft (approving twice). `If-Match` optional, checked when sent."""
    run, programme = await lifecycle.approve(session, run_id, if_match=if_match, actor=who, now=now)
    set_etag(response, run.version)
    return service.run_out(run, programme)


@router.post(
    "/{run_id}/payment",
    response_model=CalculationRunOut,
    summary="Mark an approved calculation run paid",
    responses={**etag_response(200), **problems(403, 404, 409, 412)},
    dependencies=[WRITE],
)
async def pay_calculation_run(
    run_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> CalculationRunOut:
    """approved → paid, recording who and when; its approved payouts are paid, held ones stay held. 409 unless
    the run is approved."""
    run, programme = await lifecycle.mark_paid(session, run_id, if_match=if_match, actor=who, now=now)
    set_etag(response, run.version)
    return service.run_out(run, programme)


@router.get(
    "/{run_id}/payouts",
    response_model=Page[PayoutOut],
    summary="List a calculation run's payouts",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def list_calculation_run_payouts(
    run_id: UUID, session: SessionDep, who: PrincipalDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[PayoutOut]:
    """Per partner: the rounded payout and MDF accrual, the exact amounts per rule behind them, volume and
    held lines. A partner's credential sees its own payout only."""
    return await service.list_payouts(session, run_id, limit=limit, cursor=cursor, actor=who)


@router.get(
    "/{run_id}/payouts/{partner_id}",
    response_model=PayoutOut,
    summary="Get a partner's payout in a calculation run",
    responses=problems(403, 404),
    dependencies=[READ],
)
async def get_calculation_run_payout(
    run_id: UUID, partner_id: UUID, session: SessionDep, who: PrincipalDep
) -> PayoutOut:
    """One partner's payout; another partner's is 404 to a partner's credential."""
    _, payout = await service.visible_payout(session, run_id, partner_id, who)
    return service.payout_out(payout)


@router.get(
    "/{run_id}/payouts/{partner_id}/lines",
    response_model=Page[PayoutLineOut],
    summary="List the lines behind a partner's payout",
    responses=problems(403, 404, 409, 422),
    dependencies=[READ],
)
async def list_calculation_run_payout_lines(
    run_id: UUID,
    partner_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[PayoutLineOut]:
    """Every eligible line of the payout, paid or held (`held`: flagged or in its hold period), with its FX
    rate, converted amount and its share of the payout per rule, band and rate. The shares of all pages add
    up to the payout exactly, and read the same every time (derived from the immutable lines and the run's
    stored inputs). 409 `trace-inputs-changed` when the partner's lines changed since the run."""
    return await service.payout_lines(session, run_id, partner_id, limit=limit, cursor=cursor, actor=who)


@router.post(
    "/{run_id}/payouts/{partner_id}/approval",
    response_model=PayoutDecisionOut,
    summary="Approve one partner's payout",
    responses=problems(403, 404, 409),
    dependencies=[WRITE],
)
async def approve_calculation_run_payout(
    run_id: UUID, partner_id: UUID, session: SessionDep, who: PrincipalDep, now: NowDep
) -> PayoutDecisionOut:
    """pending → approved (`payout.approved`, its MDF accrued). The run becomes approved when no payout is
    pending any more. 409 `payout-status` unless pending."""
    return await lifecycle.approve_payout(session, run_id, partner_id, actor=who, now=now)


@router.post(
    "/{run_id}/payouts/{partner_id}/hold",
    response_model=PayoutDecisionOut,
    summary="Hold one partner's payout, with a reason",
    responses=problems(403, 404, 409, 422),
    dependencies=[WRITE],
)
async def hold_calculation_run_payout(
    run_id: UUID, partner_id: UUID, body: PayoutHoldIn, session: SessionDep, who: PrincipalDep, now: NowDep
) -> PayoutDecisionOut:
    """pending → held: not approved nor paid until released; the hold and its reason show on the statement.
    409 `payout-status` unless pending."""
    return await lifecycle.hold_payout(session, run_id, partner_id, body.reason, actor=who, now=now)


@router.post(
    "/{run_id}/payouts/{partner_id}/release",
    response_model=PayoutDecisionOut,
    summary="Release a held payout",
    responses=problems(403, 404, 409),
    dependencies=[WRITE],
)
async def release_calculation_run_payout(
    run_id: UUID, partner_id: UUID, session: SessionDep, who: PrincipalDep, now: NowDep
) -> PayoutDecisionOut:
    """held → pending (draft run) or → approved (approved run: `payout.approved`). 409 when not held or when
    the run is paid."""
    return await lifecycle.release_payout(session, run_id, partner_id, actor=who, now=now)
