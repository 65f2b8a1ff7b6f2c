"""Evaluation models and their versions, as stored (see migration scoring0002).

A version's criteria, gates and grade bands are one JSON document each, in the contract's own JSON form
(decimals as strings, money as amount strings): a version is read and written whole, and a published one
never changes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from prm_contracts.scoring import VersionStatus
from prm_kit.db import JSONDocument, one_of
from sqlalchemy.orm import Mapped, mapped_column

from scoring.db import Base


class EvaluationModel(Base):
    __tablename__ = "evaluation_model"
    __table_args__ = (sa.UniqueConstraint("name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str | None] = mapped_column(sa.Text())
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class EvaluationModelVersion(Base):
    __tablename__ = "evaluation_model_version"
    __table_args__ = (
        sa.UniqueConstraint("model_id", "number"),
        sa.CheckConstraint(one_of("status", VersionStatus), name="status"),
        sa.CheckConstraint("number >= 1", name="number"),
        sa.CheckConstraint(
            "(status = 'published') = (published_at IS NOT NULL AND published_by IS NOT NULL)",
            name="published",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    model_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("evaluation_model.id", ondelete="RESTRICT"))
    number: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(16))
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    gates: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    grade_bands: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    notes: Mapped[str | None] = mapped_column(sa.Text())
    copied_from: Mapped[int | None]
    created_by: Mapped[str] = mapped_column(sa.String(200))
    published_by: Mapped[str | None] = mapped_column(sa.String(200))
    published_at: Mapped[datetime | None]
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
