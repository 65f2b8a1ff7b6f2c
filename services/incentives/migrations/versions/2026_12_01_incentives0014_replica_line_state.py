"""Per-flag review state of replica lines and payment changes that came before their line (see
incentives/replica/line_state_models.py).

Revision ID: incentives0014
Revises: incentives0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from prm_kit.db import UTCDateTime

revision: str = "incentives0014"
down_revision: str | None = "incentives0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLAG_REVIEW_STATUSES = ("open", "confirmed", "dismissed")
PAYMENT_STATUSES = ("invoiced", "paid")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "sales_line_flag",
        sa.Column("line_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("flag_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.CheckConstraint(_one_of("status", FLAG_REVIEW_STATUSES), name=op.f("ck_sales_line_flag_status")),
        sa.PrimaryKeyConstraint("line_id", "code", name=op.f("pk_sales_line_flag")),
    )
    op.create_table(
        "pending_payment_change",
        sa.Column("line_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("payment_status", sa.String(20), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            _one_of("payment_status", PAYMENT_STATUSES), name=op.f("ck_pending_payment_change_payment_status")
        ),
        sa.PrimaryKeyConstraint("line_id", name=op.f("pk_pending_payment_change")),
    )


def downgrade() -> None:
    op.drop_table("pending_payment_change")
    op.drop_table("sales_line_flag")
