"""HTTP of partners: `/v1/partners`, their status transitions and their history."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from prm_contracts.pagination import Page
from prm_contracts.partners import (
    CountryCode,
    PartnerIn,
    PartnerOut,
    PartnerPatch,
    PartnerStatus,
    PartnerType,
    WebsiteDomain,
)
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.db.json_items import JSON_MEDIA_TYPE
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_response, set_etag
from prm_kit.idempotency import IdempotencyDep, created
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from partner_registry.partners import service
from partner_registry.partners.changes import label_key, registration_key
from partner_registry.partners.models import HistoryKind
from partner_registry.partners.schemas import (
    HistoryEntryOut,
    PartnerFilters,
    PartnerSort,
    StatusTransitionIn,
    StatusTransitionOut,
    partner_out,
)

router = APIRouter(prefix="/v1/partners", tags=["partners"])


def _comparable(number: str) -> str:
    # compared by its letters and digits alone, a number without any would filter nothing: every partner
    if registration_key(number) is None:
        raise PydanticCustomError("registration_number_empty", "must hold at least one letter or digit")
    return number


RegistrationNumberFilter = Annotated[str, AfterValidator(_comparable)]

READ = require("partners:read")
WRITE = require("partners:write")


@router.post(
    "",
    status_code=201,
    response_model=PartnerOut,
    summary="Register a partner",
    responses={**etag_response(201), **problems(403, 409, 422)},
    dependencies=[WRITE],
)
async def create_partner(
    body: PartnerIn, session: SessionDep, who: PrincipalDep, idempotency: IdempotencyDep, now: NowDep
) -> Response:
    """Registers a partner as a `prospect`. 409 when its registration number is already registered in its
    country. Not open to a partner's own credential."""
    partner = await service.create_partner(session, body, actor=who, now=now)
    return await created(
        session,
        idempotency,
        partner_out(partner),
        location=f"/v1/partners/{partner.id}",
        version=partner.version,
    )


@router.get(
    "",
    response_model=Page[PartnerOut],
    summary="List and search partners",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_partners(
    session: SessionDep,
    who: PrincipalDep,
    now: NowDep,
    partner_type: Annotated[list[PartnerType] | None, Query(description="Any of these types.")] = None,
    status: Annotated[list[PartnerStatus] | None, Query(description="Any of these statuses.")] = None,
    tier: Annotated[list[str] | None, Query(description="Any of these tier keys.")] = None,
    country: Annotated[list[CountryCode] | None, Query(description="Any of these countries.")] = None,
    region: Annotated[list[str] | None, Query(description="Any of these regions (exact).")] = None,
    specialisation: Annotated[
        list[str] | None,
        Query(description="Has any of these product lines or industries (case-insensitive)."),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1, max_length=100, description="Part of the display or legal name (case-insensitive)."
        ),
    ] = None,
    registration_number: Annotated[
        RegistrationNumberFilter | None,
        Query(
            min_length=1,
            max_length=64,
            description="Registration or tax number, compared ignoring case, spaces, dots, slashes and dashes "
            "(add `country` to look in one country). Must hold at least one letter or digit (422 otherwise).",
        ),
    ] = None,
    website_domain: Annotated[
        WebsiteDomain | None,
        Query(description="Website domain; any spelling (`https://www.Example.com/`) is normalised."),
    ] = None,
    has_current_agreement: Annotated[
        bool | None,
        Query(
            description="true: only partners with an agreement current today; false: only those without one "
            "(with `status=active`: the active partners whose agreement has run out and needs renewing)."
        ),
    ] = None,
    sort: Annotated[
        PartnerSort, Query(description="`-` in front sorts descending.")
    ] = PartnerSort.DISPLAY_NAME,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Response:
    """Partners matching every filter given (a repeated parameter matches any of its values), in `sort`
    order. A partner's own credential sees only its own partner."""
    filters = PartnerFilters(
        partner_types=partner_type or [],
        statuses=status or [],
        tiers=tier or [],
        countries=country or [],
        regions=region or [],
        specialisations=[label_key(label) for label in specialisation or []],
        name_contains=q,
        registration_number_key=registration_key(registration_number),
        website_domain=website_domain,
        has_current_agreement=has_current_agreement,
        today=now.date(),
    )
    page = await service.list_partners(session, filters, sort, viewer=who, limit=limit, cursor=cursor)
    return Response(content=page, media_type=JSON_MEDIA_TYPE)


@router.get(
    "/{partner_id}",
    response_model=PartnerOut,
    summary="Get a partner",
    responses={**etag_response(200), **problems(403, 404)},
    dependencies=[READ],
)
async def get_partner(
    partner_id: UUID, session: SessionDep, who: PrincipalDep, response: Response
) -> PartnerOut:
    """The partner, with its version as `ETag` for a later update."""
    partner = await service.visible_partner(session, partner_id, viewer=who)
    set_etag(response, partner.version)
    return partner_out(partner)


@router.patch(
    "/{partner_id}",
    response_model=PartnerOut,
    summary="Update a partner",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422, 428)},
    dependencies=[WRITE],
)
async def update_partner(
    partner_id: UUID,
    body: PartnerPatch,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> PartnerOut:
    """Changes the fields sent. `If-Match` is required (428 without it, 412 when the partner has changed
    since). A partner's own credential may change only how it presents itself (403 otherwise); a
    terminated partner cannot change (409)."""
    partner = await service.update_partner(session, partner_id, body, if_match=if_match, actor=who, now=now)
    set_etag(response, partner.version)
    return partner_out(partner)


@router.post(
    "/{partner_id}/status-transitions",
    status_code=201,
    response_model=StatusTransitionOut,
    summary="Move a partner along its lifecycle",
    responses=problems(403, 404, 409, 412, 422),
    dependencies=[WRITE],
)
async def transition_partner_status(
    partner_id: UUID,
    body: StatusTransitionIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> Response:
    """prospect → applied → onboarding → active ⇄ suspended, and any of them → terminated (final).
    409 with `allowed` for a move that is not allowed; `suspended` and `terminated` need a `reason`.
    `If-Match` is optional here and checked when sent."""
    transition = await service.transition_status(
        session, partner_id, body, if_match=if_match, actor=who, now=now
    )
    return await idempotency.respond(session, transition, status_code=201)


@router.get(
    "/{partner_id}/history",
    response_model=Page[HistoryEntryOut],
    summary="List a partner's history",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def list_partner_history(
    partner_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    kind: Annotated[list[HistoryKind] | None, Query(description="Only entries of these kinds.")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[HistoryEntryOut]:
    """Every change to the partner, newest first: who made it, when, each field before and after, and for a
    status transition its reason."""
    return await service.partner_history(
        session, partner_id, viewer=who, kinds=kind or [], limit=limit, cursor=cursor
    )
