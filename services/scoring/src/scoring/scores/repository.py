"""Every query of the stored scores and of the refresh queue."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from prm_kit.db.core import insert_on_conflict, is_postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.assessments.models import Assessment
from scoring.scores.models import PartnerScore, ScoreRefresh

# Ids per IN query: far under SQLite's bound-parameter limit, small enough for PostgreSQL's planner.
CHUNK = 1000
ERROR_LENGTH = 500


def _chunks(ids: Sequence[UUID]) -> Iterable[Sequence[UUID]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


# --- the read path --------------------------------------------------------------------------------------
# On PostgreSQL both reads go straight to the asyncpg connection under the request's session: one round trip
# each, where the asyncpg dialect would wrap a statement in BEGIN and COMMIT (two more) and spend more Python
# on compiling it and processing its result than the lookup takes. They only read: there is nothing to commit.
# Inside a transaction the session already opened (a test's), they run in it.

# The version, and the answer unless the caller holds that version: a 304 leaves the answer unread (at its
# size PostgreSQL keeps it compressed, out of line: reading it takes more than the row).
_ANSWER = (
    "SELECT version, CASE WHEN version = ANY($2::integer[]) THEN NULL ELSE answer END"
    " FROM partner_score WHERE partner_id = $1"
)
# The whole batch answer, made beside the summaries (service.batch_body makes the same bytes elsewhere): an
# item per id in the order sent, each a primary-key probe whatever the table's statistics (no plan can turn
# it into a scan of every row), the stored summary spliced in as text; $3, when set, is the only partner the
# caller may see. One bytes value comes back: no Python object per item.
_BATCH = """
SELECT convert_to('{"items":[' || array_to_string(ARRAY(
    SELECT '{"partner_id":"' || ids.id || '",' || coalesce(
        (SELECT '"found":true,"score":' || score.summary || ',"detail":null}'
         FROM partner_score AS score
         WHERE score.partner_id = ids.id AND ($3::uuid IS NULL OR score.partner_id = $3)),
        '"found":false,"score":null,"detail":' || $2 || '}')
    FROM unnest($1::uuid[]) WITH ORDINALITY AS ids(id, n)
    ORDER BY ids.n), ',') || ']}', 'UTF8')
"""


async def _read(session: AsyncSession, fetch: str, statement: str, *arguments: Any) -> Any:
    """`fetch` (an asyncpg method name) of `statement` on the session's asyncpg connection."""
    connection = await session.connection()
    driver: Any = (await connection.get_raw_connection()).driver_connection
    try:
        return await getattr(driver, fetch)(statement, *arguments)
    except Exception as exc:
        if not driver.is_closed():
            raise
        # The server dropped the connection. A statement of SQLAlchemy's own fails on it too, and SQLAlchemy
        # handles that as always: it invalidates this connection and the pool's older ones, and raises the
        # error the kit answers with a 503 (so does ConnectionError, should the statement pass after all).
        await connection.exec_driver_sql("SELECT 1")
        raise ConnectionError("the connection to the database was lost") from exc


async def answer(
    session: AsyncSession, partner_id: UUID, *, held: Sequence[int]
) -> tuple[int, str | None] | None:
    """The stored answer's version, and the answer itself unless its version is among `held` (None then):
    one primary-key lookup."""
    if is_postgresql(session):
        found = await _read(session, "fetchrow", _ANSWER, partner_id, list(held))
    else:
        unless_held = sa.case((PartnerScore.version.in_(held), sa.null()), else_=PartnerScore.answer)
        found = (
            await session.execute(
                sa.select(PartnerScore.version, unless_held).where(PartnerScore.partner_id == partner_id)
            )
        ).first()
    return None if found is None else (found[0], found[1])


async def batch_answer(
    session: AsyncSession, partner_ids: Sequence[UUID], *, only: UUID | None, missing_detail: str
) -> bytes:
    """PostgreSQL only: the batch answer's bytes, made by one statement (see `_BATCH`)."""
    body: bytes = await _read(session, "fetchval", _BATCH, partner_ids, missing_detail, only)
    return body


async def summaries(session: AsyncSession, partner_ids: Sequence[UUID]) -> dict[UUID, str]:
    """The stored summaries of these partners (those that have one), one IN query per chunk of ids."""
    found: dict[UUID, str] = {}
    for chunk in _chunks(partner_ids):
        rows = await session.execute(
            sa.select(PartnerScore.partner_id, PartnerScore.summary).where(PartnerScore.partner_id.in_(chunk))
        )
        found.update({row[0]: row[1] for row in rows})
    return found


async def score_row(session: AsyncSession, partner_id: UUID) -> PartnerScore | None:
    found: PartnerScore | None = await session.get(PartnerScore, partner_id, with_for_update=True)
    return found


async def add_score(session: AsyncSession, row: PartnerScore) -> None:
    session.add(row)
    await session.flush()


