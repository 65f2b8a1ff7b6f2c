"""`partner_profile.region_key`: each partner's region as eligibility compares it (case-folded, single-spaced,
as the registry compares regions), so a programme naming `emea` pays a partner in `EMEA`. Filled here for the
profiles already held; the replica writes it with the region from now on.

Revision ID: incentives0019
Revises: incentives0018
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "incentives0019"
down_revision: str | None = "incentives0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(region: str | None) -> str | None:
    # as incentives.replica.regions.region_key did when this was written
    return None if region is None else (" ".join(region.split()).casefold() or None)


def upgrade() -> None:
    op.add_column("partner_profile", sa.Column("region_key", sa.String(300), nullable=True))
    bind = op.get_bind()
    profiles = sa.table(
        "partner_profile",
        sa.column("partner_id", sa.Uuid()),
        sa.column("region", sa.String()),
        sa.column("region_key", sa.String()),
    )
    rows = bind.execute(
        sa.select(profiles.c.partner_id, profiles.c.region).where(profiles.c.region.is_not(None))
    )
    for partner_id, region in rows.all():
        bind.execute(
            profiles.update().where(profiles.c.partner_id == partner_id).values(region_key=_key(region))
        )


def downgrade() -> None:
    with op.batch_alter_table("partner_profile") as batch:
        batch.drop_column("region_key")
