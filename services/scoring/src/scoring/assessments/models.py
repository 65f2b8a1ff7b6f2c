"""Assessments of partners and each criterion's part of their score, as stored (see migration scoring0002).

An assessment keeps the model version that scored it and the gate facts it was scored with, so it can be
explained, and re-scored under another version, without asking anyone again.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from prm_contracts.scoring import CriterionStatus
from prm_kit.db import ExactDecimal, JSONDocument, one_of
from sqlalchemy.orm import Mapped, mapped_column

from scoring.db import Base


class Assessment(Base):
    __tablename__ = "assessment"
    __table_args__ = (
        sa.CheckConstraint("complete = (total IS NOT NULL)", name="complete"),
        sa.CheckConstraint("(total IS NULL) = (grade IS NULL)", name="grade"),
        sa.Index("ix_assessment_partner_id", "partner_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # the registry's partner: another service's id, so no foreign key
    partner_id: Mapped[uuid.UUID]
    model_version_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("evaluation_model_version.id", ondelete="RESTRICT"), index=True
    )
    model_name: Mapped[str] = mapped_column(sa.String(80))
    model_version_number: Mapped[int]
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    assessor: Mapped[str] = mapped_column(sa.String(200))
    assessed_on: Mapped[date]
    evidence_notes: Mapped[str | None] = mapped_column(sa.Text())
    complete: Mapped[bool]
    total: Mapped[Decimal | None] = mapped_column(ExactDecimal(5, 2))
    grade: Mapped[str | None] = mapped_column(sa.String(2))
    gates_passed: Mapped[bool]
    gate_results: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime]


class AssessmentCriterion(Base):
    """One criterion's part of an assessment's score, in the version's order (`position`)."""

    __tablename__ = "assessment_criterion"
    __table_args__ = (sa.CheckConstraint(one_of("status", CriterionStatus), name="status"),)

    assessment_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("assessment.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    position: Mapped[int]
    label: Mapped[str] = mapped_column(sa.String(200))
    dimension: Mapped[str] = mapped_column(sa.String(60))
    status: Mapped[str] = mapped_column(sa.String(16))
    # the input as sent, in its JSON form (a decimal as a string)
    raw_input: Mapped[Any | None] = mapped_column(JSONDocument)
    normalised: Mapped[Decimal | None] = mapped_column(ExactDecimal(5, 2))
    weight: Mapped[Decimal | None] = mapped_column(ExactDecimal(7, 6))
    contribution: Mapped[Decimal | None] = mapped_column(ExactDecimal(5, 2))
