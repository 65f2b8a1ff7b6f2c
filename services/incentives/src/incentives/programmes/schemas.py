"""ORM ↔ contract conversions of programmes and versions (the bodies live in `prm_contracts.incentives`)."""

from __future__ import annotations

from typing import Any

from prm_contracts.incentives import (
    Eligibility,
    ProgrammeOut,
    ProgrammeVersionOut,
    Rule,
    VersionStatus,
    VersionTerms,
)
from prm_contracts.periods import PeriodKind
from pydantic import TypeAdapter

from incentives.programmes.models import Programme, ProgrammeVersion

_RULES = TypeAdapter(list[Rule])


def dump_terms(terms: VersionTerms) -> dict[str, Any]:
    """The columns a version's terms are stored in."""
    return {
        "effective_from": terms.effective_from,
        "effective_to": terms.effective_to,
        "basis": terms.basis.value,
        "hold_days": terms.hold_days,
        "eligibility": terms.eligibility.model_dump(mode="json", by_alias=True),
        "rules": _RULES.dump_python(terms.rules, mode="json", by_alias=True),
        "notes": terms.notes,
    }


def terms_of(version: ProgrammeVersion) -> VersionTerms:
    return VersionTerms(
        effective_from=version.effective_from,
        effective_to=version.effective_to,
        basis=version.basis,
        hold_days=version.hold_days,
        eligibility=Eligibility.model_validate(version.eligibility),
        rules=_RULES.validate_python(version.rules),
        notes=version.notes,
    )


def version_out(version: ProgrammeVersion, programme: Programme) -> ProgrammeVersionOut:
    terms = terms_of(version)
    return ProgrammeVersionOut(
        **dict(terms),
        id=version.id,
        programme_id=programme.id,
        programme_name=programme.name,
        currency=programme.currency,
        period_type=PeriodKind(programme.period_type),
        number=version.number,
        status=VersionStatus(version.status),
        created_by=version.created_by,
        published_by=version.published_by,
        published_at=version.published_at,
        version=version.version,
        created_at=version.created_at,
        updated_at=version.updated_at,
    )


def programme_out(programme: Programme, latest_version: int) -> ProgrammeOut:
    return ProgrammeOut(
        id=programme.id,
        name=programme.name,
        currency=programme.currency,
        period_type=PeriodKind(programme.period_type),
        description=programme.description,
        latest_version=latest_version,
        created_by=programme.created_by,
        created_at=programme.created_at,
        updated_at=programme.updated_at,
    )
