"""Evaluation models with their versions, assessments with each criterion's part; idempotency records; the
default partner-evaluation model, published, so a fresh platform screens applications at once.

Revision ID: scoring0002
Revises: scoring0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from alembic import op
from prm_kit.db import ExactDecimal, JSONDocument, UTCDateTime
from prm_kit.idempotency import create_idempotency_table_v1, drop_idempotency_table_v1

revision: str = "scoring0002"
down_revision: str | None = "scoring0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_MODEL_ID = UUID("9a4e1f7c-2b35-4c1e-8d0a-5c0e00000001")
DEFAULT_VERSION_ID = UUID("9a4e1f7c-2b35-4c1e-8d0a-5c0e00000101")
SEEDED_AT = datetime(2026, 12, 2, tzinfo=UTC)
SEEDED_BY = "migration:scoring0002"


def _linear(floor: str, ceiling: str) -> dict[str, Any]:
    return {"kind": "linear", "floor": floor, "ceiling": ceiling, "direction": "increasing"}


def _boolean() -> dict[str, Any]:
    return {"kind": "boolean", "true_points": "100", "false_points": "0"}


# Frozen here (not imported from the app), as a migration must keep producing what it produced once.
DEFAULT_CRITERIA: list[dict[str, Any]] = [
    {
        "key": "segment_count",
        "label": "Customer segments served",
        "dimension": "strategic_fit",
        "weight": "2",
        "normaliser": _linear("0", "4"),
        "when_missing": "zero",
    },
    {
        "key": "years_in_business",
        "label": "Years in business",
        "dimension": "financial_stability",
        "weight": "3",
        "normaliser": _linear("0", "10"),
        "when_missing": "zero",
    },
    {
        "key": "employee_count",
        "label": "Employees",
        "dimension": "sales_capability",
        "weight": "2",
        "normaliser": {
            "kind": "banded",
            "bands": [
                {"min": "0", "max": "5", "points": "20"},
                {"min": "5", "max": "20", "points": "50"},
                {"min": "20", "max": "100", "points": "80"},
                {"min": "100", "max": None, "points": "100"},
            ],
        },
        "when_missing": "zero",
    },
    {
        "key": "has_marketing_team",
        "label": "Own marketing team",
        "dimension": "marketing_capability",
        "weight": "1",
        "normaliser": _boolean(),
        "when_missing": "zero",
    },
    {
        "key": "certified_engineers",
        "label": "Certified engineers",
        "dimension": "technical_capability",
        "weight": "2",
        "normaliser": _linear("0", "5"),
        "when_missing": "zero",
    },
    {
        "key": "has_support_desk",
        "label": "Own support desk",
        "dimension": "customer_service",
        "weight": "1",
        "normaliser": _boolean(),
        "when_missing": "zero",
    },
]
DEFAULT_GATES: list[dict[str, Any]] = [
    {"type": "years_in_business", "key": "min_years_in_business", "min_years": 1},
    {"type": "employees", "key": "min_employees", "min_employees": 2},
    {"type": "no_open_compliance_violation", "key": "no_open_compliance_violation"},
]
DEFAULT_GRADE_BANDS: list[dict[str, Any]] = [
    {"grade": grade, "min_score": minimum}
    for grade, minimum in (("A", "85"), ("B", "70"), ("C", "55"), ("D", "40"), ("E", "0"))
]


def upgrade() -> None:
    create_idempotency_table_v1(op)
    model = op.create_table(
        "evaluation_model",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evaluation_model"),
        sa.UniqueConstraint("name", name="uq_evaluation_model_name"),
    )
    version = op.create_table(
        "evaluation_model_version",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("model_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("criteria", JSONDocument, nullable=False),
        sa.Column("gates", JSONDocument, nullable=False),
        sa.Column("grade_bands", JSONDocument, nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("copied_from", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("published_by", sa.String(200), nullable=True),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'published')", name="ck_evaluation_model_version_status"),
        sa.CheckConstraint("number >= 1", name="ck_evaluation_model_version_number"),
        sa.CheckConstraint(
            "(status = 'published') = (published_at IS NOT NULL AND published_by IS NOT NULL)",
            name="ck_evaluation_model_version_published",
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["evaluation_model.id"],
            name="fk_evaluation_model_version_model_id_evaluation_model",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_evaluation_model_version"),
        sa.UniqueConstraint("model_id", "number", name="uq_evaluation_model_version_model_id_number"),
    )
    op.create_table(
        "assessment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("model_version_id", sa.Uuid(), nullable=False),
        sa.Column("model_name", sa.String(80), nullable=False),
        sa.Column("model_version_number", sa.Integer(), nullable=False),
        sa.Column("inputs", JSONDocument, nullable=False),
        sa.Column("facts", JSONDocument, nullable=False),
        sa.Column("assessor", sa.String(200), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("evidence_notes", sa.Text(), nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("total", ExactDecimal(5, 2), nullable=True),
        sa.Column("grade", sa.String(2), nullable=True),
        sa.Column("gates_passed", sa.Boolean(), nullable=False),
        sa.Column("gate_results", JSONDocument, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("complete = (total IS NOT NULL)", name="ck_assessment_complete"),
        sa.CheckConstraint("(total IS NULL) = (grade IS NULL)", name="ck_assessment_grade"),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["evaluation_model_version.id"],
            name="fk_assessment_model_version_id_evaluation_model_version",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_assessment"),
    )
    op.create_index("ix_assessment_partner_id", "assessment", ["partner_id", "created_at", "id"])
    op.create_index("ix_assessment_model_version_id", "assessment", ["model_version_id"])
    op.create_table(
        "assessment_criterion",
        sa.Column("assessment_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(60), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("dimension", sa.String(60), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("raw_input", JSONDocument, nullable=True),
        sa.Column("normalised", ExactDecimal(5, 2), nullable=True),
        sa.Column("weight", ExactDecimal(7, 6), nullable=True),
        sa.Column("contribution", ExactDecimal(5, 2), nullable=True),
        sa.CheckConstraint(
            "status IN ('scored', 'missing_zero', 'excluded', 'missing')",
            name="ck_assessment_criterion_status",
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name="fk_assessment_criterion_assessment_id_assessment",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assessment_id", "key", name="pk_assessment_criterion"),
    )

    op.bulk_insert(
        model,
        [
            {
                "id": DEFAULT_MODEL_ID,
                "name": "partner-evaluation",
                "description": "The default evaluation of partners and applicants over the six dimensions: "
                "strategic fit, financial stability, sales, marketing and technical capability, customer "
                "service.",
                "created_by": SEEDED_BY,
                "created_at": SEEDED_AT,
                "updated_at": SEEDED_AT,
            }
        ],
    )
    op.bulk_insert(
        version,
        [
            {
                "id": DEFAULT_VERSION_ID,
                "model_id": DEFAULT_MODEL_ID,
                "number": 1,
                "status": "published",
                "criteria": DEFAULT_CRITERIA,
                "gates": DEFAULT_GATES,
                "grade_bands": DEFAULT_GRADE_BANDS,
                "notes": "Seeded by the scoring service's migration scoring0002.",
                "copied_from": None,
                "created_by": SEEDED_BY,
                "published_by": SEEDED_BY,
                "published_at": SEEDED_AT,
                "version": 1,
                "created_at": SEEDED_AT,
                "updated_at": SEEDED_AT,
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("assessment_criterion")
    op.drop_index("ix_assessment_model_version_id", table_name="assessment")
    op.drop_index("ix_assessment_partner_id", table_name="assessment")
    op.drop_table("assessment")
    op.drop_table("evaluation_model_version")
    op.drop_table("evaluation_model")
    drop_idempotency_table_v1(op)
