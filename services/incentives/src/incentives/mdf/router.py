"""HTTP of market development funds: `/v1/mdf/budgets`, `/allocations`, `/requests`, `/claims`."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Query, Response
from prm_contracts.mdf import (
    MdfAllocationIn,
    MdfAllocationOut,
    MdfBudgetIn,
    MdfBudgetOut,
    MdfClaimIn,
    MdfClaimOut,
    MdfClaimPaymentIn,
    MdfClaimStatus,
    MdfDecisionIn,
    MdfRequestIn,
    MdfRequestOut,
    MdfRequestStatus,
)
from prm_contracts.pagination import Page
from prm_contracts.periods import PeriodLabel
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_response, set_etag
from prm_kit.idempotency import IdempotencyDep, created
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from incentives.clients import RegistryDep
from incentives.mdf import budgets, claims, requests

router = APIRouter(prefix="/v1/mdf", tags=["mdf"])

READ = require("incentives:read")
WRITE = require("incentives:write")
PartnerQuery = Query(
    default=None, description="Only this partner's (a partner's own credential: always its own)."
)


@router.post(
    "/budgets",
    status_code=201,
    response_model=MdfBudgetOut,
    summary="Create an MDF budget",
    responses={**etag_response(201), **problems(403, 404, 422)},
    dependencies=[WRITE],
)
async def create_mdf_budget(
    body: MdfBudgetIn, session: SessionDep, who: PrincipalDep, idempotency: IdempotencyDep, now: NowDep
) -> Response:
    """Funds of one currency for one period, optionally of one programme (then in its currency: 422
    `mdf-currency-mismatch` otherwise). Amounts in whole minor units (422 `mdf-amount-precision`). Vendor
    only."""
    budget = await budgets.create_budget(session, body, actor=who, now=now)
    return await created(
        session, idempotency, budget, location=f"/v1/mdf/budgets/{budget.id}", version=budget.version
    )


@router.get(
    "/budgets",
    response_model=Page[MdfBudgetOut],
    summary="List MDF budgets",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_mdf_budgets(
    session: SessionDep,
    who: PrincipalDep,
    period: PeriodLabel | None = Query(default=None, description="Only budgets of this period."),
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[MdfBudgetOut]:
    """Newest first, each with what is allocated and unallocated. Vendor only: a partner's credential is
    403."""
    return await budgets.list_budgets(session, actor=who, period=period, limit=limit, cursor=cursor)


@router.get(
    "/budgets/{budget_id}",
    response_model=MdfBudgetOut,
    summary="Get an MDF budget",
    responses=problems(403, 404),
    dependencies=[READ],
)
async def get_mdf_budget(budget_id: UUID, session: SessionDep, who: PrincipalDep) -> MdfBudgetOut:
    """The budget with what is allocated and unallocated. Vendor only: a partner's credential is 403."""
    return await budgets.get_budget(session, budget_id, actor=who)


@router.post(
    "/budgets/{budget_id}/allocations",
    status_code=201,
    response_model=MdfAllocationOut,
    summary="Allocate part of an MDF budget to a partner",
    responses={**etag_response(201), **problems(403, 404, 409, 422, 503)},
    dependencies=[WRITE],
)
async def create_mdf_allocation(
    budget_id: UUID,
    body: MdfAllocationIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
    registry: RegistryDep,
) -> Response:
    """404 for an unknown budget or partner; 409 `mdf-budget-exceeded` beyond the budget's unallocated funds
    (with `unallocated`), 409 `mdf-already-allocated` when the partner has one in this budget; 503 with
    `Retry-After` when the registry cannot confirm a partner incentives has not heard of yet (nothing stored).
    Vendor only."""
    allocation = await budgets.create_allocation(session, budget_id, body, registry, actor=who, now=now)
    return await created(
        session,
        idempotency,
        allocation,
        location=f"/v1/mdf/allocations/{allocation.id}",
        version=allocation.version,
    )


