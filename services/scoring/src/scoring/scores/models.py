"""The stored score of each partner and the queue of partners whose score is stale (migration scoring0010).

`partner_score` holds the answer of `GET /v1/scores/partners/{id}` ready to send (`answer`, JSON text) beside
the parts it is made of, so a new assessment recomposes it without asking anyone, and the partner dimensions
lists filter by. `score_refresh` is written in the same transaction as the event (or assessment, or run)
that made a score stale; the refresh worker empties it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from prm_kit.db import JSONDocument
from sqlalchemy.orm import Mapped, mapped_column

from scoring.db import Base


class PartnerScore(Base):
    __tablename__ = "partner_score"
    __table_args__ = (
        sa.CheckConstraint("health_rank BETWEEN 0 AND 3", name="health_rank"),
        # partners at risk: worst first
        sa.Index("ix_partner_score_health_rank", "health_rank", "partner_id"),
        sa.Index("ix_partner_score_facts_as_of", "facts_as_of"),
    )

    # the registry's partner: another service's id, so no foreign key
    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_type: Mapped[str | None] = mapped_column(sa.String(40))
    status: Mapped[str | None] = mapped_column(sa.String(40))
    tier: Mapped[str | None] = mapped_column(sa.String(40))
    country: Mapped[str | None] = mapped_column(sa.String(2))
    region: Mapped[str | None] = mapped_column(sa.String(100))
    # 0 healthy (or not known yet), 1 info, 2 warning, 3 critical
    health_rank: Mapped[int] = mapped_column(sa.SmallInteger())
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    health: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    tier_standing: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    # "<tier>:<requirement>" -> the first day (ISO) it was seen failing, for the current tier only
    failing_since: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    facts_as_of: Mapped[datetime | None]
    # the answer as sent, so a read is one primary-key lookup and no serialisation
    answer: Mapped[str] = mapped_column(sa.Text())
    # the batch item's score (`ScoreSummary`, JSON text), spliced into batch answers unparsed (scoring0012)
    summary: Mapped[str] = mapped_column(sa.Text())
    version: Mapped[int]
    computed_at: Mapped[datetime]


class ScoreRefresh(Base):
    """A partner whose stored score is stale: queued by an event, an assessment, a run or its age."""

    __tablename__ = "score_refresh"
    __table_args__ = (sa.Index("ix_score_refresh_next_attempt_at", "next_attempt_at"),)

    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(sa.String(60))
    queued_at: Mapped[datetime]
    # a worker leases a row by moving this ahead; a failure backs off the same way
    next_attempt_at: Mapped[datetime]
    attempts: Mapped[int]
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
