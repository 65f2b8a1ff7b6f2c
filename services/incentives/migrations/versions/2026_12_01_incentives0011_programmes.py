"""Programmes and their versions (terms: effective dates, basis, hold days, eligibility and rules as JSON);
the idempotency records of the service's creating POSTs.

Revision ID: incentives0011
Revises: incentives0010
Create Date: 2026-12-01

Value lists of the CHECK constraints are written out here, not imported (see registry0002).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from prm_kit.db import JSONDocument, UTCDateTime
from prm_kit.idempotency import create_idempotency_table_v1, drop_idempotency_table_v1

revision: str = "incentives0011"
down_revision: str | None = "incentives0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERIOD_TYPES = ("year", "quarter", "month")
VERSION_STATUSES = ("draft", "published")
BASES = ("invoiced", "paid")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "programme",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("period_type", sa.String(10), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(_one_of("period_type", PERIOD_TYPES), name=op.f("ck_programme_period_type")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme")),
        sa.UniqueConstraint("name", name=op.f("uq_programme_name")),
    )
    op.create_table(
        "programme_version",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("basis", sa.String(16), nullable=False),
        sa.Column("hold_days", sa.Integer(), nullable=False),
        sa.Column("eligibility", JSONDocument, nullable=False),
        sa.Column("rules", JSONDocument, nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("published_by", sa.String(200), nullable=True),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(_one_of("status", VERSION_STATUSES), name=op.f("ck_programme_version_status")),
        sa.CheckConstraint(_one_of("basis", BASES), name=op.f("ck_programme_version_basis")),
        sa.CheckConstraint("number >= 1", name=op.f("ck_programme_version_number")),
        sa.CheckConstraint("hold_days >= 0", name=op.f("ck_programme_version_hold_days")),
        sa.CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from",
            name=op.f("ck_programme_version_effective_range"),
        ),
        sa.CheckConstraint(
            "(status = 'published') = (published_at IS NOT NULL AND published_by IS NOT NULL)",
            name=op.f("ck_programme_version_published"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_programme_version_programme_id_programme"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_version")),
        sa.UniqueConstraint("programme_id", "number", name=op.f("uq_programme_version_programme_id_number")),
    )
    create_idempotency_table_v1(op)


def downgrade() -> None:
    drop_idempotency_table_v1(op)
    op.drop_table("programme_version")
    op.drop_table("programme")
