"""Sales lines from partners' signed webhooks: the fact table, its de-duplication keys, the daily and customer
rollups, and webhook receipts (issue 10).

Revision ID: analytics0002
Revises: analytics0001
Create Date: 2026-12-01

On PostgreSQL `sales_line` is RANGE-partitioned by month on `occurred_on`. Its partitions live in their own
schema, `sales_line_partitions` (the service's models describe the parent table only, and schema comparison
looks at the default schema): one per month from January of the year before the migration runs to 24 months
after its month, named `sales_line_YYYY_MM`, plus `sales_line_default` for any other date, so that no insert
ever fails for want of a partition. (A wider window costs every new database: each partition is a table with
three indexes.) A later partition for months that already have rows in the default one needs those rows
moved first (PostgreSQL refuses to attach it otherwise). SQLite gets a plain table.

Value lists of the CHECK constraints are written out here, not imported (see registry0002).
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op
from prm_kit.db import ExactDecimal, UTCDateTime

revision: str = "analytics0002"
down_revision: str | None = "analytics0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("sale", "return", "credit_note")
PAYMENT_STATUSES = ("invoiced", "paid")
PARTITION_SCHEMA = "sales_line_partitions"
MONTHS_AHEAD = 24


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _month_partitions(today: date) -> list[tuple[str, date, date]]:
    """(name, first day, first day of the next month) of each monthly partition."""
    last = date(today.year, today.month, 1)
    for _ in range(MONTHS_AHEAD):
        last = _next_month(last)
    months = []
    start = date(today.year - 1, 1, 1)
    while start <= last:
        end = _next_month(start)
        months.append((f"sales_line_{start:%Y_%m}", start, end))
        start = end
    return months


def _create_partitions() -> None:
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {PARTITION_SCHEMA}")
    for name, start, end in _month_partitions(date.today()):
        op.execute(
            f"CREATE TABLE {PARTITION_SCHEMA}.{name} PARTITION OF sales_line "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
    op.execute(f"CREATE TABLE {PARTITION_SCHEMA}.sales_line_default PARTITION OF sales_line DEFAULT")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "sales_line",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("invoice_id", sa.String(200), nullable=True),
        sa.Column("payment_status", sa.String(20), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("customer_key", sa.String(600), nullable=False),
        sa.Column("customer_name", sa.String(300), nullable=False),
        sa.Column("customer_domain", sa.String(253), nullable=True),
        sa.Column("customer_country", sa.String(2), nullable=True),
        sa.Column("customer_external_id", sa.String(200), nullable=True),
        sa.Column("customer_is_new", sa.Boolean(), nullable=True),
        sa.Column("product_sku", sa.String(100), nullable=False),
        sa.Column("product_category", sa.String(100), nullable=False),
        sa.Column("quantity", ExactDecimal(19, 4), nullable=False),
        sa.Column("unit_price", ExactDecimal(19, 4), nullable=False),
        sa.Column("amount", ExactDecimal(19, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("cost", ExactDecimal(19, 4), nullable=True),
        sa.Column("deal_registration_id", sa.Uuid(), nullable=True),
        sa.Column("original_external_id", sa.String(200), nullable=True),
        sa.Column("webhook_id", sa.String(255), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        # the partition key must be part of a partitioned table's primary key
        sa.PrimaryKeyConstraint("id", "occurred_on", name="pk_sales_line"),
        sa.CheckConstraint(_one_of("kind", KINDS), name="ck_sales_line_kind"),
        sa.CheckConstraint(_one_of("payment_status", PAYMENT_STATUSES), name="ck_sales_line_payment_status"),
        sa.CheckConstraint(
            "quantity > 0 AND unit_price >= 0 AND amount >= 0", name="ck_sales_line_amounts_positive"
        ),
        postgresql_partition_by="RANGE (occurred_on)",
    )
    op.create_index("ix_sales_line_partner_id", "sales_line", ["partner_id", "occurred_on", "id"])
    op.create_index("ix_sales_line_occurred_on", "sales_line", ["occurred_on", "id"])
    if postgresql:
        _create_partitions()

    op.create_table(
        "sales_line_key",
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("line_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "external_id", name="pk_sales_line_key"),
    )

    op.create_table(
        "sales_daily_rollup",
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("product_category", sa.String(100), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("gross_amount", ExactDecimal(19, 4), nullable=False),
        sa.Column("returns_amount", ExactDecimal(19, 4), nullable=False),
        sa.Column("costed_amount", ExactDecimal(19, 4), nullable=False),
        sa.Column("cost_amount", ExactDecimal(19, 4), nullable=False),
        sa.Column("sold_quantity", ExactDecimal(19, 4), nullable=False),
        sa.Column("returned_quantity", ExactDecimal(19, 4), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("sale_line_count", sa.Integer(), nullable=False),
        sa.Column("return_line_count", sa.Integer(), nullable=False),
        sa.Column("costed_line_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "partner_id", "day", "product_category", "currency", name="pk_sales_daily_rollup"
        ),
    )

    op.create_table(
        "sales_customer_rollup",
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("customer_key", sa.String(600), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("customer_name", sa.String(300), nullable=False),
        sa.Column("first_on", sa.Date(), nullable=False),
        sa.Column("last_on", sa.Date(), nullable=False),
        sa.Column("net_amount", ExactDecimal(19, 4), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("is_new", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("partner_id", "customer_key", "currency", name="pk_sales_customer_rollup"),
    )
    op.create_index("ix_sales_customer_rollup_first_on", "sales_customer_rollup", ["partner_id", "first_on"])

    op.create_table(
        "sales_webhook_receipt",
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("webhook_id", sa.String(255), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("message_type", sa.String(50), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "webhook_id", name="pk_sales_webhook_receipt"),
    )


def downgrade() -> None:
    op.drop_table("sales_webhook_receipt")
    op.drop_index("ix_sales_customer_rollup_first_on", table_name="sales_customer_rollup")
    op.drop_table("sales_customer_rollup")
    op.drop_table("sales_daily_rollup")
    op.drop_table("sales_line_key")
    op.drop_index("ix_sales_line_occurred_on", table_name="sales_line")
    op.drop_index("ix_sales_line_partner_id", table_name="sales_line")
    op.drop_table("sales_line")  # and its partitions
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SCHEMA IF EXISTS {PARTITION_SCHEMA} CASCADE")
