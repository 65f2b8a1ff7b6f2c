"""The outbox payload as `json` kept uncompressed on PostgreSQL (see prm_kit.outbox.outbox_payload_v2).

Revision ID: analytics0012
Revises: analytics0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op
from prm_kit.outbox import outbox_payload_v1, outbox_payload_v2

revision: str = "analytics0012"
down_revision: str | None = "analytics0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    outbox_payload_v2(op)


def downgrade() -> None:
    outbox_payload_v1(op)
