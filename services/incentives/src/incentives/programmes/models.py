"""Programmes and their versions, as stored (see migration incentives0011).

A version's eligibility and rules are JSON documents in the contract's own form (rates and amounts as
decimal strings): a version is read and written whole, and a published one never changes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from prm_contracts.incentives import Basis, VersionStatus
from prm_contracts.periods import PeriodKind
from prm_kit.db import JSONDocument, one_of
from sqlalchemy.orm import Mapped, mapped_column

from incentives.db import Base


class Programme(Base):
    __tablename__ = "programme"
    __table_args__ = (
        sa.UniqueConstraint("name"),
        sa.CheckConstraint(one_of("period_type", PeriodKind), name="period_type"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    currency: Mapped[str] = mapped_column(sa.String(3))
    period_type: Mapped[str] = mapped_column(sa.String(10))
    description: Mapped[str | None] = mapped_column(sa.Text())
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ProgrammeVersion(Base):
    __tablename__ = "programme_version"
    __table_args__ = (
        sa.UniqueConstraint("programme_id", "number"),
        sa.CheckConstraint(one_of("status", VersionStatus), name="status"),
        sa.CheckConstraint(one_of("basis", Basis), name="basis"),
        sa.CheckConstraint("number >= 1", name="number"),
        sa.CheckConstraint("hold_days >= 0", name="hold_days"),
        sa.CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="effective_range"),
        sa.CheckConstraint(
            "(status = 'published') = (published_at IS NOT NULL AND published_by IS NOT NULL)",
            name="published",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("programme.id", ondelete="RESTRICT"))
    number: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(16))
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    basis: Mapped[str] = mapped_column(sa.String(16))
    hold_days: Mapped[int]
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    notes: Mapped[str | None] = mapped_column(sa.Text())
    created_by: Mapped[str] = mapped_column(sa.String(200))
    published_by: Mapped[str | None] = mapped_column(sa.String(200))
    published_at: Mapped[datetime | None]
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
