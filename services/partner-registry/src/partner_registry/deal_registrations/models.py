"""Deal registrations, their conflicts, name tokens and history, as stored (see migration registry0003)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from prm_contracts.deal_registrations import ConflictKind, DealRegistrationStatus
from prm_contracts.partners import CustomerSegment
from prm_kit.db import ExactDecimal, JSONDocument, UTCDateTime, one_of
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partner_registry.db import Base


class DealHistoryKind(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXTENDED = "extended"
    EXPIRED = "expired"
    WON = "won"
    LOST = "lost"


class DealRegistration(Base):
    __tablename__ = "deal_registration"
    __table_args__ = (
        sa.CheckConstraint(one_of("status", DealRegistrationStatus), name="status"),
        sa.CheckConstraint(
            "customer_segment IS NULL OR " + one_of("customer_segment", CustomerSegment),
            name="customer_segment",
        ),
        sa.CheckConstraint("estimated_value_amount > 0", name="estimated_value_positive"),
        sa.CheckConstraint("(final_amount IS NULL) = (final_currency IS NULL)", name="final_amount"),
        # lists, newest first, of everyone and of one partner
        sa.Index("ix_deal_registration_created_at", "created_at", "id"),
        sa.Index("ix_deal_registration_partner_id", "partner_id", "created_at", "id"),
        # and of one status (the review queue), newest first (registry0009)
        sa.Index("ix_deal_registration_status_created_at", "status", "created_at", "id"),
        # the conflict check's first question: open registrations for this domain
        sa.Index("ix_deal_registration_customer_domain", "customer_domain", "status"),
        # the expiry sweep and the "expiring within" filter
        sa.Index("ix_deal_registration_status", "status", "protected_until"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("partner.id", ondelete="CASCADE"))
    customer_name: Mapped[str] = mapped_column(sa.String(200))
    customer_name_key: Mapped[str] = mapped_column(sa.String(200))
    customer_domain: Mapped[str | None] = mapped_column(sa.String(253))  # optional since registry0007
    country: Mapped[str] = mapped_column(sa.String(2))
    region: Mapped[str | None] = mapped_column(sa.String(100))
    customer_segment: Mapped[str | None] = mapped_column(sa.String(32))
    products: Mapped[list[str]] = mapped_column(JSONDocument)
    estimated_value_amount: Mapped[Decimal] = mapped_column(ExactDecimal(19, 4))
    estimated_value_currency: Mapped[str] = mapped_column(sa.String(3))
    expected_close_on: Mapped[date]
    notes: Mapped[str | None] = mapped_column(sa.Text())
    status: Mapped[str] = mapped_column(sa.String(32))
    has_conflicts: Mapped[bool]
    submitted_by: Mapped[str] = mapped_column(sa.String(200))
    decided_by: Mapped[str | None] = mapped_column(sa.String(200))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(sa.Text())
    protected_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extension_used: Mapped[bool]
    final_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(19, 4))
    final_currency: Mapped[str | None] = mapped_column(sa.String(3))
    lost_reason: Mapped[str | None] = mapped_column(sa.Text())
    closed_at: Mapped[datetime | None]
    expired_at: Mapped[datetime | None]
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    conflicts: Mapped[list[DealRegistrationConflict]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="DealRegistrationConflict.position"
    )


class DealRegistrationConflict(Base):
    """One conflict found when the registration was submitted. The other side is referenced by id without a
    foreign key: the finding outlives a house account or territory removed later."""

    __tablename__ = "deal_registration_conflict"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", ConflictKind), name="kind"),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name="score"),
        sa.Index("ix_deal_registration_conflict_deal_registration_id", "deal_registration_id", "position"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    deal_registration_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("deal_registration.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(32))
    reason: Mapped[str] = mapped_column(sa.Text())
    score: Mapped[int]
    other_deal_registration_id: Mapped[uuid.UUID | None]
    other_partner_id: Mapped[uuid.UUID | None]
    house_account_id: Mapped[uuid.UUID | None]
    territory_id: Mapped[uuid.UUID | None]
    # matching.Explanation of a customer conflict (registry0007 on; null before and for other kinds)
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)


class DealRegistrationNameToken(Base):
    """The customer tokens (matching.customer_tokens of name and domain) of an open registration, so
    look-alike customers are found by index. Removed when the registration closes (rejected, won, lost, expired): only open claims conflict."""

    __tablename__ = "deal_registration_name_token"

    token: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    deal_registration_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("deal_registration.id", ondelete="CASCADE"), primary_key=True
    )
    # copied from the registration so that the candidate query needs no join to skip the partner's own
    partner_id: Mapped[uuid.UUID]


class DealRegistrationHistoryEntry(Base):
    """One step of a registration: who, when, from which status to which, and why."""

    __tablename__ = "deal_registration_history_entry"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", DealHistoryKind), name="kind"),
        sa.Index(
            "ix_deal_registration_history_entry_deal_registration_id",
            "deal_registration_id",
            "occurred_at",
            "id",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    deal_registration_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("deal_registration.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(sa.String(32))
    occurred_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(sa.String(200))
    from_status: Mapped[str | None] = mapped_column(sa.String(32))
    to_status: Mapped[str] = mapped_column(sa.String(32))
    reason: Mapped[str | None] = mapped_column(sa.Text())
    protected_until: Mapped[datetime | None]
