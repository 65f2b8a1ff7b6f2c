"""Tiers (with the default ladder) and tier history, certifications, compliance audits and violations,
agreements.

Revision ID: registry0004
Revises: registry0003
Create Date: 2026-11-27

Also lets the partner history record tier changes: one more kind in its CHECK constraint. Value lists are
written out, not imported (see registry0002); the kinds before are registry0003's, so a migration placed
between the two must add its kinds to both lists here. CHECK constraints of the new tables are given their
short names, as in the ORM models; the naming convention makes them `ck_<table>_<name>`.
"""

import uuid
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op
from prm_kit.db import ExactDecimal, JSONDocument, UTCDateTime

revision: str = "registry0004"
down_revision: str | None = "registry0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIER_CHANGE_SOURCES = ("manual", "scoring_recommendation")
AUDIT_OUTCOMES = ("passed", "passed_with_findings", "failed")
VIOLATION_SEVERITIES = ("low", "medium", "high", "critical")
VIOLATION_STATUSES = ("open", "remediating", "resolved", "waived")
AGREEMENT_TYPES = ("reseller", "distribution", "referral", "msp", "nda", "other")
AGREEMENT_STATUSES = ("draft", "active", "expired", "terminated")
PARTNER_HISTORY_KINDS_BEFORE = (
    "created",
    "updated",
    "status_changed",
    "contact_added",
    "contact_updated",
    "contact_removed",
    "territory_added",
    "territory_updated",
    "territory_removed",
)
PARTNER_HISTORY_KINDS = (*PARTNER_HISTORY_KINDS_BEFORE, "tier_changed")

