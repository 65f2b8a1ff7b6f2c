"""The transactional outbox every service writes events to (its relay: prm_kit.relay), the dead letters of
events a subscriber refused for good, and the consumer-side inbox table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID, uuid4

import sqlalchemy as sa
from prm_contracts.events import EventEnvelope
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from prm_kit.clock import utc_now
from prm_kit.db.types import JSONDocument, UTCDateTime

metadata = sa.MetaData()

outbox_event = sa.Table(
    "outbox_event",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("type", sa.String(100), nullable=False),
    sa.Column("occurred_at", UTCDateTime(), nullable=False),
    # `json`, not `jsonb`, on PostgreSQL: the payload is written once, read whole once by the relay and never
    # queried inside, so converting it to jsonb (and compressing it) was work for nothing (outbox_payload_v2)
    sa.Column("payload", sa.JSON(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
    sa.Column("delivered_at", UTCDateTime(), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
)

# One row per (event, subscriber) that refused the event on its own with a permanent error: it counts the
# refusals until the relay parks the event for that subscriber (`parked_at`), so later events flow again.
# A parked event is listed to admins and may be replayed (`replayed_at` once the subscriber took it).
outbox_dead_letter = sa.Table(
    "outbox_dead_letter",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("event_id", sa.Uuid(), sa.ForeignKey("outbox_event.id"), nullable=False),
    sa.Column("subscriber", sa.String(500), nullable=False),
    sa.Column("status_code", sa.Integer(), nullable=False),
    sa.Column("detail", sa.Text(), nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("last_refused_at", UTCDateTime(), nullable=False),
    sa.Column("parked_at", UTCDateTime(), nullable=True),
    sa.Column("replayed_at", UTCDateTime(), nullable=True),
    sa.UniqueConstraint("event_id", "subscriber", name="uq_outbox_dead_letter_event_id"),
)

inbox_event = sa.Table(
    "inbox_event",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("type", sa.String(100), nullable=False),
    sa.Column("received_at", UTCDateTime(), nullable=False),
)


def create_outbox_tables_v1(op: Any) -> None:
    """Used by each service's first migration. Frozen: later changes to these tables get new migrations."""
    op.create_table(
        "outbox_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("payload", JSONDocument, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_event"),
    )
    # The relay only ever looks for undelivered events; a partial index keeps that scan small forever.
    op.create_index(
        "ix_outbox_event_pending",
        "outbox_event",
        ["next_attempt_at"],
        postgresql_where=sa.text("delivered_at IS NULL"),
        sqlite_where=sa.text("delivered_at IS NULL"),
    )
    op.create_table(
        "inbox_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbox_event"),
    )


def drop_outbox_tables_v1(op: Any) -> None:
    op.drop_table("inbox_event")
    op.drop_index("ix_outbox_event_pending", table_name="outbox_event")
    op.drop_table("outbox_event")


def outbox_payload_v2(op: Any) -> None:
    """Used by each service's migration after its dead letters: on PostgreSQL the payload becomes `json` kept
    uncompressed out of line (`STORAGE EXTERNAL`). Writing a 127 kB `sales.recorded` payload took 2.7 ms as
    jsonb, 0.9 ms so (measured); the relay deletes delivered events after a week, so size stays bounded.
    SQLite stores JSON as text either way."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE outbox_event ALTER COLUMN payload TYPE json USING payload::json")
    op.execute("ALTER TABLE outbox_event ALTER COLUMN payload SET STORAGE EXTERNAL")


def outbox_payload_v1(op: Any) -> None:
    """The downgrade of `outbox_payload_v2`."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE outbox_event ALTER COLUMN payload SET STORAGE EXTENDED")
    op.execute("ALTER TABLE outbox_event ALTER COLUMN payload TYPE jsonb USING payload::jsonb")


def create_dead_letter_table_v1(op: Any) -> None:
    """Used by each service's migration that adds dead letters. Frozen like `create_outbox_tables_v1`."""
    op.create_table(
        "outbox_dead_letter",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("subscriber", sa.String(500), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_refused_at", UTCDateTime(), nullable=False),
        sa.Column("parked_at", UTCDateTime(), nullable=True),
        sa.Column("replayed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_dead_letter"),
        sa.ForeignKeyConstraint(
            ["event_id"], ["outbox_event.id"], name="fk_outbox_dead_letter_event_id_outbox_event"
        ),
        sa.UniqueConstraint("event_id", "subscriber", name="uq_outbox_dead_letter_event_id"),
    )
    # Admins list parked letters newest first, and the gauge counts the ones still parked.
    op.create_index(
        "ix_outbox_dead_letter_parked",
        "outbox_dead_letter",
        ["parked_at", "id"],
        postgresql_where=sa.text("parked_at IS NOT NULL"),
        sqlite_where=sa.text("parked_at IS NOT NULL"),
    )


def drop_dead_letter_table_v1(op: Any) -> None:
    op.drop_index("ix_outbox_dead_letter_parked", table_name="outbox_dead_letter")
    op.drop_table("outbox_dead_letter")


# `data` is kept as given (a model, or a dict of plain values such as UUIDs and Decimals) and serialised once,
# with the envelope: validating it as a dict first copied and walked a large payload twice.
_Envelope = EventEnvelope[Any]


def _envelope(type: str, source: str, data: BaseModel | dict[str, Any]) -> EventEnvelope[Any]:
    return _Envelope(id=uuid4(), type=type, occurred_at=utc_now(), source=source, data=data)


def _row(type: str, envelope: EventEnvelope[Any]) -> dict[str, Any]:
    return {
        "id": envelope.id,
        "type": type,
        "occurred_at": envelope.occurred_at,
        "payload": envelope.model_dump(mode="json"),
        "attempts": 0,
        "next_attempt_at": envelope.occurred_at,
    }


async def add_event(
    session: AsyncSession, *, type: str, source: str, data: BaseModel | dict[str, Any]
) -> UUID:
    """Record an event in the same transaction as the change it describes; the relay sends it later."""
    envelope = _envelope(type, source, data)
    await session.execute(sa.insert(outbox_event).values(_row(type, envelope)))
    return envelope.id


async def add_events(
    session: AsyncSession, *, type: str, source: str, data: Iterable[BaseModel | dict[str, Any]]
) -> None:
    """Record several events of one type in one statement, in the transaction of the change they describe."""
    rows = [_row(type, _envelope(type, source, each)) for each in data]
    if rows:
        await session.execute(sa.insert(outbox_event), rows)


def outbox_row(*, type: str, source: str, data: BaseModel | dict[str, Any]) -> dict[str, Any]:
    """An event's `outbox_event` row with `payload` as JSON text, for a writer that inserts it within a
    statement of its own (a bulk insert casting the text to the column's type); `add_event` inserts one."""
    envelope = _envelope(type, source, data)
    return {
        "id": envelope.id,
        "type": type,
        "occurred_at": envelope.occurred_at,
        "payload": envelope.model_dump_json(),
        "attempts": 0,
        "next_attempt_at": envelope.occurred_at,
    }
