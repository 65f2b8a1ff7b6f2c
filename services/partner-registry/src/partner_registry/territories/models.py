"""Territories of partners and the conflicts between them, as stored (see migration registry0003)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from prm_contracts.partners import CustomerSegment
from sqlalchemy.orm import Mapped, mapped_column

from partner_registry.db import Base

_SEGMENTS = ", ".join(repr(segment.value) for segment in CustomerSegment)


class Territory(Base):
    __tablename__ = "territory"
    __table_args__ = (
        sa.CheckConstraint(f"segment IS NULL OR segment IN ({_SEGMENTS})", name="segment"),
        # one partner holds a scope once; scope_key spells out NULLs as '*' so that they compare equal
        sa.UniqueConstraint("partner_id", "scope_key"),
        sa.Index("ix_territory_partner_id", "partner_id", "created_at", "id"),
        sa.Index("ix_territory_country", "country", "region_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("partner.id", ondelete="CASCADE"))
    country: Mapped[str] = mapped_column(sa.String(2))
    region: Mapped[str | None] = mapped_column(sa.String(100))
    # case-folded, single-spaced: what overlaps compare
    region_key: Mapped[str | None] = mapped_column(sa.String(100))
    segment: Mapped[str | None] = mapped_column(sa.String(32))
    exclusive: Mapped[bool]
    scope_key: Mapped[str] = mapped_column(sa.String(150))
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TerritoryConflict(Base):
    """Two partners' territories that overlap where one of them is exclusive; stored once per pair, under the
    territory whose assignment or change revealed it, and recomputed whenever either changes."""

    __tablename__ = "territory_conflict"
    __table_args__ = (
        sa.UniqueConstraint("territory_id", "other_territory_id"),
        sa.Index("ix_territory_conflict_other_territory_id", "other_territory_id"),
        sa.Index("ix_territory_conflict_detected_at", "detected_at", "id"),
        sa.Index("ix_territory_conflict_partner_id", "partner_id"),
        sa.Index("ix_territory_conflict_other_partner_id", "other_partner_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    territory_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("territory.id", ondelete="CASCADE"))
    partner_id: Mapped[uuid.UUID]
    other_territory_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("territory.id", ondelete="CASCADE"))
    other_partner_id: Mapped[uuid.UUID]
    # where the two overlap
    country: Mapped[str] = mapped_column(sa.String(2))
    region: Mapped[str | None] = mapped_column(sa.String(100))
    segment: Mapped[str | None] = mapped_column(sa.String(32))
    territory_exclusive: Mapped[bool]
    other_exclusive: Mapped[bool]
    detected_at: Mapped[datetime]
