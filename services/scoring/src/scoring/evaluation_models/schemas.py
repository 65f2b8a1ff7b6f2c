"""ORM → contract conversions of evaluation models and versions (the bodies live in `prm_contracts.scoring`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prm_contracts.scoring import (
    CriterionDefinition,
    EvaluationModelOut,
    Gate,
    GradeBand,
    ModelVersionOut,
    VersionStatus,
)
from pydantic import TypeAdapter

if TYPE_CHECKING:
    from scoring.evaluation_models.models import EvaluationModel, EvaluationModelVersion

_CRITERIA = TypeAdapter(list[CriterionDefinition])
_GATES = TypeAdapter(list[Gate])
_BANDS = TypeAdapter(list[GradeBand])


@dataclass(frozen=True)
class Definition:
    """What a version scores with, parsed from its stored documents."""

    model_name: str
    number: int
    criteria: list[CriterionDefinition]
    gates: list[Any]
    grade_bands: list[GradeBand]


def dump_criteria(criteria: list[CriterionDefinition]) -> list[dict[str, Any]]:
    dumped: list[dict[str, Any]] = _CRITERIA.dump_python(criteria, mode="json")
    return dumped


def dump_gates(gates: list[Any]) -> list[dict[str, Any]]:
    dumped: list[dict[str, Any]] = _GATES.dump_python(gates, mode="json")
    return dumped


def dump_grade_bands(bands: list[GradeBand]) -> list[dict[str, Any]]:
    dumped: list[dict[str, Any]] = _BANDS.dump_python(bands, mode="json")
    return dumped


def definition_of(version: EvaluationModelVersion, model_name: str) -> Definition:
    return Definition(
        model_name=model_name,
        number=version.number,
        criteria=_CRITERIA.validate_python(version.criteria),
        gates=_GATES.validate_python(version.gates),
        grade_bands=_BANDS.validate_python(version.grade_bands),
    )


def version_out(version: EvaluationModelVersion, model_name: str) -> ModelVersionOut:
    definition = definition_of(version, model_name)
    return ModelVersionOut(
        id=version.id,
        model_id=version.model_id,
        model_name=model_name,
        number=version.number,
        status=VersionStatus(version.status),
        criteria=definition.criteria,
        gates=definition.gates,
        grade_bands=definition.grade_bands,
        notes=version.notes,
        copied_from=version.copied_from,
        created_by=version.created_by,
        published_by=version.published_by,
        published_at=version.published_at,
        version=version.version,
        created_at=version.created_at,
        updated_at=version.updated_at,
    )


def model_out(
    model: EvaluationModel, *, current_version: int | None, latest_version: int
) -> EvaluationModelOut:
    return EvaluationModelOut(
        id=model.id,
        name=model.name,
        description=model.description,
        current_version=current_version,
        latest_version=latest_version,
        created_by=model.created_by,
        created_at=model.created_at,
        updated_at=model.updated_at,
    )
