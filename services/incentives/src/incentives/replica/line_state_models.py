"""What the replica learns about a sales line apart from the line itself, kept so that no fact is lost
whatever order the events come in.

- `LineFlag`: each anomaly flag of a line with its review outcome. A line's `flag_status` summarises them,
  and a review names one flag: with two flags on a line, dismissing one must leave the line held by the
  other, which the line's single column cannot tell.
- `PendingPaymentChange`: a payment change for a line not replicated yet. Analytics' outbox is ordered, so
  normally `sales.recorded` comes first; but an event a subscriber refused is parked and replayed later, and
  the changes that flowed past it meanwhile must still count. The change is applied when the line arrives.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from prm_contracts.sales import PaymentStatus
from prm_kit.db import one_of
from sqlalchemy.orm import Mapped, mapped_column

from incentives.db import Base

FLAG_REVIEW_STATUSES = ("open", "confirmed", "dismissed")


class LineFlag(Base):
    """One anomaly flag of a line (by analytics' line id and the flag's code: a rule flags a line once)."""

    __tablename__ = "sales_line_flag"
    __table_args__ = (sa.CheckConstraint(one_of("status", FLAG_REVIEW_STATUSES), name="status"),)

    line_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    flag_id: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(sa.String(20))


class PendingPaymentChange(Base):
    """The latest payment change heard of for a line that is not in the replica yet."""

    __tablename__ = "pending_payment_change"
    __table_args__ = (sa.CheckConstraint(one_of("payment_status", PaymentStatus), name="payment_status"),)

    line_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID]
    external_id: Mapped[str] = mapped_column(sa.String(200))
    payment_status: Mapped[str] = mapped_column(sa.String(20))
    paid_on: Mapped[date | None]
    changed_at: Mapped[datetime] = mapped_column(doc="The event's occurred_at: the newest change wins.")
