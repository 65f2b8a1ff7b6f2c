"""The partner x customer x month rollup retention and active customers are read from (migration
analytics0010), kept in the ingestion transaction like the sales rollups."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from analytics.db import Base


class SalesCustomerMonthRollup(Base):
    """Which customers bought from a partner in which month: `sale_line_count` sales (a customer "bought" in a
    month when it is above 0) among `line_count` lines of any kind. `month` is the month's first day."""

    __tablename__ = "sales_customer_month_rollup"
    __table_args__ = (sa.Index("ix_sales_customer_month_rollup_customer", "partner_id", "customer_key"),)

    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    customer_key: Mapped[str] = mapped_column(sa.String(600), primary_key=True)
    sale_line_count: Mapped[int]
    line_count: Mapped[int]
