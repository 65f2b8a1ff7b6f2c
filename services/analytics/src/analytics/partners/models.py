"""The local replica of the registry's partner dimensions and deal-registration outcomes, kept from its
events (see events.py and migration analytics0003). Analytics never writes these from its own API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from prm_contracts.deal_registrations import DealRegistrationStatus
from prm_contracts.partners import PartnerStatus, PartnerType
from prm_kit.db import one_of
from sqlalchemy.orm import Mapped, mapped_column

from analytics.db import Base


class PartnerDimension(Base):
    """A partner's current dimensions. Each group of fields remembers the `occurred_at` of the event it came
    from, so an older event delivered late never overwrites newer state. A partner first heard of through a
    tier change has no name, type or country until its full record arrives."""

    __tablename__ = "partner_dimension"
    __table_args__ = (
        sa.CheckConstraint(one_of("partner_type", PartnerType), name="partner_type"),
        sa.CheckConstraint(one_of("status", PartnerStatus), name="status"),
        sa.Index("ix_partner_dimension_tier", "tier"),
    )

    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(sa.String(200))
    partner_type: Mapped[str | None] = mapped_column(sa.String(30))
    country: Mapped[str | None] = mapped_column(sa.String(2))
    region: Mapped[str | None] = mapped_column(sa.String(100))
    # the region's key market sizes are stored under (market_sizes.schemas.region_key)
    market_region: Mapped[str | None] = mapped_column(sa.String(100))
    website_domain: Mapped[str | None] = mapped_column(sa.String(253))
    record_as_of: Mapped[datetime | None]
    status: Mapped[str | None] = mapped_column(sa.String(20))
    status_as_of: Mapped[datetime | None]
    tier: Mapped[str | None] = mapped_column(sa.String(40))
    tier_as_of: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class PartnerStatusPeriod(Base):
    """A status a partner held from `valid_from` (until its next entry's `valid_from`)."""

    __tablename__ = "partner_status_history"
    __table_args__ = (
        sa.UniqueConstraint("partner_id", "valid_from", "status"),
        sa.CheckConstraint(one_of("status", PartnerStatus), name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(sa.String(20))
    valid_from: Mapped[datetime]


class PartnerTierPeriod(Base):
    """A tier a partner held from `valid_from` (the change's effective date); one row per registry tier
    change, so a redelivered or late event adds nothing twice."""

    __tablename__ = "partner_tier_history"
    __table_args__ = (sa.Index("ix_partner_tier_history_partner_id", "partner_id", "valid_from"),)

    tier_change_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID]
    from_tier: Mapped[str | None] = mapped_column(sa.String(40))
    tier: Mapped[str] = mapped_column(sa.String(40))
    valid_from: Mapped[date]
    changed_at: Mapped[datetime]


class DealRegistrationOutcome(Base):
    """A deal registration's latest known status and the dates of its decision and outcome (win rate)."""

    __tablename__ = "deal_registration_outcome"
    __table_args__ = (
        sa.CheckConstraint(one_of("status", DealRegistrationStatus), name="status"),
        sa.Index("ix_deal_registration_outcome_partner_id", "partner_id", "status"),
    )

    deal_registration_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(sa.String(20))
    registered_at: Mapped[datetime]
    approved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    expired_at: Mapped[datetime | None]
    estimated_amount: Mapped[Decimal]
    estimated_currency: Mapped[str] = mapped_column(sa.String(3))
    final_amount: Mapped[Decimal | None]
    final_currency: Mapped[str | None] = mapped_column(sa.String(3))
    as_of: Mapped[datetime]
