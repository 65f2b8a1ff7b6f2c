"""Every query of the surveys domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.surveys.models import SurveyResponse

Key = tuple[UUID, str, str]


async def stored_responses(session: AsyncSession, keys: Sequence[Key]) -> dict[Key, SurveyResponse]:
    """The stored responses with these (partner, survey, respondent) keys, by key."""
    found: dict[Key, SurveyResponse] = {}
    for start in range(0, len(keys), 200):
        chunk = keys[start : start + 200]
        rows = await session.scalars(
            sa.select(SurveyResponse).where(
                sa.tuple_(
                    SurveyResponse.partner_id, SurveyResponse.survey_id, SurveyResponse.respondent_id
                ).in_(chunk)
            )
        )
        found |= {(row.partner_id, row.survey_id, row.respondent_id): row for row in rows}
    return found


async def insert_responses(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(sa.insert(SurveyResponse), list(rows))


async def response_by_id(session: AsyncSession, response_id: UUID) -> SurveyResponse | None:
    response: SurveyResponse | None = await session.get(SurveyResponse, response_id)
    return response


async def response_page(
    session: AsyncSession,
    *,
    partner_id: UUID | None,
    survey_id: str | None,
    first: date | None,
    last: date | None,
    after: KeysetPosition[date] | None,
    limit: int,
) -> list[SurveyResponse]:
    statement = sa.select(SurveyResponse).where(
        keyset_after(SurveyResponse.responded_on, SurveyResponse.id, after, descending=False)
    )
    if partner_id is not None:
        statement = statement.where(SurveyResponse.partner_id == partner_id)
    if survey_id is not None:
        statement = statement.where(SurveyResponse.survey_id == survey_id)
    if first is not None:
        statement = statement.where(SurveyResponse.responded_on >= first)
    if last is not None:
        statement = statement.where(SurveyResponse.responded_on <= last)
    statement = statement.order_by(
        *keyset_order(SurveyResponse.responded_on, SurveyResponse.id, descending=False)
    )
    return list((await session.scalars(statement.limit(limit))).all())
