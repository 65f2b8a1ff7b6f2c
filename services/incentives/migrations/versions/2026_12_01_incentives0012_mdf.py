"""Market development funds: budgets, allocations per partner, accruals from calculation runs, requests and
claims.

Revision ID: incentives0012
Revises: incentives0011
Create Date: 2026-12-01

Value lists of the CHECK constraints are written out here, not imported (see registry0002).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from prm_kit.db import ExactDecimal, JSONDocument, UTCDateTime

revision: str = "incentives0012"
down_revision: str | None = "incentives0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REQUEST_STATUSES = ("pending", "approved", "rejected")
CLAIM_STATUSES = ("pending", "approved", "rejected", "paid")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _money() -> ExactDecimal:
    return ExactDecimal(19, 4)


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "mdf_budget",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("end_day", sa.Date(), nullable=False),
        sa.Column("amount", _money(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        *_stamps(),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_mdf_budget_amount")),
        sa.CheckConstraint("end_day > first_day", name=op.f("ck_mdf_budget_period_range")),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_mdf_budget_programme_id_programme"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mdf_budget")),
    )
    op.create_index("ix_mdf_budget_created_at", "mdf_budget", ["created_at", "id"])
    op.create_table(
        "mdf_allocation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("budget_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", _money(), nullable=False),
        sa.Column("accrued", _money(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        *_stamps(),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_mdf_allocation_amount")),
        sa.CheckConstraint("accrued >= 0", name=op.f("ck_mdf_allocation_accrued")),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["mdf_budget.id"],
            name=op.f("fk_mdf_allocation_budget_id_mdf_budget"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mdf_allocation")),
        sa.UniqueConstraint("budget_id", "partner_id", name=op.f("uq_mdf_allocation_budget_id_partner_id")),
    )
    op.create_index("ix_mdf_allocation_partner_id", "mdf_allocation", ["partner_id", "created_at"])
    op.create_table(
        "mdf_accrual",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("allocation_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("source_run_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("amount", _money(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("accrued_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_mdf_accrual_amount")),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["mdf_allocation.id"],
            name=op.f("fk_mdf_accrual_allocation_id_mdf_allocation"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mdf_accrual")),
        sa.UniqueConstraint(
            "source_run_id", "partner_id", name=op.f("uq_mdf_accrual_source_run_id_partner_id")
        ),
    )
    op.create_index("ix_mdf_accrual_allocation_id", "mdf_accrual", ["allocation_id"])
    op.create_table(
        "mdf_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("allocation_id", sa.Uuid(), nullable=False),
        sa.Column("budget_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("activity", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("planned_amount", _money(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("expected_outcome", sa.Text(), nullable=False),
        sa.Column("expected_roi", JSONDocument, nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("submitted_by", sa.String(200), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        *_stamps(),
        sa.CheckConstraint(_one_of("status", REQUEST_STATUSES), name=op.f("ck_mdf_request_status")),
        sa.CheckConstraint("planned_amount > 0", name=op.f("ck_mdf_request_planned_amount")),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_mdf_request_dates")),
        sa.CheckConstraint(
            "(status = 'pending') = (decided_at IS NULL)", name=op.f("ck_mdf_request_decided")
        ),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["mdf_allocation.id"],
            name=op.f("fk_mdf_request_allocation_id_mdf_allocation"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["mdf_budget.id"],
            name=op.f("fk_mdf_request_budget_id_mdf_budget"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mdf_request")),
    )
    op.create_index("ix_mdf_request_allocation_id", "mdf_request", ["allocation_id", "status"])
    op.create_index("ix_mdf_request_partner_id", "mdf_request", ["partner_id", "created_at"])
    op.create_table(
        "mdf_claim",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("allocation_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("amount", _money(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("proof_reference", sa.String(500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("roi", JSONDocument, nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("submitted_by", sa.String(200), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("paid_by", sa.String(200), nullable=True),
        sa.Column("paid_at", UTCDateTime(), nullable=True),
        sa.Column("payment_reference", sa.String(500), nullable=True),
        *_stamps(),
        sa.CheckConstraint(_one_of("status", CLAIM_STATUSES), name=op.f("ck_mdf_claim_status")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_mdf_claim_amount")),
        sa.CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name=op.f("ck_mdf_claim_decided")),
        sa.CheckConstraint("(status = 'paid') = (paid_at IS NOT NULL)", name=op.f("ck_mdf_claim_paid")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["mdf_request.id"],
            name=op.f("fk_mdf_claim_request_id_mdf_request"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["mdf_allocation.id"],
            name=op.f("fk_mdf_claim_allocation_id_mdf_allocation"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mdf_claim")),
    )
    op.create_index("ix_mdf_claim_request_id", "mdf_claim", ["request_id", "status"])
    op.create_index("ix_mdf_claim_partner_id", "mdf_claim", ["partner_id", "created_at"])


def downgrade() -> None:
    for table, indexes in (
        ("mdf_claim", ("ix_mdf_claim_partner_id", "ix_mdf_claim_request_id")),
        ("mdf_request", ("ix_mdf_request_partner_id", "ix_mdf_request_allocation_id")),
        ("mdf_accrual", ("ix_mdf_accrual_allocation_id",)),
        ("mdf_allocation", ("ix_mdf_allocation_partner_id",)),
        ("mdf_budget", ("ix_mdf_budget_created_at",)),
    ):
        for index in indexes:
            op.drop_index(index, table_name=table)
        op.drop_table(table)
