"""HTTP of evaluation models: `/v1/evaluation-models`, their versions, and publishing a version."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Response
from prm_contracts.counts import MAX_VERSION_NUMBER
from prm_contracts.pagination import Page
from prm_contracts.scoring import (
    EvaluationModelIn,
    EvaluationModelOut,
    ModelVersionOut,
    ModelVersionPatch,
    NewModelVersionIn,
)
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_response, set_etag
from prm_kit.idempotency import IdempotencyDep, created
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from scoring.evaluation_models import service
from scoring.evaluation_models.schemas import version_out

router = APIRouter(prefix="/v1/evaluation-models", tags=["evaluation-models"])

READ = require("scoring:read")
WRITE = require("scoring:write")
VersionNumber = Annotated[
    int, Path(ge=1, le=MAX_VERSION_NUMBER, description="The version's number within the model.")
]


def _version_location(model_id: UUID, number: int) -> str:
    return f"/v1/evaluation-models/{model_id}/versions/{number}"


@router.get(
    "",
    response_model=Page[EvaluationModelOut],
    summary="List evaluation models",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_evaluation_models(
    session: SessionDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[EvaluationModelOut]:
    """The models by name, each with its current (published last) and latest version number."""
    return await service.list_models(session, limit=limit, cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=ModelVersionOut,
    summary="Create an evaluation model",
    responses={**etag_response(201), **problems(403, 409, 422)},
    dependencies=[WRITE],
)
async def create_evaluation_model(
    body: EvaluationModelIn, session: SessionDep, who: PrincipalDep, idempotency: IdempotencyDep, now: NowDep
) -> Response:
    """Creates the model and its version 1 as a draft, answered with that draft (publish it to use it).
    409 when the name is taken. Not open to a partner's own credential."""
    model, version = await service.create_model(session, body, actor=who, now=now)
    return await created(
        session,
        idempotency,
        version_out(version, model.name),
        location=_version_location(model.id, version.number),
        version=version.version,
    )


@router.get(
    "/{model_id}",
    response_model=EvaluationModelOut,
    summary="Get an evaluation model",
    responses=problems(403, 404),
    dependencies=[READ],
)
async def get_evaluation_model(model_id: UUID, session: SessionDep) -> EvaluationModelOut:
    """The model with its current (published last) and latest version number."""
    return await service.model_answer(session, await service.visible_model(session, model_id))


@router.get(
    "/{model_id}/versions",
    response_model=Page[ModelVersionOut],
    summary="List an evaluation model's versions",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def list_evaluation_model_versions(
    model_id: UUID, session: SessionDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[ModelVersionOut]:
    """Every version of the model, newest first, drafts and published ones."""
    return await service.list_versions(session, model_id, limit=limit, cursor=cursor)


@router.post(
    "/{model_id}/versions",
    status_code=201,
    response_model=ModelVersionOut,
    summary="Add a draft version to an evaluation model",
    responses={**etag_response(201), **problems(403, 404, 422)},
    dependencies=[WRITE],
)
async def create_evaluation_model_version(
    model_id: UUID,
    body: NewModelVersionIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
) -> Response:
    """A new draft, numbered after the latest version: a copy of version `copy_from` with the fields sent
    replaced, or (without `copy_from`) a version of its own. The way to change a published version."""
    model, version = await service.new_version(session, model_id, body, actor=who, now=now)
    return await created(
        session,
        idempotency,
        version_out(version, model.name),
        location=_version_location(model.id, version.number),
        version=version.version,
    )


@router.get(
    "/{model_id}/versions/{number}",
    response_model=ModelVersionOut,
    summary="Get a version of an evaluation model",
    responses={**etag_response(200), **problems(403, 404, 422)},
    dependencies=[READ],
)
async def get_evaluation_model_version(
    model_id: UUID, number: VersionNumber, session: SessionDep, response: Response
) -> ModelVersionOut:
    """The version's criteria, gates and grade bands, with its version as `ETag` (for editing a draft)."""
    model, version = await service.visible_version(session, model_id, number)
    set_etag(response, version.version)
    return version_out(version, model.name)


@router.patch(
    "/{model_id}/versions/{number}",
    response_model=ModelVersionOut,
    summary="Edit a draft version of an evaluation model",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422, 428)},
    dependencies=[WRITE],
)
async def update_evaluation_model_version(
    model_id: UUID,
    number: VersionNumber,
    body: ModelVersionPatch,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> ModelVersionOut:
    """Replaces the fields sent, each as a whole. Only a draft changes: a published version is 409
    `model-version-published` (add a version copied from it instead). `If-Match` is required (428 without,
    412 when stale)."""
    model, version = await service.update_version(
        session, model_id, number, body, if_match=if_match, actor=who, now=now
    )
    set_etag(response, version.version)
    return version_out(version, model.name)


@router.post(
    "/{model_id}/versions/{number}/publish",
    response_model=ModelVersionOut,
    summary="Publish a draft version of an evaluation model",
    responses={**etag_response(200), **problems(403, 404, 409, 412)},
    dependencies=[WRITE],
)
async def publish_evaluation_model_version(
    model_id: UUID,
    number: VersionNumber,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> ModelVersionOut:
    """Makes the draft immutable and, as the version published last, the model's current one (an older
    draft too, after a newer version): new assessments and applications are scored with it from now on;
    stored scores keep their version. 409 when already published. `If-Match` is optional, checked when
    sent."""
    model, version = await service.publish_version(
        session, model_id, number, if_match=if_match, actor=who, now=now
    )
    set_etag(response, version.version)
    return version_out(version, model.name)
