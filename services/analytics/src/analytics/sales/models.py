"""Sales facts, their de-duplication keys, the rollups KPI reads come from, and webhook receipts (see migration
analytics0002).

On PostgreSQL `sales_line` is RANGE-partitioned by month on `occurred_on` (partitions in the schema
`sales_line_partitions`, plus a DEFAULT one); a partitioned table's unique constraints must include the
partition key, so "one line per (partner, external_id)" is kept by the small `sales_line_key` table instead.
Amounts and quantities are stored positive; `kind` gives the sign (see prm_contracts.sales).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from prm_contracts.sales import PaymentStatus, SalesKind
from prm_kit.db import one_of
from sqlalchemy.orm import Mapped, mapped_column

from analytics.db import Base

PARTITION_SCHEMA = "sales_line_partitions"


class SalesLine(Base):
    """One sale, return or credit note as the partner sent it. Never updated, except its payment status."""

    __tablename__ = "sales_line"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", SalesKind), name="kind"),
        sa.CheckConstraint(one_of("payment_status", PaymentStatus), name="payment_status"),
        sa.CheckConstraint("quantity > 0 AND unit_price >= 0 AND amount >= 0", name="amounts_positive"),
        sa.Index("ix_sales_line_partner_id", "partner_id", "occurred_on", "id"),
        sa.Index("ix_sales_line_occurred_on", "occurred_on", "id"),
        sa.Index(
            "ix_sales_line_original",
            "partner_id",
            "original_external_id",
            postgresql_where=sa.text("original_external_id IS NOT NULL"),
            sqlite_where=sa.text("original_external_id IS NOT NULL"),
        ),
        {"postgresql_partition_by": "RANGE (occurred_on)"},
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    occurred_on: Mapped[date] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID]
    external_id: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))
    invoice_id: Mapped[str | None] = mapped_column(sa.String(200))
    payment_status: Mapped[str] = mapped_column(sa.String(20))
    paid_on: Mapped[date | None]
    customer_key: Mapped[str] = mapped_column(sa.String(600))
    customer_name: Mapped[str] = mapped_column(sa.String(300))
    customer_domain: Mapped[str | None] = mapped_column(sa.String(253))
    customer_country: Mapped[str | None] = mapped_column(sa.String(2))
    customer_external_id: Mapped[str | None] = mapped_column(sa.String(200))
    customer_is_new: Mapped[bool | None]
    product_sku: Mapped[str] = mapped_column(sa.String(100))
    product_category: Mapped[str] = mapped_column(sa.String(100))
    quantity: Mapped[Decimal]
    unit_price: Mapped[Decimal]
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3))
    cost: Mapped[Decimal | None]
    deal_registration_id: Mapped[uuid.UUID | None]
    original_external_id: Mapped[str | None] = mapped_column(sa.String(200))
    webhook_id: Mapped[str] = mapped_column(sa.String(255))
    received_at: Mapped[datetime]


class SalesLineKey(Base):
    """The one line stored per (partner, external_id), with the hash of its content: a line sent again is a
    duplicate when the hash is the same and refused when it differs."""

    __tablename__ = "sales_line_key"

    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    line_id: Mapped[uuid.UUID]
    occurred_on: Mapped[date]


class SalesDailyRollup(Base):
    """Partner * day * product category * currency. Amounts are positive sums per kind; net revenue is
    `gross_amount - returns_amount`. Margins use only lines with a cost: gross profit is `costed_amount -
    cost_amount`, both signed by kind (returns subtract), over `costed_line_count` of `line_count` lines."""

    __tablename__ = "sales_daily_rollup"

    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    product_category: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    currency: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    gross_amount: Mapped[Decimal] = mapped_column(doc="Sum of the amounts of sales.")
    returns_amount: Mapped[Decimal] = mapped_column(doc="Sum of the amounts of returns and credit notes.")
    costed_amount: Mapped[Decimal] = mapped_column(
        doc="Net amount (sales minus returns) of lines with a cost."
    )
    cost_amount: Mapped[Decimal] = mapped_column(doc="Net cost (sales minus returns) of lines with a cost.")
    sold_quantity: Mapped[Decimal]
    returned_quantity: Mapped[Decimal]
    line_count: Mapped[int]
    sale_line_count: Mapped[int]
    return_line_count: Mapped[int] = mapped_column(doc="Returns and credit notes.")
    costed_line_count: Mapped[int]


class SalesMonthlyRollup(Base):
    """Partner * month * currency: the daily rollup summed over the month's days and product categories
    (`month` is the month's first day), kept in the same ingestion transaction. Reads over whole months (every
    period label) sum at least 28 times fewer rows than from the daily rollup; the columns mean the same."""

    __tablename__ = "sales_monthly_rollup"
    __table_args__ = (
        # the ecosystem views group every partner of a span of months: month first, the sums included
        sa.Index("ix_sales_monthly_rollup_month", "month", "partner_id", "currency"),
    )

    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    gross_amount: Mapped[Decimal]
    returns_amount: Mapped[Decimal]
    costed_amount: Mapped[Decimal]
    cost_amount: Mapped[Decimal]
    line_count: Mapped[int]
    sale_line_count: Mapped[int]
    return_line_count: Mapped[int]
    costed_line_count: Mapped[int]


class SalesCustomerRollup(Base):
    """Partner * customer * currency: when the customer bought first and last, and the net amount. The
    customer key is `ext:` + the customer's external_id when sent, else `name:` + the normalised name and
    domain. `is_new` is what the partner said (true once any line said so; null when never said)."""

    __tablename__ = "sales_customer_rollup"
    __table_args__ = (sa.Index("ix_sales_customer_rollup_first_on", "partner_id", "first_on"),)

    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_key: Mapped[str] = mapped_column(sa.String(600), primary_key=True)
    currency: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    customer_name: Mapped[str] = mapped_column(sa.String(300))
    first_on: Mapped[date]
    last_on: Mapped[date]
    net_amount: Mapped[Decimal]
    line_count: Mapped[int]
    is_new: Mapped[bool | None]


class SalesWebhookReceipt(Base):
    """One processed delivery per (partner, webhook-id): the same id again gets `response_body` again."""

    __tablename__ = "sales_webhook_receipt"

    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    webhook_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    body_sha256: Mapped[str] = mapped_column(sa.String(64))
    message_type: Mapped[str] = mapped_column(sa.String(50))
    status_code: Mapped[int]
    response_body: Mapped[str] = mapped_column(sa.Text())
    received_at: Mapped[datetime]
