"""Every query of the evaluation-models domain."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from prm_contracts.scoring import VersionStatus
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.evaluation_models.models import EvaluationModel, EvaluationModelVersion


async def model_by_id(session: AsyncSession, model_id: UUID) -> EvaluationModel | None:
    found: EvaluationModel | None = await session.get(EvaluationModel, model_id)
    return found


async def model_by_name(
    session: AsyncSession, name: str, *, for_update: bool = False
) -> EvaluationModel | None:
    statement = sa.select(EvaluationModel).where(EvaluationModel.name == name)
    if for_update:
        statement = statement.with_for_update()
    found: EvaluationModel | None = await session.scalar(statement)
    return found


async def lock_model(session: AsyncSession, model_id: UUID) -> EvaluationModel | None:
    """The model row locked, so version numbers are handed out one at a time."""
    found: EvaluationModel | None = await session.scalar(
        sa.select(EvaluationModel)
        .where(EvaluationModel.id == model_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


async def model_page(
    session: AsyncSession, *, after: KeysetPosition[str] | None, limit: int
) -> list[EvaluationModel]:
    statement = (
        sa.select(EvaluationModel)
        .where(keyset_after(EvaluationModel.name, EvaluationModel.id, after, descending=False))
        .order_by(*keyset_order(EvaluationModel.name, EvaluationModel.id, descending=False))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def version_numbers(session: AsyncSession, model_ids: list[UUID]) -> dict[UUID, tuple[int | None, int]]:
    """Per model: (its latest published version number or None, its highest version number)."""
    if not model_ids:
        return {}
    published = sa.case(
        (EvaluationModelVersion.status == VersionStatus.PUBLISHED.value, EvaluationModelVersion.number)
    )
    rows = await session.execute(
        sa.select(
            EvaluationModelVersion.model_id,
            sa.func.max(published),
            sa.func.max(EvaluationModelVersion.number),
        )
        .where(EvaluationModelVersion.model_id.in_(model_ids))
        .group_by(EvaluationModelVersion.model_id)
    )
    return {model_id: (current, latest) for model_id, current, latest in rows.all()}


async def version(
    session: AsyncSession, model_id: UUID, number: int, *, for_update: bool = False
) -> EvaluationModelVersion | None:
    statement = (
        sa.select(EvaluationModelVersion)
        .where(EvaluationModelVersion.model_id == model_id, EvaluationModelVersion.number == number)
        .execution_options(populate_existing=True)
    )
    if for_update:
        statement = statement.with_for_update()
    found: EvaluationModelVersion | None = await session.scalar(statement)
    return found


async def current_published(session: AsyncSession, model_id: UUID) -> EvaluationModelVersion | None:
    """The latest published version: the one used when no version is named."""
    found: EvaluationModelVersion | None = await session.scalar(
        sa.select(EvaluationModelVersion)
        .where(
            EvaluationModelVersion.model_id == model_id,
            EvaluationModelVersion.status == VersionStatus.PUBLISHED.value,
        )
        .order_by(EvaluationModelVersion.number.desc())
        .limit(1)
    )
    return found


async def version_page(
    session: AsyncSession, model_id: UUID, *, after: KeysetPosition[int] | None, limit: int
) -> list[EvaluationModelVersion]:
    """The versions of a model, newest first."""
    statement = (
        sa.select(EvaluationModelVersion)
        .where(
            EvaluationModelVersion.model_id == model_id,
            keyset_after(EvaluationModelVersion.number, EvaluationModelVersion.id, after, descending=True),
        )
        .order_by(*keyset_order(EvaluationModelVersion.number, EvaluationModelVersion.id, descending=True))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def add(session: AsyncSession, *rows: EvaluationModel | EvaluationModelVersion) -> None:
    session.add_all(rows)
    await session.flush()
