"""HTTP of the score API internal systems call: one partner's stored score (ETag, 304), or many at once."""

from __future__ import annotations

import re
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Response
from prm_contracts.scoring import PartnerScoreOut, ScoreBatchIn, ScoreBatchOut
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import ETAG_HEADER, entity_tag, etag_response, parse_entity_tags
from prm_kit.internal_auth import PrincipalDep, require

from scoring.scores import service

router = APIRouter(prefix="/v1/scores", tags=["scores"])

READ = require("scoring:read")
JSON = "application/json"


# An opaque tag that can name a version of ours: digits as `entity_tag` writes them, within the column's type.
_VERSION = re.compile(r"0|[1-9][0-9]{0,9}")
_LAST_VERSION = 2**31 - 1


def _versions_held(if_none_match: str | None) -> list[int] | None:
    """The versions an If-None-Match names, compared weakly (RFC 9110 §13.1.2); None for `*`, which any
    stored score matches. A malformed header names none."""
    tags = None if if_none_match is None else parse_entity_tags(if_none_match)
    if tags is None:
        return []
    if not tags:
        return None
    return [
        version
        for _, opaque in tags
        if _VERSION.fullmatch(opaque) and (version := int(opaque)) <= _LAST_VERSION
    ]


@router.get(
    "/partners/{partner_id}",
    response_model=PartnerScoreOut,
    summary="Get a partner's score, health and tier gap",
    responses=problems(403, 404)
    | etag_response()
    | {304: {"description": "Not modified: the ETag matched."}},
    dependencies=[READ],
)
async def get_partner_score(
    partner_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    if_none_match: Annotated[
        str | None,
        Header(
            alias="If-None-Match", max_length=1024, description="The ETag you hold: 304 while it is current."
        ),
    ] = None,
) -> Response:
    """The partner's latest evaluation (total, grade, model version, per-dimension summary), its health
    (level and signals) and its tier standing (recommendation, gap to the next tier, demotion risk), stored
    precomputed and refreshed by events, so the read asks no other service. `ETag` with it; `If-None-Match`
    with the current one answers 304. 404 when scoring has no score for the partner (and, to a partner's own
    credential, for any other partner)."""
    held = _versions_held(if_none_match)
    version, stored = await service.stored_answer(session, partner_id, viewer=who, held=held or ())
    headers = {ETAG_HEADER: entity_tag(version)}
    if stored is None or held is None:
        return Response(status_code=304, headers=headers)
    return Response(content=stored, media_type=JSON, headers=headers)


@router.post(
    "/batch",
    response_model=ScoreBatchOut,
    summary="Get many partners' scores",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def get_partner_scores(body: ScoreBatchIn, session: SessionDep, who: PrincipalDep) -> Response:
    """Up to 10,000 partner ids (more is 422) → one item per id, in the order sent: `found` with the score in
    brief (total, grade, model version, health level and signals, tier action and gap in words, and the
    version of the full answer, whose explanation `GET /v1/scores/partners/{id}` gives), or `found: false`
    with why (scoring has no score for it; to a partner's own credential, any other partner). Unknown ids never
    fail the batch."""
    return Response(
        content=await service.batch_answer(session, body.partner_ids, viewer=who), media_type=JSON
    )
