"""HTTP of channel-conflict cases: `/v1/conflict-cases`, their steps and their statistics."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from prm_contracts.conflicts import (
    ConflictCaseIn,
    ConflictCaseOut,
    ConflictCasePatch,
    ConflictStage,
    ConflictType,
)
from prm_contracts.dates import IsoDate
from prm_contracts.pagination import Page
from prm_contracts.periods import YEAR_PATTERN
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.db.json_items import JSON_MEDIA_TYPE
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_headers, etag_response, set_etag
from prm_kit.idempotency import IdempotencyDep, created
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from partner_registry.conflicts import service
from partner_registry.conflicts.schemas import (
    CaseFilters,
    ConflictStatistics,
    RecordedStepOut,
    StepIn,
    StepOut,
    case_out,
)
from partner_registry.conflicts.statistics import parse_period

router = APIRouter(prefix="/v1/conflict-cases", tags=["conflict-cases"])

READ = require("conflicts:read")
WRITE = require("conflicts:write")
# What `parse_period` accepts: a quarter or a month of 1900-9998 (PERIOD_PATTERN less its bare year). Only the
# document states it (`json_schema_extra`, not `pattern=`), so a bad value keeps the parser's message.
QUARTER_OR_MONTH_PATTERN = rf"^{YEAR_PATTERN}(-Q[1-4]|-(0[1-9]|1[0-2]))$"


@router.post(
    "",
    status_code=201,
    response_model=ConflictCaseOut,
    summary="Open a channel-conflict case",
    responses={**etag_response(201), **problems(403, 422)},
    dependencies=[WRITE],
)
async def open_conflict_case(
    body: ConflictCaseIn, session: SessionDep, who: PrincipalDep, idempotency: IdempotencyDep, now: NowDep
) -> Response:
    """Opens a case in stage `reported`: its type, the parties (partner ids and optionally
    `"vendor_direct"`), the deal registrations and territories involved, a description and root causes.
    A partner's own credential may open only a case it is a party to."""
    case = await service.open_case(session, body, actor=who, now=now)
    return await created(
        session, idempotency, case_out(case), location=f"/v1/conflict-cases/{case.id}", version=case.version
    )


@router.get(
    "",
    response_model=Page[ConflictCaseOut],
    summary="List channel-conflict cases",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_conflict_cases(
    session: SessionDep,
    who: PrincipalDep,
    stage: Annotated[list[ConflictStage] | None, Query(description="Any of these stages.")] = None,
    conflict_type: Annotated[list[ConflictType] | None, Query(description="Any of these types.")] = None,
    party: Annotated[UUID | None, Query(description="Only cases this partner is a party to.")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Response:
    """Most recently reported first. A partner's own credential sees only the cases it is a party to."""
    filters = CaseFilters(stages=stage or [], conflict_types=conflict_type or [], party=party)
    page = await service.list_cases(session, filters, viewer=who, limit=limit, cursor=cursor)
    return Response(content=page, media_type=JSON_MEDIA_TYPE)


@router.get(
    "/statistics",
    response_model=ConflictStatistics,
    summary="Channel-conflict statistics of a period",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def conflict_case_statistics(
    session: SessionDep,
    who: PrincipalDep,
    now: NowDep,
    period: Annotated[
        str | None,
        Query(
            max_length=16,
            description="A quarter (`2026-Q3`) or a month (`2026-07`).",
            json_schema_extra={"pattern": QUARTER_OR_MONTH_PATTERN},
        ),
    ] = None,
    from_date: Annotated[
        IsoDate | None, Query(alias="from", description="First day (UTC), with `to`.")
    ] = None,
    to_date: Annotated[IsoDate | None, Query(alias="to", description="Last day (UTC), inclusive.")] = None,
) -> ConflictStatistics:
    """For the cases reported in the period: counts by type and by root cause, in total and per month. The
    median time from reported to closed of the cases closed in the period (exact, in seconds). The cases
    open at the period's end (or now, if earlier) by age: 0-7, 8-30, 31-90 and over 90 days. Name the
    period with `period` or with `from` and `to`. A partner's own credential counts only its own cases."""
    chosen = parse_period(period, from_date, to_date)
    return await service.statistics(session, chosen, viewer=who, now=now)


@router.get(
    "/{case_id:uuid}",
    response_model=ConflictCaseOut,
    summary="Get a channel-conflict case",
    responses={**etag_response(200), **problems(403, 404)},
    dependencies=[READ],
)
async def get_conflict_case(
    case_id: UUID, session: SessionDep, who: PrincipalDep, response: Response
) -> ConflictCaseOut:
    """The case, with its version as `ETag`."""
    case = await service.visible_case(session, case_id, viewer=who)
    set_etag(response, case.version)
    return case_out(case)


@router.patch(
    "/{case_id:uuid}",
    response_model=ConflictCaseOut,
    summary="Update a channel-conflict case",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422, 428)},
    dependencies=[WRITE],
)
async def update_conflict_case(
    case_id: UUID,
    body: ConflictCasePatch,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> ConflictCaseOut:
    """Changes the description, the linked deal registrations or territories, or the root causes (each list
    sent replaces the list). `If-Match` is required (428 without, 412 when stale); a closed case cannot
    change (409). Not open to a partner's own credential."""
    case = await service.update_case(session, case_id, body, if_match=if_match, actor=who, now=now)
    set_etag(response, case.version)
    return case_out(case)


@router.post(
    "/{case_id}/steps",
    status_code=201,
    response_model=RecordedStepOut,
    summary="Move a channel-conflict case on, or add a note",
    responses={**etag_response(201), **problems(403, 404, 409, 412, 422)},
    dependencies=[WRITE],
)
async def record_conflict_case_step(
    case_id: UUID,
    body: StepIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> Response:
    """With `to_stage`: moves the case forward (stages may be skipped, never go back: 409
    `invalid-stage-move` with `allowed`); moving to `ruled`, or to `closed` without a ruling, needs the
    `resolution`. Without `to_stage`: a note. Each step records who, when and the notes. A partner's own
    credential may add notes to its cases but not move them. `If-Match` is optional."""
    step = await service.record_step(session, case_id, body, if_match=if_match, actor=who, now=now)
    return await idempotency.respond(session, step, status_code=201, headers=etag_headers(step.case.version))


@router.get(
    "/{case_id}/steps",
    response_model=Page[StepOut],
    summary="List a channel-conflict case's steps",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def list_conflict_case_steps(
    case_id: UUID, session: SessionDep, who: PrincipalDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[StepOut]:
    """The case's steps in the order they were taken, from its opening on."""
    return await service.list_steps(session, case_id, viewer=who, limit=limit, cursor=cursor)
