"""The returns and credit notes naming an original line, found by index (the anomaly guard's
`original_mismatch` adds them up).

Revision ID: analytics0013
Revises: analytics0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "analytics0013"
down_revision: str | None = "analytics0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Partial: only returns and credit notes name an original, so sales add nothing to maintain. On
    # PostgreSQL the index on the partitioned table is made on every partition, present and future.
    op.create_index(
        "ix_sales_line_original",
        "sales_line",
        ["partner_id", "original_external_id"],
        postgresql_where=sa.text("original_external_id IS NOT NULL"),
        sqlite_where=sa.text("original_external_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_sales_line_original", table_name="sales_line")
