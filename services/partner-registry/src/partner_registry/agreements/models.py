"""A partner's agreements, as stored (see migration registry0004)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from prm_contracts.agreements import AgreementStatus, AgreementType
from prm_kit.db import one_of
from sqlalchemy.orm import Mapped, mapped_column

from partner_registry.db import Base


class Agreement(Base):
    __tablename__ = "agreement"
    __table_args__ = (
        sa.CheckConstraint(one_of("agreement_type", AgreementType), name="agreement_type"),
        sa.CheckConstraint(one_of("status", AgreementStatus), name="status"),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_on"),
        sa.CheckConstraint("status = 'draft' OR signed_on IS NOT NULL", name="signed_on"),
        sa.Index("ix_agreement_partner_id", "partner_id", "starts_on", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("partner.id", ondelete="CASCADE"))
    agreement_type: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(32))
    signed_on: Mapped[date | None]
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


def current_on(on: date | sa.ColumnElement[date]) -> sa.ColumnElement[bool]:
    """The condition of an agreement that is current on the day `on`: active and running that day."""
    return sa.and_(
        Agreement.status == AgreementStatus.ACTIVE.value,
        Agreement.starts_on <= on,
        sa.or_(Agreement.ends_on.is_(None), Agreement.ends_on >= on),
    )
