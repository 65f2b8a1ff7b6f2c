"""Dead letters of the outbox: events a subscriber refused for good, parked so later events flow (see
prm_kit.relay and prm_kit.dead_letters).

Revision ID: registry0008
Revises: registry0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op
from prm_kit.outbox import create_dead_letter_table_v1, drop_dead_letter_table_v1

revision: str = "registry0008"
down_revision: str | None = "registry0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_dead_letter_table_v1(op)


def downgrade() -> None:
    drop_dead_letter_table_v1(op)
