"""Evaluation models: named, versioned sets of criteria, gates and grade bands.

A version starts as a draft, which may be edited; publishing makes it immutable (editing it is 409) and,
being the version published last (whatever its number), the model's current version. A change to a published version is a new
draft, usually copied from it. Models and versions are the vendor's: a partner's own credential reads them
(to see how it is scored) but never changes them.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict, NotFound
from prm_contracts.scoring import (
    DEFAULT_GRADE_BANDS,
    EvaluationModelIn,
    EvaluationModelOut,
    ModelVersionOut,
    ModelVersionPatch,
    NewModelVersionIn,
    VersionStatus,
)
from prm_kit.db import bump_version
from prm_kit.etag import check_if_match
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.evaluation_models import repository
from scoring.evaluation_models.models import EvaluationModel, EvaluationModelVersion
from scoring.evaluation_models.schemas import (
    Definition,
    definition_of,
    dump_criteria,
    dump_gates,
    dump_grade_bands,
    model_out,
    version_out,
)

MODEL_ORDER = "name"
VERSION_ORDER = "-number"


class ModelNameTaken(Conflict):
    slug, title = "evaluation-model-name-taken", "Evaluation model name already used"


class VersionPublished(Conflict):
    slug, title = "model-version-published", "Model version is published"


async def list_models(session: AsyncSession, *, limit: int, cursor: str | None) -> Page[EvaluationModelOut]:
    after = keyset_position(cursor, MODEL_ORDER, str)
    models = await repository.model_page(session, after=after, limit=limit + 1)
    numbers = await repository.version_numbers(session, [m.id for m in models])
    return page_of(
        models,
        limit,
        out=lambda m: model_out(m, current_version=numbers[m.id][0], latest_version=numbers[m.id][1]),
        cursor_of=lambda m: keyset_cursor(MODEL_ORDER, m.name, m.id),
    )


async def visible_model(session: AsyncSession, model_id: UUID) -> EvaluationModel:
    model = await repository.model_by_id(session, model_id)
    if model is None:
        raise NotFound(f"no evaluation model {model_id}")
    return model


async def model_answer(session: AsyncSession, model: EvaluationModel) -> EvaluationModelOut:
    current, latest = (await repository.version_numbers(session, [model.id]))[model.id]
    return model_out(model, current_version=current, latest_version=latest)


async def create_model(
    session: AsyncSession, body: EvaluationModelIn, *, actor: Principal, now: datetime
) -> tuple[EvaluationModel, EvaluationModelVersion]:
    """A new model with its first version, a draft."""
    actor.require_vendor("change evaluation models")
    taken = await repository.model_by_name(session, body.name)
    if taken is not None:
        raise ModelNameTaken(
            f"evaluation model {taken.id} is already named {body.name!r}; add a version to it instead",
            existing_model_id=str(taken.id),
        )
    model = EvaluationModel(
        id=uuid4(),
        name=body.name,
        description=body.description,
        created_by=actor.subject,
        created_at=now,
        updated_at=now,
    )
    draft = body.version
    version = EvaluationModelVersion(
        id=uuid4(),
        model_id=model.id,
        number=1,
        status=VersionStatus.DRAFT.value,
        criteria=dump_criteria(draft.criteria),
        gates=dump_gates(draft.gates),
        grade_bands=dump_grade_bands(draft.grade_bands),
        notes=draft.notes,
        copied_from=None,
        created_by=actor.subject,
        version=1,
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, model)
    await repository.add(session, version)
    return model, version


async def list_versions(
    session: AsyncSession, model_id: UUID, *, limit: int, cursor: str | None
) -> Page[ModelVersionOut]:
    model = await visible_model(session, model_id)
    after = keyset_position(cursor, VERSION_ORDER, int)
    versions = await repository.version_page(session, model.id, after=after, limit=limit + 1)
    return page_of(
        versions,
        limit,
        out=lambda v: version_out(v, model.name),
        cursor_of=lambda v: keyset_cursor(VERSION_ORDER, v.number, v.id),
    )


async def visible_version(
    session: AsyncSession, model_id: UUID, number: int, *, for_update: bool = False
) -> tuple[EvaluationModel, EvaluationModelVersion]:
    model = await visible_model(session, model_id)
    version = await repository.version(session, model.id, number, for_update=for_update)
    if version is None:
        raise NotFound(f"evaluation model {model.name!r} has no version {number}")
    return model, version


async def new_version(
    session: AsyncSession, model_id: UUID, body: NewModelVersionIn, *, actor: Principal, now: datetime
) -> tuple[EvaluationModel, EvaluationModelVersion]:
    """A new draft: a copy of `copy_from` with the fields sent replaced, or a version of its own."""
    actor.require_vendor("change evaluation models")
    model = await repository.lock_model(session, model_id)
    if model is None:
        raise NotFound(f"no evaluation model {model_id}")
    latest = (await repository.version_numbers(session, [model.id]))[model.id][1]
    criteria, gates, bands = body.criteria, body.gates, body.grade_bands
    if body.copy_from is not None:
        _, source = await visible_version(session, model.id, body.copy_from)
        copied = definition_of(source, model.name)
        criteria = criteria if criteria is not None else copied.criteria
        gates = gates if gates is not None else copied.gates
        bands = bands if bands is not None else copied.grade_bands
    assert criteria is not None  # NewModelVersionIn requires criteria without copy_from
    version = EvaluationModelVersion(
        id=uuid4(),
        model_id=model.id,
        number=latest + 1,
        status=VersionStatus.DRAFT.value,
        criteria=dump_criteria(criteria),
        gates=dump_gates(gates or []),
        grade_bands=dump_grade_bands(bands or list(DEFAULT_GRADE_BANDS)),
        notes=body.notes,
        copied_from=body.copy_from,
        created_by=actor.subject,
        version=1,
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, version)
    return model, version


def _ensure_draft(model: EvaluationModel, version: EvaluationModelVersion) -> None:
    if version.status == VersionStatus.PUBLISHED.value:
        raise VersionPublished(
            f"version {version.number} of {model.name!r} is published and cannot change; create a new version "
            f"(POST /v1/evaluation-models/{model.id}/versions with copy_from {version.number})",
            model_version=version.number,
        )


async def update_version(
    session: AsyncSession,
    model_id: UUID,
    number: int,
    patch: ModelVersionPatch,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> tuple[EvaluationModel, EvaluationModelVersion]:
    """Replace fields of a draft read at the version `if_match` names; a published version is 409."""
    actor.require_vendor("change evaluation models")
    model, version = await visible_version(session, model_id, number, for_update=True)
    _ensure_draft(model, version)
    check_if_match(if_match, version.version, required=True, resource="model version")
    before = (version.criteria, version.gates, version.grade_bands, version.notes)
    if patch.criteria is not None:
        version.criteria = dump_criteria(patch.criteria)
    if patch.gates is not None:
        version.gates = dump_gates(patch.gates)
    if patch.grade_bands is not None:
        version.grade_bands = dump_grade_bands(patch.grade_bands)
    if "notes" in patch.model_fields_set:
        version.notes = patch.notes
    if (version.criteria, version.gates, version.grade_bands, version.notes) != before:
        await bump_version(session, version, at=now)
    return model, version


async def publish_version(
    session: AsyncSession,
    model_id: UUID,
    number: int,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> tuple[EvaluationModel, EvaluationModelVersion]:
    """Publish a draft: from now on it is immutable and, as the version published last, the current one."""
    actor.require_vendor("publish evaluation models")
    model, version = await visible_version(session, model_id, number, for_update=True)
    _ensure_draft(model, version)
    check_if_match(if_match, version.version, required=False, resource="model version")
    version.status = VersionStatus.PUBLISHED.value
    version.published_at = now
    version.published_by = actor.subject
    await bump_version(session, version, at=now)
    return model, version


async def scoring_definition(
    session: AsyncSession, model_name: str, number: int | None
) -> tuple[EvaluationModelVersion, Definition] | None:
    """The version `number` of the model named `model_name` (its current published one when None), or None
    when there is no such model or version."""
    model = await repository.model_by_name(session, model_name)
    if model is None:
        return None
    if number is None:
        version = await repository.current_published(session, model.id)
    else:
        version = await repository.version(session, model.id, number)
    if version is None:
        return None
    return version, definition_of(version, model.name)
