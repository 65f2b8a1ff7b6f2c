"""HTTP of programmes: `/v1/programmes`, their versions, and publishing a version."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Response
from prm_contracts.counts import MAX_VERSION_NUMBER
from prm_contracts.incentives import ProgrammeIn, ProgrammeOut, ProgrammeVersionOut, VersionTerms
from prm_contracts.pagination import Page
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_response, set_etag
from prm_kit.idempotency import IdempotencyDep, created
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from incentives.clients import RegistryDep
from incentives.programmes import service
from incentives.programmes.schemas import version_out

router = APIRouter(prefix="/v1/programmes", tags=["programmes"])

READ = require("incentives:read")
WRITE = require("incentives:write")
VersionNumber = Annotated[
    int, Path(ge=1, le=MAX_VERSION_NUMBER, description="The version's number within the programme.")
]


def _location(programme_id: UUID, number: int) -> str:
    return f"/v1/programmes/{programme_id}/versions/{number}"


@router.get(
    "",
    response_model=Page[ProgrammeOut],
    summary="List programmes",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_programmes(
    session: SessionDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[ProgrammeOut]:
    """The programmes by name, each with its latest version number."""
    return await service.list_programmes(session, limit=limit, cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=ProgrammeVersionOut,
    summary="Create a programme",
    responses={**etag_response(201), **problems(403, 409, 422, 503)},
    dependencies=[WRITE],
)
async def create_programme(
    body: ProgrammeIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
    registry: RegistryDep,
) -> Response:
    """Creates the programme and its version 1 as a draft, answered with that draft (publish it to use it).
    422 for invalid terms (overlapping or non-contiguous bands, an open band before the last, negative rates,
    numbers where decimal strings are expected), 422 `programme-amount-precision` for a cap, floor, budget,
    SPIFF amount or band bound finer than the currency's minor unit, and 422 `unknown-tier` for a key of
    `eligibility.tiers` the registry's tier ladder does not have (checked with the registry: 503 with
    `Retry-After` when it cannot answer); 409 when the name is taken. Nothing is stored unless 201. Not for a
    partner's credential."""
    programme, version = await service.create_programme(session, body, registry, actor=who, now=now)
    return await created(
        session,
        idempotency,
        version_out(version, programme),
        location=_location(programme.id, 1),
        version=version.version,
    )


@router.get(
    "/{programme_id}",
    response_model=ProgrammeOut,
    summary="Get a programme",
    responses=problems(403, 404),
    dependencies=[READ],
)
async def get_programme(programme_id: UUID, session: SessionDep) -> ProgrammeOut:
    """The programme with its latest version number."""
    return await service.programme_answer(session, await service.visible_programme(session, programme_id))


@router.get(
    "/{programme_id}/versions",
    response_model=Page[ProgrammeVersionOut],
    summary="List a programme's versions",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def list_programme_versions(
    programme_id: UUID, session: SessionDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[ProgrammeVersionOut]:
    """Every version, newest first, drafts and published ones."""
    return await service.list_versions(session, programme_id, limit=limit, cursor=cursor)


@router.post(
    "/{programme_id}/versions",
    status_code=201,
    response_model=ProgrammeVersionOut,
    summary="Add a draft version to a programme",
    responses={**etag_response(201), **problems(403, 404, 422, 503)},
    dependencies=[WRITE],
)
async def create_programme_version(
    programme_id: UUID,
    body: VersionTerms,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
    registry: RegistryDep,
) -> Response:
    """A new draft numbered after the latest version, with its own effective dates: the way to change a
    published programme. 422 for invalid terms, as at creation (`programme-amount-precision` for an amount
    finer than the programme currency's minor unit, `unknown-tier` for a tier the registry does not have; 503
    with `Retry-After` when the registry cannot answer)."""
    programme, version = await service.new_version(session, programme_id, body, registry, actor=who, now=now)
    return await created(
        session,
        idempotency,
        version_out(version, programme),
        location=_location(programme.id, version.number),
        version=version.version,
    )


@router.get(
    "/{programme_id}/versions/{number}",
    response_model=ProgrammeVersionOut,
    summary="Get a version of a programme",
    responses={**etag_response(200), **problems(403, 404, 422)},
    dependencies=[READ],
)
async def get_programme_version(
    programme_id: UUID, number: VersionNumber, session: SessionDep, response: Response
) -> ProgrammeVersionOut:
    """The version's terms, with its version as `ETag` (for replacing a draft)."""
    programme, version = await service.visible_version(session, programme_id, number)
    set_etag(response, version.version)
    return version_out(version, programme)


@router.put(
    "/{programme_id}/versions/{number}",
    response_model=ProgrammeVersionOut,
    summary="Replace a draft version's terms",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422, 428, 503)},
    dependencies=[WRITE],
)
async def replace_programme_version(
    programme_id: UUID,
    number: VersionNumber,
    body: VersionTerms,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    registry: RegistryDep,
    if_match: IfMatchHeader = None,
) -> ProgrammeVersionOut:
    """Replaces the draft's terms whole. A published version is 409 `programme-version-published` (add a new
    version instead). `If-Match` is required (428 without, 412 when stale). 422 for invalid terms, as at
    creation (`programme-amount-precision` for an amount finer than the programme currency's minor unit,
    `unknown-tier` for a tier the registry does not have; 503 with `Retry-After` when the registry cannot
    answer)."""
    programme, version = await service.replace_version(
        session, programme_id, number, body, registry, if_match=if_match, actor=who, now=now
    )
    set_etag(response, version.version)
    return version_out(version, programme)


@router.post(
    "/{programme_id}/versions/{number}/publish",
    response_model=ProgrammeVersionOut,
    summary="Publish a draft version of a programme",
    responses={**etag_response(200), **problems(403, 404, 409, 412)},
    dependencies=[WRITE],
)
async def publish_programme_version(
    programme_id: UUID,
    number: VersionNumber,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> ProgrammeVersionOut:
    """Makes the draft immutable and usable by calculation runs. 409 when already published, or when its
    effective dates overlap another published version of the programme. `If-Match` optional, checked when
    sent."""
    programme, version = await service.publish_version(
        session, programme_id, number, if_match=if_match, actor=who, now=now
    )
    set_etag(response, version.version)
    return version_out(version, programme)
