"""Survey results: one response per respondent, survey and partner, submitted in batches of up to 1,000.

A batch is stored all or nothing. Each response is keyed by (partner, survey id, respondent id): the same key
with the same scores and date again — in this batch or stored earlier — is a duplicate (reported, not stored
twice, so a retried batch is harmless); with different content it is refused: 422 inside one batch, 409
against a stored response (a response is never overwritten). The answer lists every response's outcome.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict, NotFound, UnprocessableContent, ValidationIssue
from prm_kit.db import ordered_id
from prm_kit.errors import summarise
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.kpis.announcements import announce, per_month
from analytics.partners.access import visible_partner_filter
from analytics.surveys import repository
from analytics.surveys.models import SurveyResponse
from analytics.surveys.schemas import (
    SubmissionOutcome,
    SubmittedResponse,
    SurveyResponseIn,
    SurveyResponseOut,
    SurveyResponsesIn,
    SurveySubmissionReport,
)

ORDER = "responded_on"


class SurveyResponseConflict(Conflict):
    slug, title = "survey-response-conflict", "A different response of this respondent is stored"


def survey_response_out(response: SurveyResponse) -> SurveyResponseOut:
    return SurveyResponseOut(
        id=response.id,
        partner_id=response.partner_id,
        survey_id=response.survey_id,
        respondent_id=response.respondent_id,
        nps=response.nps,
        csat=response.csat,
        responded_on=response.responded_on,
        created_at=response.created_at,
    )


def _content(response: SurveyResponseIn | SurveyResponse) -> tuple[int | None, int | None, date]:
    return (response.nps, response.csat, response.responded_on)


def _key(response: SurveyResponseIn) -> repository.Key:
    return (response.partner_id, response.survey_id, response.respondent_id)


def _issue(index: int, msg: str, type_: str) -> ValidationIssue:
    return ValidationIssue(loc=["body", "responses", index], msg=f"responses[{index}]: {msg}", type=type_)


async def submit_responses(
    session: AsyncSession, body: SurveyResponsesIn, *, now: datetime
) -> SurveySubmissionReport:
    first_in_batch: dict[repository.Key, int] = {}
    contradictions: list[ValidationIssue] = []
    for index, response in enumerate(body.responses):
        earlier = first_in_batch.setdefault(_key(response), index)
        if earlier != index and _content(body.responses[earlier]) != _content(response):
            contradictions.append(
                _issue(
                    index,
                    f"the same respondent's response to this survey differs from responses[{earlier}]",
                    "survey_response_contradicts",
                )
            )
    if contradictions:
        raise UnprocessableContent(f"nothing was stored: {summarise(contradictions)}", errors=contradictions)
    stored = await repository.stored_responses(session, list(first_in_batch))
    conflicts = [
        _issue(
            index,
            f"a different response is stored for respondent {key[2]!r} of survey {key[1]!r} (id {row.id})",
            "survey_response_differs",
        )
        for key, index in first_in_batch.items()
        if (row := stored.get(key)) is not None and _content(row) != _content(body.responses[index])
    ]
    if conflicts:
        raise SurveyResponseConflict(
            f"nothing was stored: {len(conflicts)} response(s) differ from stored ones, which are never "
            f"overwritten; {summarise(conflicts)}",
            errors=conflicts,
        )
    ids: dict[repository.Key, UUID] = {key: row.id for key, row in stored.items()}
    new_rows: list[dict[str, Any]] = []
    items: list[SubmittedResponse] = []
    for index, response in enumerate(body.responses):
        key = _key(response)
        if key in ids:
            items.append(SubmittedResponse(index=index, id=ids[key], outcome=SubmissionOutcome.DUPLICATE))
            continue
        ids[key] = ordered_id()
        new_rows.append(
            {
                "id": ids[key],
                "partner_id": response.partner_id,
                "survey_id": response.survey_id,
                "respondent_id": response.respondent_id,
                "nps": response.nps,
                "csat": response.csat,
                "responded_on": response.responded_on,
                "created_at": now,
            }
        )
        items.append(SubmittedResponse(index=index, id=ids[key], outcome=SubmissionOutcome.ACCEPTED))
    await repository.insert_responses(session, new_rows)
    await announce(session, per_month((row["partner_id"], row["responded_on"]) for row in new_rows))
    return SurveySubmissionReport(accepted=len(new_rows), duplicates=len(items) - len(new_rows), items=items)


async def visible_response(session: AsyncSession, response_id: UUID, *, viewer: Principal) -> SurveyResponse:
    response = await repository.response_by_id(session, response_id)
    if response is None or (viewer.partner_id is not None and viewer.partner_id != response.partner_id):
        raise NotFound(f"no survey response {response_id}")
    return response


async def list_responses(
    session: AsyncSession,
    *,
    viewer: Principal,
    partner_id: UUID | None,
    survey_id: str | None,
    first: date | None,
    last: date | None,
    limit: int,
    cursor: str | None,
) -> Page[SurveyResponseOut]:
    rows = await repository.response_page(
        session,
        partner_id=visible_partner_filter(viewer, partner_id, "survey responses"),
        survey_id=survey_id,
        first=first,
        last=last,
        after=keyset_position(cursor, ORDER, date),
        limit=limit + 1,
    )
    return page_of(
        rows, limit, out=survey_response_out, cursor_of=lambda r: keyset_cursor(ORDER, r.responded_on, r.id)
    )
