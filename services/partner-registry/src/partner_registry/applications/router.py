"""HTTP of partner applications: `/v1/applications`, their screening and the decision on them."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from prm_contracts.applications import ApplicationIn, ApplicationOut, ApplicationStatus, ScreeningStatus
from prm_contracts.pagination import Page
from prm_contracts.principal import APPLICATION_SUBMIT_SCOPE
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_headers, etag_response, set_etag
from prm_kit.idempotency import IdempotencyDep, created
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from partner_registry.applications import service
from partner_registry.applications.schemas import ApplicationFilters, ApprovalIn, RejectionIn, application_out
from partner_registry.clients import ScoringDep

router = APIRouter(prefix="/v1/applications", tags=["applications"])

READ = require("partners:read")
WRITE = require("partners:write")
# the public application form: the gateway lets callers without an API key do this and only this
SUBMIT = require("partners:write", APPLICATION_SUBMIT_SCOPE)


@router.post(
    "",
    status_code=201,
    response_model=ApplicationOut,
    summary="Submit a partner application",
    responses={**etag_response(201), **problems(403, 409, 422)},
    dependencies=[SUBMIT],
)
async def submit_partner_application(
    body: ApplicationIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    scoring: ScoringDep,
    now: NowDep,
) -> Response:
    """Registers the applicant as a partner in status `applied` and asks scoring for the pre-qualification
    gates and the evaluation score. When scoring cannot answer, the application is stored all the same with
    `screening_status: pending` (retry with `POST /v1/applications/{id}/screening`). 409 when the
    registration number is already registered in the country.

    Open to the public: without an API key the gateway accepts this one call (rate-limited per client
    address, `PRM_PUBLIC_APPLICATIONS_PER_HOUR`), and the applicant gets its application back without
    scoring's findings (`prequalification`, `evaluation` and `screening_error` are null), which are for the
    channel team. With a key, it needs `partners:write` and a credential not bound to a partner."""
    application = await service.submit(session, body, actor=who, scoring=scoring, now=now)
    out = application_out(application)
    if not who.has_scope("partners:read"):
        out = out.model_copy(update={"prequalification": None, "evaluation": None, "screening_error": None})
    return await created(
        session, idempotency, out, location=f"/v1/applications/{application.id}", version=application.version
    )


@router.get(
    "",
    response_model=Page[ApplicationOut],
    summary="List partner applications",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_partner_applications(
    session: SessionDep,
    who: PrincipalDep,
    status: Annotated[list[ApplicationStatus] | None, Query(description="Any of these statuses.")] = None,
    screening_status: Annotated[
        list[ScreeningStatus] | None, Query(description="Any of these screening statuses.")
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ApplicationOut]:
    """Newest first. A partner's own credential sees only its own partner's application."""
    filters = ApplicationFilters(statuses=status or [], screening_statuses=screening_status or [])
    return await service.list_applications(session, filters, viewer=who, limit=limit, cursor=cursor)


@router.get(
    "/{application_id}",
    response_model=ApplicationOut,
    summary="Get a partner application",
    responses={**etag_response(200), **problems(403, 404)},
    dependencies=[READ],
)
async def get_partner_application(
    application_id: UUID, session: SessionDep, who: PrincipalDep, response: Response
) -> ApplicationOut:
    """The application with its screening results and decision, and its version as `ETag`."""
    application = await service.visible_application(session, application_id, viewer=who)
    set_etag(response, application.version)
    return application_out(application)


@router.post(
    "/{application_id}/screening",
    response_model=ApplicationOut,
    summary="Screen a partner application again",
    responses={**etag_response(200), **problems(403, 404, 409, 412)},
    dependencies=[WRITE],
)
async def retry_application_screening(
    application_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    scoring: ScoringDep,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> ApplicationOut:
    """Asks scoring again, typically after a `pending` screening. Answers the application: still `pending`
    (with `screening_error`) when scoring could not answer this time either. 409 once decided; `If-Match`
    is optional."""
    application = await service.rescreen(
        session, application_id, if_match=if_match, actor=who, scoring=scoring, now=now
    )
    set_etag(response, application.version)
    return application_out(application)


@router.post(
    "/{application_id}/approval",
    response_model=ApplicationOut,
    summary="Approve a partner application",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422)},
    dependencies=[WRITE],
)
async def approve_partner_application(
    application_id: UUID,
    body: ApprovalIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> Response:
    """Approves the application; its partner moves from applied to onboarding (a partner already moved to
    onboarding or further by hand stays where it is). 409 `screening-not-passed` when the screening is
    pending or failed and no `screening_override_reason` is given; 409 `application-decided` when already
    decided; 409 `partner-terminated` when the partner was terminated meanwhile (reject the application)."""
    application = await service.approve(session, application_id, body, if_match=if_match, actor=who, now=now)
    return await idempotency.respond(
        session, application_out(application), status_code=200, headers=etag_headers(application.version)
    )


@router.post(
    "/{application_id}/rejection",
    response_model=ApplicationOut,
    summary="Reject a partner application",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422)},
    dependencies=[WRITE],
)
async def reject_partner_application(
    application_id: UUID,
    body: RejectionIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> Response:
    """Rejects the application with a reason; its partner, while still applied, is terminated with that
    reason. 409 `application-decided` when already decided."""
    application = await service.reject(session, application_id, body, if_match=if_match, actor=who, now=now)
    return await idempotency.respond(
        session, application_out(application), status_code=200, headers=etag_headers(application.version)
    )
