"""Programmes, versions, eligibility and rules (placeholder: filled by the work that owns it).

Revision ID: incentives0011
Revises: incentives0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

revision: str = "incentives0011"
down_revision: str | None = "incentives0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
