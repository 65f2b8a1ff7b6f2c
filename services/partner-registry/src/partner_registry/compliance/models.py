"""Compliance audits and policy violations of partners, as stored (see migration registry0004)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from prm_contracts.compliance import AuditOutcome, ViolationSeverity, ViolationStatus
from prm_kit.db import one_of
from sqlalchemy.orm import Mapped, mapped_column

from partner_registry.db import Base


class ComplianceAudit(Base):
    __tablename__ = "compliance_audit"
    __table_args__ = (
        sa.CheckConstraint(one_of("outcome", AuditOutcome), name="outcome"),
        sa.Index("ix_compliance_audit_partner_id", "partner_id", "audited_on", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("partner.id", ondelete="CASCADE"))
    audited_on: Mapped[date]
    auditor: Mapped[str] = mapped_column(sa.String(200))
    scope: Mapped[str] = mapped_column(sa.Text())
    outcome: Mapped[str] = mapped_column(sa.String(32))
    notes: Mapped[str | None] = mapped_column(sa.Text())
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ComplianceViolation(Base):
    __tablename__ = "compliance_violation"
    __table_args__ = (
        sa.CheckConstraint(one_of("severity", ViolationSeverity), name="severity"),
        sa.CheckConstraint(one_of("status", ViolationStatus), name="status"),
        # closed (resolved, waived) exactly when it has a resolution day, which is not before the opening
        sa.CheckConstraint(
            "(status IN ('resolved', 'waived')) = (resolved_on IS NOT NULL)", name="resolved_on"
        ),
        sa.CheckConstraint("resolved_on IS NULL OR resolved_on >= opened_on", name="resolved_after_opened"),
        sa.Index("ix_compliance_violation_partner_id", "partner_id", "opened_on", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("partner.id", ondelete="CASCADE"))
    policy: Mapped[str] = mapped_column(sa.String(200))
    finding: Mapped[str] = mapped_column(sa.Text())
    severity: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16))
    opened_on: Mapped[date]
    resolved_on: Mapped[date | None]
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