# The default ladder a fresh registry starts with; the channel team reshapes it through /v1/tiers.
DEFAULT_LADDER = (
    # key, name, rank, minimum trailing-12-month revenue (EUR), certified staff, criteria, benefits,
    # discount %, rebate %
    (
        "registered",
        "Registered",
        1,
        None,
        None,
        [],
        "Partner portal, deal registration, sales training.",
        None,
        None,
    ),
    (
        "silver",
        "Silver",
        2,
        Decimal("250000"),
        2,
        [],
        "Everything in Registered, plus MDF eligibility and a shared channel manager.",
        Decimal("5"),
        Decimal("1"),
    ),
    (
        "gold",
        "Gold",
        3,
        Decimal("1000000"),
        5,
        [
            {
                "name": "Joint business plan",
                "description": "A business plan for the year, signed by both sides.",
            }
        ],
        "Everything in Silver, plus a named channel manager and demo equipment.",
        Decimal("10"),
        Decimal("2"),
    ),
    (
        "platinum",
        "Platinum",
        4,
        Decimal("5000000"),
        10,
        [
            {
                "name": "Joint business plan",
                "description": "A business plan for the year, signed by both sides.",
            },
            {
                "name": "Customer satisfaction",
                "description": "A CSAT of at least 85 % over the last four quarters.",
            },
        ],
        "Everything in Gold, plus executive sponsorship and early access to the roadmap.",
        Decimal("15"),
        Decimal("3"),
    ),
)


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    tier = op.create_table(
        "tier",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("min_revenue_amount", ExactDecimal(19, 4), nullable=True),
        sa.Column("min_revenue_currency", sa.String(3), nullable=True),
        sa.Column("min_certified_staff", sa.Integer(), nullable=True),
        sa.Column("criteria", JSONDocument, nullable=False),
        sa.Column("benefits_description", sa.Text(), nullable=True),
        sa.Column("discount_percent", ExactDecimal(7, 4), nullable=True),
        sa.Column("rebate_percent", ExactDecimal(7, 4), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tier"),
        sa.UniqueConstraint("key", name="uq_tier_key"),
        sa.UniqueConstraint("rank", name="uq_tier_rank"),
        sa.CheckConstraint("rank >= 1", name="rank"),
        sa.CheckConstraint(
            "(min_revenue_amount IS NULL) = (min_revenue_currency IS NULL)", name="min_revenue"
        ),
        sa.CheckConstraint(
            "min_certified_staff IS NULL OR min_certified_staff >= 0", name="min_certified_staff"
        ),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        tier,
        [
            {
                "id": uuid.uuid4(),
                "key": key,
                "name": name,
                "rank": rank,
                "min_revenue_amount": revenue,
                "min_revenue_currency": "EUR" if revenue is not None else None,
                "min_certified_staff": staff,
                "criteria": criteria,
                "benefits_description": benefits,
                "discount_percent": discount,
                "rebate_percent": rebate,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for key, name, rank, revenue, staff, criteria, benefits, discount, rebate in DEFAULT_LADDER
        ],
    )

    op.create_table(
        "partner_tier_change",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("from_tier", sa.String(40), nullable=True),
        sa.Column("to_tier", sa.String(40), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("recommendation_id", sa.Uuid(), nullable=True),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("partner_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_partner_tier_change"),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name="fk_partner_tier_change_partner_id_partner",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(_one_of("source", TIER_CHANGE_SOURCES), name="source"),
        sa.CheckConstraint(
            "(source = 'scoring_recommendation') = (recommendation_id IS NOT NULL)", name="recommendation_id"
        ),
    )
    op.create_index(
        "ix_partner_tier_change_partner_id", "partner_tier_change", ["partner_id", "changed_at", "id"]
    )
    op.create_index(
        "uq_partner_tier_change_recommendation_id",
        "partner_tier_change",
        ["recommendation_id"],
        unique=True,
        postgresql_where=sa.text("recommendation_id IS NOT NULL"),
        sqlite_where=sa.text("recommendation_id IS NOT NULL"),
    )

    op.create_table(
        "certification",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("programme", sa.String(200), nullable=False),
        sa.Column("level", sa.String(100), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_certification"),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name="fk_certification_partner_id_partner", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contact.id"], name="fk_certification_contact_id_contact", ondelete="CASCADE"
        ),
        sa.CheckConstraint("expires_on IS NULL OR expires_on > issued_on", name="expires_on"),
    )
    op.create_index("ix_certification_partner_id", "certification", ["partner_id", "issued_on", "id"])
    op.create_index("ix_certification_expires_on", "certification", ["expires_on", "id"])
    op.create_index("ix_certification_contact_id", "certification", ["contact_id"])

    op.create_table(
        "compliance_audit",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("audited_on", sa.Date(), nullable=False),
        sa.Column("auditor", sa.String(200), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_compliance_audit"),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name="fk_compliance_audit_partner_id_partner", ondelete="CASCADE"
        ),
        sa.CheckConstraint(_one_of("outcome", AUDIT_OUTCOMES), name="outcome"),
    )
    op.create_index("ix_compliance_audit_partner_id", "compliance_audit", ["partner_id", "audited_on", "id"])

    op.create_table(
        "compliance_violation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("policy", sa.String(200), nullable=False),
        sa.Column("finding", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_compliance_violation"),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name="fk_compliance_violation_partner_id_partner",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(_one_of("severity", VIOLATION_SEVERITIES), name="severity"),
        sa.CheckConstraint(_one_of("status", VIOLATION_STATUSES), name="status"),
        sa.CheckConstraint(
            "(status IN ('resolved', 'waived')) = (resolved_on IS NOT NULL)", name="resolved_on"
        ),
        sa.CheckConstraint("resolved_on IS NULL OR resolved_on >= opened_on", name="resolved_after_opened"),
    )
    op.create_index(
        "ix_compliance_violation_partner_id", "compliance_violation", ["partner_id", "opened_on", "id"]
    )

    op.create_table(
        "agreement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("agreement_type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agreement"),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name="fk_agreement_partner_id_partner", ondelete="CASCADE"
        ),
        sa.CheckConstraint(_one_of("agreement_type", AGREEMENT_TYPES), name="agreement_type"),
        sa.CheckConstraint(_one_of("status", AGREEMENT_STATUSES), name="status"),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_on"),
        sa.CheckConstraint("status = 'draft' OR signed_on IS NOT NULL", name="signed_on"),
    )
    op.create_index("ix_agreement_partner_id", "agreement", ["partner_id", "starts_on", "id"])

    # SQLite cannot alter a CHECK constraint in place: batch mode rebuilds the table there. The name is
    # spelled as registry0002 spelled it (the naming convention prefixes it once more in the database).
    with _quiet_reflection(), op.batch_alter_table("partner_history_entry") as batch:
        batch.drop_constraint("ck_partner_history_entry_kind", type_="check")
        batch.create_check_constraint("ck_partner_history_entry_kind", _one_of("kind", PARTNER_HISTORY_KINDS))


@contextmanager
def _quiet_reflection() -> Iterator[None]:
    """Batch mode reflects the partner table too (the foreign key's target); SQLAlchemy warns that it skips
    its expression indexes, which batch mode does not touch."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")
        yield


def downgrade() -> None:
    op.execute("DELETE FROM partner_history_entry WHERE kind = 'tier_changed'")
    with _quiet_reflection(), op.batch_alter_table("partner_history_entry") as batch:
        batch.drop_constraint("ck_partner_history_entry_kind", type_="check")
        batch.create_check_constraint(
            "ck_partner_history_entry_kind", _one_of("kind", PARTNER_HISTORY_KINDS_BEFORE)
        )
    op.drop_index("ix_agreement_partner_id", table_name="agreement")
    op.drop_table("agreement")
    op.drop_index("ix_compliance_violation_partner_id", table_name="compliance_violation")
    op.drop_table("compliance_violation")
    op.drop_index("ix_compliance_audit_partner_id", table_name="compliance_audit")
    op.drop_table("compliance_audit")
    for index in (
        "ix_certification_contact_id",
        "ix_certification_expires_on",
        "ix_certification_partner_id",
    ):
        op.drop_index(index, table_name="certification")
    op.drop_table("certification")
    op.drop_index("uq_partner_tier_change_recommendation_id", table_name="partner_tier_change")
    op.drop_index("ix_partner_tier_change_partner_id", table_name="partner_tier_change")
    op.drop_table("partner_tier_change")
    # Partners keep the tier keys they hold: `partner.tier` is a plain string column of registry0002.
    op.drop_table("tier")