async def latest_assessment(session: AsyncSession, partner_id: UUID) -> Assessment | None:
    found: Assessment | None = await session.scalar(
        sa.select(Assessment)
        .where(Assessment.partner_id == partner_id)
        .order_by(Assessment.created_at.desc(), Assessment.id.desc())
        .limit(1)
    )
    return found


# --- the refresh queue -------------------------------------------------------------------------------------


async def mark_stale(
    session: AsyncSession, partner_ids: Sequence[UUID], *, reason: str, now: datetime
) -> None:
    """Queue these partners for a refresh (again, if queued: a refresh running now will not drop them)."""
    for chunk in _chunks(list(dict.fromkeys(partner_ids))):
        statement = insert_on_conflict(session, ScoreRefresh).values(
            [
                {
                    "partner_id": partner_id,
                    "reason": reason[:60],
                    "queued_at": now,
                    "next_attempt_at": now,
                    "attempts": 0,
                    "last_error": None,
                }
                for partner_id in chunk
            ]
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[ScoreRefresh.partner_id],
                set_={
                    "reason": statement.excluded.reason,
                    "queued_at": now,
                    "next_attempt_at": now,
                    "attempts": 0,
                },
            )
        )


async def mark_all_stale(session: AsyncSession, *, reason: str, now: datetime) -> int:
    """Queue every partner that has a stored score; how many there are."""
    known = sa.select(
        PartnerScore.partner_id,
        sa.literal(reason[:60]).label("reason"),
        sa.literal(now, ScoreRefresh.queued_at.type).label("queued_at"),
        sa.literal(now, ScoreRefresh.next_attempt_at.type).label("next_attempt_at"),
        sa.literal(0).label("attempts"),
    ).where(PartnerScore.partner_id.is_not(None))  # SQLite needs a WHERE to parse an upsert from a SELECT
    statement = insert_on_conflict(session, ScoreRefresh).from_select(
        ["partner_id", "reason", "queued_at", "next_attempt_at", "attempts"], known
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ScoreRefresh.partner_id],
            set_={
                "reason": statement.excluded.reason,
                "queued_at": now,
                "next_attempt_at": now,
                "attempts": 0,
            },
        )
    )
    return int(await session.scalar(sa.select(sa.func.count()).select_from(PartnerScore)) or 0)


async def mark_aged_stale(session: AsyncSession, *, older_than: datetime, now: datetime, limit: int) -> None:
    """Queue up to `limit` partners whose facts were read before `older_than` (and are not queued yet)."""
    aged = (
        sa.select(
            PartnerScore.partner_id,
            sa.literal("age").label("reason"),
            sa.literal(now, ScoreRefresh.queued_at.type).label("queued_at"),
            sa.literal(now, ScoreRefresh.next_attempt_at.type).label("next_attempt_at"),
            sa.literal(0).label("attempts"),
        )
        .where(PartnerScore.facts_as_of < older_than)
        .order_by(PartnerScore.facts_as_of)
        .limit(limit)
    )
    statement = insert_on_conflict(session, ScoreRefresh).from_select(
        ["partner_id", "reason", "queued_at", "next_attempt_at", "attempts"], aged
    )
    await session.execute(statement.on_conflict_do_nothing(index_elements=[ScoreRefresh.partner_id]))


async def claim_due(session: AsyncSession, *, now: datetime, lease_until: datetime, limit: int) -> list[Any]:
    """Lease up to `limit` due rows (partner_id, queued_at), oldest due first; other workers skip them."""
    rows = (
        await session.execute(
            sa.select(ScoreRefresh.partner_id, ScoreRefresh.queued_at)
            .where(ScoreRefresh.next_attempt_at <= now)
            .order_by(ScoreRefresh.next_attempt_at, ScoreRefresh.partner_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if rows:
        await session.execute(
            sa.update(ScoreRefresh)
            .where(ScoreRefresh.partner_id.in_([row.partner_id for row in rows]))
            .values(next_attempt_at=lease_until)
        )
    return list(rows)


async def refreshed(session: AsyncSession, partner_id: UUID, *, queued_at: datetime) -> None:
    """Drop the queue row, unless it was queued again while the refresh ran (then it runs again)."""
    await session.execute(
        sa.delete(ScoreRefresh).where(
            ScoreRefresh.partner_id == partner_id, ScoreRefresh.queued_at == queued_at
        )
    )


async def refresh_failed(session: AsyncSession, partner_id: UUID, *, error: str, retry_at: datetime) -> None:
    await session.execute(
        sa.update(ScoreRefresh)
        .where(ScoreRefresh.partner_id == partner_id)
        .values(attempts=ScoreRefresh.attempts + 1, next_attempt_at=retry_at, last_error=error[:ERROR_LENGTH])
    )


async def attempts_of(session: AsyncSession, partner_id: UUID) -> int:
    return int(
        await session.scalar(sa.select(ScoreRefresh.attempts).where(ScoreRefresh.partner_id == partner_id))
        or 0
    )
