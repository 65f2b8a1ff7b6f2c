"""HTTP of survey results: `/v1/surveys/responses`."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from prm_contracts.dates import IsoDate
from prm_contracts.pagination import Page
from prm_contracts.problem import ServiceUnavailable, UnprocessableContent, ValidationIssue
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from analytics.partners.access import VENDOR_ONLY
from analytics.partners.known import unknown_partners
from analytics.sales.secrets import WebhookSecretsDep
from analytics.surveys import service
from analytics.surveys.schemas import SurveyResponseOut, SurveyResponsesIn, SurveySubmissionReport

router = APIRouter(prefix="/v1/surveys/responses", tags=["surveys"])

READ = require("analytics:read")
WRITE = require("analytics:write")


@router.post(
    "",
    response_model=SurveySubmissionReport,
    summary="Submit survey responses",
    responses=problems(403, 409, 422, 503, only={503: [ServiceUnavailable.slug]}),
    dependencies=[WRITE, VENDOR_ONLY],
)
async def submit_survey_responses(
    body: SurveyResponsesIn, session: SessionDep, now: NowDep, secrets: WebhookSecretsDep
) -> SurveySubmissionReport:
    """Stores up to 1,000 responses, all or nothing, each keyed by (partner_id, survey_id, respondent_id).
    A response already stored (or given earlier in the batch) with the same content is reported `duplicate`
    and not stored again; with different content the batch is refused: 409 `survey-response-conflict`
    against a stored one (responses are never overwritten), 422 within the batch. Every partner named must be
    one the registry knows (422 `partner_unknown` for each response naming another, nothing stored)."""
    unknown = await unknown_partners(secrets, (response.partner_id for response in body.responses))
    if unknown:
        raise UnprocessableContent(
            f"nothing was stored: the registry knows no partner {', '.join(sorted(map(str, unknown)))}",
            errors=[
                ValidationIssue(
                    loc=["body", "responses", index, "partner_id"],
                    msg=f"no partner {response.partner_id}",
                    type="partner_unknown",
                )
                for index, response in enumerate(body.responses)
                if response.partner_id in unknown
            ],
        )
    return await service.submit_responses(session, body, now=now)


@router.get(
    "",
    response_model=Page[SurveyResponseOut],
    summary="List survey responses",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def list_survey_responses(
    session: SessionDep,
    who: PrincipalDep,
    partner_id: UUID | None = None,
    survey_id: Annotated[str | None, Query(max_length=100)] = None,
    first_day: Annotated[IsoDate | None, Query(alias="from", description="Responded on or after.")] = None,
    last_day: Annotated[IsoDate | None, Query(alias="to", description="Responded on or before.")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[SurveyResponseOut]:
    """Responses oldest first; a partner's own credential lists only those about itself."""
    return await service.list_responses(
        session,
        viewer=who,
        partner_id=partner_id,
        survey_id=survey_id,
        first=first_day,
        last=last_day,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/{response_id}",
    response_model=SurveyResponseOut,
    summary="Get a survey response",
    responses=problems(403, 404),
    dependencies=[READ],
)
async def get_survey_response(response_id: UUID, session: SessionDep, who: PrincipalDep) -> SurveyResponseOut:
    """A partner's own credential sees only responses about itself (404 otherwise)."""
    return service.survey_response_out(await service.visible_response(session, response_id, viewer=who))
