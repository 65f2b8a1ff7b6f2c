"""Incentives' own copy of what it computes from: analytics' sales lines and the registry's partner history,
kept from their events (`sales.recorded`, `sales.payment_updated`, `sales.flag_reviewed`, `partner.*`,
`deal_registration.*`). Incentives never reads another service's tables; a calculation run reads only these.

Amounts are stored positive, in the line's own currency; `kind` gives the sign (a return or credit note
subtracts), as in analytics. Histories are date-effective: an entry holds from `valid_from` until the next
entry of the same partner, so eligibility is judged as of each sale's date.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from prm_contracts.deal_registrations import DealRegistrationStatus
from prm_contracts.partners import PartnerStatus
from prm_contracts.sales import PaymentStatus, SalesKind
from prm_kit.db import one_of
from sqlalchemy.orm import Mapped, mapped_column

from incentives.db import Base
from incentives.replica.regions import REGION_KEY_LENGTH, region_key

FLAG_STATUSES = ("none", "open", "confirmed", "dismissed")
HELD_BY_FLAG = "flag_status IN ('open', 'confirmed')"
NAMES_ORIGINAL = "original_external_id IS NOT NULL"


class SalesLine(Base):
    """A sales line as analytics recorded it (its id is analytics' line id)."""

    __tablename__ = "sales_line"
    __table_args__ = (
        sa.UniqueConstraint("partner_id", "external_id"),
        sa.CheckConstraint(one_of("kind", SalesKind), name="kind"),
        sa.CheckConstraint(one_of("payment_status", PaymentStatus), name="payment_status"),
        sa.CheckConstraint(one_of("flag_status", FLAG_STATUSES), name="flag_status"),
        sa.Index("ix_sales_line_partner_occurred_on", "partner_id", "occurred_on"),
        sa.Index("ix_sales_line_occurred_on", "occurred_on"),
        # the lines a flag holds: runs read them one by one, never from the month sums
        sa.Index(
            "ix_sales_line_held_occurred_on",
            "occurred_on",
            postgresql_where=sa.text(HELD_BY_FLAG),
            sqlite_where=sa.text(HELD_BY_FLAG),
        ),
        # returns naming their sale: each run looks for the ones of its window to claw back
        sa.Index(
            "ix_sales_line_naming_original_occurred_on",
            "occurred_on",
            postgresql_where=sa.text(NAMES_ORIGINAL),
            sqlite_where=sa.text(NAMES_ORIGINAL),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID]
    external_id: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))
    occurred_on: Mapped[date]
    payment_status: Mapped[str] = mapped_column(sa.String(20))
    paid_on: Mapped[date | None]
    product_sku: Mapped[str] = mapped_column(sa.String(100))
    product_category: Mapped[str] = mapped_column(sa.String(100))
    quantity: Mapped[Decimal]
    amount: Mapped[Decimal] = mapped_column(doc="Positive; `kind` gives the sign.")
    currency: Mapped[str] = mapped_column(sa.String(3))
    deal_registration_id: Mapped[uuid.UUID | None]
    original_external_id: Mapped[str | None] = mapped_column(sa.String(200))
    flag_status: Mapped[str] = mapped_column(
        sa.String(20),
        doc="`none`, or the anomaly guard's verdict: `open` and `confirmed` hold the line, `dismissed` frees it.",
    )
    recorded_at: Mapped[datetime] = mapped_column(doc="When analytics recorded it (the event's occurred_at).")


def _key_of_region(context: Any) -> str | None:
    return region_key(context.get_current_parameters().get("region"))


class PartnerProfile(Base):
    """A partner's current dimensions; `as_of` is the event time they came from (older events never win)."""

    __tablename__ = "partner_profile"

    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_type: Mapped[str | None] = mapped_column(sa.String(30))
    country: Mapped[str | None] = mapped_column(sa.String(2))
    region: Mapped[str | None] = mapped_column(sa.String(100))
    region_key: Mapped[str | None] = mapped_column(
        sa.String(REGION_KEY_LENGTH),
        default=_key_of_region,
        doc="The region as eligibility compares it (`replica.regions`); set from `region` when not given.",
    )
    as_of: Mapped[datetime]


class PartnerTierPeriod(Base):
    """The tier a partner held from `valid_from` (the change's effective date)."""

    __tablename__ = "partner_tier_history"

    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    valid_from: Mapped[date] = mapped_column(primary_key=True)
    tier: Mapped[str] = mapped_column(sa.String(40))
    changed_at: Mapped[datetime] = mapped_column(
        doc="When the registry recorded the change (ties: the latest)."
    )


class PartnerStatusPeriod(Base):
    """The status a partner held from `valid_from`."""

    __tablename__ = "partner_status_history"
    __table_args__ = (sa.CheckConstraint(one_of("status", PartnerStatus), name="status"),)

    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    valid_from: Mapped[datetime] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(20))


class DealRegistrationState(Base):
    """A deal registration's latest state; `approved_on` stays set once it was approved."""

    __tablename__ = "deal_registration_state"
    __table_args__ = (sa.CheckConstraint(one_of("status", DealRegistrationStatus), name="status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(sa.String(20))
    approved_on: Mapped[date | None]
    protected_until: Mapped[datetime | None]
    as_of: Mapped[datetime]
