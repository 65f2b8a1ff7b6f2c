"""Calculation runs, payouts, adjustments, clawbacks, statements (placeholder: filled by the work that owns it).

Revision ID: incentives0013
Revises: incentives0012
Create Date: 2026-12-01
"""

from collections.abc import Sequence

revision: str = "incentives0013"
down_revision: str | None = "incentives0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
