"""Channel-conflict cases, their parties, root causes and steps, as stored (see migration registry0005).

Deal registrations and territories are referenced by id only (JSON lists, no foreign keys): a case keeps
its record even when what it was about is withdrawn or redrawn.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from prm_contracts.conflicts import ConflictOutcome, ConflictStage, ConflictType, RootCause
from prm_kit.db import JSONDocument, one_of
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partner_registry.db import Base


class StepKind(StrEnum):
    OPENED = "opened"
    STAGE_CHANGED = "stage_changed"
    NOTE = "note"


class ConflictCase(Base):
    __tablename__ = "conflict_case"
    __table_args__ = (
        sa.CheckConstraint(one_of("conflict_type", ConflictType), name="conflict_type"),
        sa.CheckConstraint(one_of("stage", ConflictStage), name="stage"),
        sa.CheckConstraint(f"outcome IS NULL OR {one_of('outcome', ConflictOutcome)}", name="outcome"),
        sa.CheckConstraint("(stage = 'closed') = (closed_at IS NOT NULL)", name="closed"),
        sa.Index("ix_conflict_case_reported_at", "reported_at", "id"),
        sa.Index("ix_conflict_case_closed_at", "closed_at"),
        sa.Index("ix_conflict_case_stage", "stage"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    conflict_type: Mapped[str] = mapped_column(sa.String(20))
    stage: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str] = mapped_column(sa.Text())
    # the vendor's own direct sales is a party (the partners are rows of conflict_case_party); answered
    # after the partners
    vendor_direct: Mapped[bool]
    deal_registration_ids: Mapped[list[str]] = mapped_column(JSONDocument)
    territory_ids: Mapped[list[str]] = mapped_column(JSONDocument)
    reported_by: Mapped[str] = mapped_column(sa.String(200))
    reported_at: Mapped[datetime]
    stage_changed_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    ruling: Mapped[str | None] = mapped_column(sa.Text())
    outcome: Mapped[str | None] = mapped_column(sa.String(20))
    # a partner id or 'vendor_direct'
    awarded_to: Mapped[str | None] = mapped_column(sa.String(36))
    decided_by: Mapped[str | None] = mapped_column(sa.String(200))
    decided_at: Mapped[datetime | None]
    version: Mapped[int]
    updated_at: Mapped[datetime]

    parties: Mapped[list[ConflictCaseParty]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ConflictCaseParty.position"
    )
    root_causes: Mapped[list[ConflictCaseRootCause]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ConflictCaseRootCause.position"
    )


class ConflictCaseParty(Base):
    """A partner that is a party to a case: what a partner's own credential is allowed to see."""

    __tablename__ = "conflict_case_party"
    __table_args__ = (sa.Index("ix_conflict_case_party_partner_id", "partner_id", "case_id"),)

    case_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("conflict_case.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("partner.id"), primary_key=True)
    # the order the partners were named in
    position: Mapped[int]


class ConflictCaseRootCause(Base):
    __tablename__ = "conflict_case_root_cause"
    __table_args__ = (
        sa.CheckConstraint(one_of("cause", RootCause), name="cause"),
        sa.CheckConstraint("cause <> 'other' OR detail IS NOT NULL", name="other_detail"),
        sa.Index("ix_conflict_case_root_cause_cause", "cause"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("conflict_case.id", ondelete="CASCADE"), primary_key=True
    )
    cause: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    detail: Mapped[str | None] = mapped_column(sa.Text())
    position: Mapped[int]


class ConflictCaseStep(Base):
    """One step of a case: its opening, a move to another stage or a note; who, when and the notes."""

    __tablename__ = "conflict_case_step"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", StepKind), name="kind"),
        sa.Index("ix_conflict_case_step_case_id", "case_id", "occurred_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("conflict_case.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    from_stage: Mapped[str | None] = mapped_column(sa.String(20))
    to_stage: Mapped[str | None] = mapped_column(sa.String(20))
    notes: Mapped[str | None] = mapped_column(sa.Text())
    actor: Mapped[str] = mapped_column(sa.String(200))
    occurred_at: Mapped[datetime]
    # the case's version after the step
    case_version: Mapped[int]
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
