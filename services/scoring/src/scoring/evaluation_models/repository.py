"""Every query of the evaluation-models domain."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.scoring import VersionStatus
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

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


def _last_published_first(
    version: type[EvaluationModelVersion],
) -> tuple[sa.UnaryExpression[Any], ...]:
    # Publishing makes a version current, an older draft too: by the moment of publishing, not the number.
    return version.published_at.desc(), version.number.desc()


async def version_numbers(session: AsyncSession, model_ids: list[UUID]) -> dict[UUID, tuple[int | None, int]]:
    """Per model: (its current version's number, see `current_published`, or None; its highest number)."""
    if not model_ids:
        return {}
    published = aliased(EvaluationModelVersion)
    current = (
        sa.select(published.number)
        .where(
            published.model_id == EvaluationModelVersion.model_id,
            published.status == VersionStatus.PUBLISHED.value,
        )
        .order_by(*_last_published_first(published))
        .limit(1)
        .scalar_subquery()
    )
    rows = await session.execute(
        sa.select(EvaluationModelVersion.model_id, current, sa.func.max(EvaluationModelVersion.number))
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
    """The version published last: the one used when no version is named."""
    found: EvaluationModelVersion | None = await session.scalar(
        sa.select(EvaluationModelVersion)
        .where(
            EvaluationModelVersion.model_id == model_id,
            EvaluationModelVersion.status == VersionStatus.PUBLISHED.value,
        )
        .order_by(*_last_published_first(EvaluationModelVersion))
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