@router.get(
    "/allocations",
    response_model=Page[MdfAllocationOut],
    summary="List MDF allocations",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_mdf_allocations(
    session: SessionDep,
    who: PrincipalDep,
    budget_id: UUID | None = Query(default=None, description="Only this budget's."),
    partner_id: UUID | None = PartnerQuery,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[MdfAllocationOut]:
    """Newest first, each with what is available, reserved and remaining; a partner's credential lists its
    own."""
    return await budgets.list_allocations(
        session, actor=who, budget_id=budget_id, partner_id=partner_id, limit=limit, cursor=cursor
    )


@router.get(
    "/allocations/{allocation_id}",
    response_model=MdfAllocationOut,
    summary="Get an MDF allocation",
    responses=problems(403, 404),
    dependencies=[READ],
)
async def get_mdf_allocation(allocation_id: UUID, session: SessionDep, who: PrincipalDep) -> MdfAllocationOut:
    """Another partner's allocation is 404 for a partner's credential."""
    return await budgets.get_allocation(session, allocation_id, actor=who)


@router.post(
    "/requests",
    status_code=201,
    response_model=MdfRequestOut,
    summary="Request MDF for an activity",
    responses={**etag_response(201), **problems(403, 404, 409, 422)},
    dependencies=[WRITE],
)
async def create_mdf_request(
    body: MdfRequestIn, session: SessionDep, who: PrincipalDep, idempotency: IdempotencyDep, now: NowDep
) -> Response:
    """A pending request reserves its planned amount of the allocation at once. 409
    `mdf-allocation-exceeded` (with `remaining`) when it exceeds what pending and approved requests leave;
    422 for another currency than the budget's, reversed dates, amounts not above 0. A partner's credential
    requests on its own allocations (another's is 404)."""
    request = await requests.create_request(session, body, actor=who, now=now)
    return await created(
        session, idempotency, request, location=f"/v1/mdf/requests/{request.id}", version=request.version
    )


@router.get(
    "/requests",
    response_model=Page[MdfRequestOut],
    summary="List MDF requests",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_mdf_requests(
    session: SessionDep,
    who: PrincipalDep,
    allocation_id: UUID | None = Query(default=None, description="Only this allocation's."),
    partner_id: UUID | None = PartnerQuery,
    status: MdfRequestStatus | None = Query(default=None),
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[MdfRequestOut]:
    """Newest first, filtered by allocation, partner or status; a partner's credential lists its own."""
    return await requests.list_requests(
        session,
        actor=who,
        allocation_id=allocation_id,
        partner_id=partner_id,
        status=status,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/requests/{request_id}",
    response_model=MdfRequestOut,
    summary="Get an MDF request",
    responses={**etag_response(200), **problems(403, 404)},
    dependencies=[READ],
)
async def get_mdf_request(
    request_id: UUID, session: SessionDep, who: PrincipalDep, response: Response
) -> MdfRequestOut:
    """With its version as `ETag`. Another partner's request is 404 for a partner's credential."""
    answer = await requests.get_request(session, request_id, actor=who)
    set_etag(response, answer.version)
    return answer


@router.post(
    "/requests/{request_id}/decision",
    response_model=MdfRequestOut,
    summary="Approve or reject an MDF request",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422)},
    dependencies=[WRITE],
)
async def decide_mdf_request(
    request_id: UUID,
    body: MdfDecisionIn,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> MdfRequestOut:
    """Approving keeps its reservation, rejecting (with a reason) frees it. 409 `mdf-already-decided` when
    decided before. `If-Match` optional, checked when sent. Channel managers and admins only."""
    answer = await requests.decide_request(session, request_id, body, if_match=if_match, actor=who, now=now)
    set_etag(response, answer.version)
    return answer


@router.post(
    "/requests/{request_id}/claims",
    status_code=201,
    response_model=MdfClaimOut,
    summary="Claim spent MDF against an approved request",
    responses={**etag_response(201), **problems(403, 404, 409, 422)},
    dependencies=[WRITE],
)
async def create_mdf_claim(
    request_id: UUID,
    body: MdfClaimIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
) -> Response:
    """409 `mdf-wrong-state` unless the request is approved; 409 `mdf-request-exceeded` (with `unclaimed`)
    when pending, approved and paid claims would exceed its planned amount; 422 for another currency."""
    claim = await claims.create_claim(session, request_id, body, actor=who, now=now)
    return await created(
        session, idempotency, claim, location=f"/v1/mdf/claims/{claim.id}", version=claim.version
    )


@router.get(
    "/claims",
    response_model=Page[MdfClaimOut],
    summary="List MDF claims",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_mdf_claims(
    session: SessionDep,
    who: PrincipalDep,
    request_id: UUID | None = Query(default=None, description="Only this request's."),
    partner_id: UUID | None = PartnerQuery,
    status: MdfClaimStatus | None = Query(default=None),
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[MdfClaimOut]:
    """Newest first, filtered by request, partner or status; a partner's credential lists its own."""
    return await claims.list_claims(
        session,
        actor=who,
        request_id=request_id,
        partner_id=partner_id,
        status=status,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/claims/{claim_id}",
    response_model=MdfClaimOut,
    summary="Get an MDF claim",
    responses={**etag_response(200), **problems(403, 404)},
    dependencies=[READ],
)
async def get_mdf_claim(
    claim_id: UUID, session: SessionDep, who: PrincipalDep, response: Response
) -> MdfClaimOut:
    """With its version as `ETag`. Another partner's claim is 404 for a partner's credential."""
    answer = await claims.get_claim(session, claim_id, actor=who)
    set_etag(response, answer.version)
    return answer


@router.post(
    "/claims/{claim_id}/decision",
    response_model=MdfClaimOut,
    summary="Approve or reject an MDF claim",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422)},
    dependencies=[WRITE],
)
async def decide_mdf_claim(
    claim_id: UUID,
    body: MdfDecisionIn,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> MdfClaimOut:
    """Emits `mdf_claim.decided`. 409 `mdf-already-decided` when decided before. Channel managers and admins
    only."""
    answer = await claims.decide_claim(session, claim_id, body, if_match=if_match, actor=who, now=now)
    set_etag(response, answer.version)
    return answer


@router.post(
    "/claims/{claim_id}/payment",
    response_model=MdfClaimOut,
    summary="Mark an approved MDF claim paid",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422)},
    dependencies=[WRITE],
)
async def pay_mdf_claim(
    claim_id: UUID,
    body: MdfClaimPaymentIn,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> MdfClaimOut:
    """409 `mdf-wrong-state` unless approved (a paid claim is not paid twice). Channel managers and admins
    only."""
    answer = await claims.pay_claim(session, claim_id, body, if_match=if_match, actor=who, now=now)
    set_etag(response, answer.version)
    return answer
