"""The stored score's summary: what a batch answers per partner, kept beside the full answer.

Revision ID: scoring0012
Revises: scoring0011
Create Date: 2026-12-01
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "scoring0012"
down_revision: str | None = "scoring0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

score = sa.table(
    "partner_score",
    sa.column("partner_id", sa.Uuid()),
    sa.column("answer", sa.Text()),
    sa.column("version", sa.Integer()),
    sa.column("summary", sa.Text()),
)


def summary_of(answer: dict[str, Any], version: int) -> str:
    """Frozen here (not imported from the app): the summary shape as of this revision."""
    evaluation, health, tier = answer.get("evaluation"), answer.get("health"), answer.get("tier")
    summary = {
        "total": evaluation and evaluation["total"],
        "grade": evaluation and evaluation["grade"],
        "model": evaluation and evaluation["model"],
        "model_version": evaluation and evaluation["model_version"],
        "health": health and health["level"],
        "signals": [signal["kind"] for signal in health["signals"]] if health else [],
        "current_tier": tier and tier["current_tier"],
        "recommended_tier": tier and tier["recommended_tier"],
        "tier_action": tier and tier["action"],
        "tier_gap": tier and tier["gap"]["summary"],
        "computed_at": answer["computed_at"],
        "version": version,
    }
    return json.dumps(summary, separators=(",", ":"))


def upgrade() -> None:
    with op.batch_alter_table("partner_score") as batch:
        batch.add_column(sa.Column("summary", sa.Text(), nullable=False, server_default="{}"))
    connection = op.get_bind()
    rows = connection.execute(sa.select(score.c.partner_id, score.c.answer, score.c.version)).all()
    for partner_id, answer, version in rows:
        connection.execute(
            score.update()
            .where(score.c.partner_id == partner_id)
            .values(summary=summary_of(json.loads(answer), version))
        )
    with op.batch_alter_table("partner_score") as batch:
        batch.alter_column("summary", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("partner_score") as batch:
        batch.drop_column("summary")
