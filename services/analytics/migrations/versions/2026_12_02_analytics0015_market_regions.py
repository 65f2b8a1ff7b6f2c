"""Market sizes keyed by any region a partner can be placed in, and the replica's key of each partner's region.

The registry places partners in free-text regions ("UK & Ireland", "North America"); market sizes took only
codes of letters, digits and dashes compared as written, so most partners' market share could never be
computed. Both sides now use one key: the region's words upper-cased and single-spaced (the codes stored so
far are already in that form). `partner_dimension.market_region` holds each partner's key, filled here for the
partners the replica has; the replica keeps it from then on.

Revision ID: analytics0015
Revises: analytics0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "analytics0015"
down_revision: str | None = "analytics0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MAX_REGION_LENGTH = 100


def _region_key(region: str | None) -> str | None:
    # frozen here as analytics.market_sizes.schemas.region_key made it on this revision
    if region is None:
        return None
    key = " ".join(region.split()).upper()
    return key if 0 < len(key) <= _MAX_REGION_LENGTH else None


def upgrade() -> None:
    with op.batch_alter_table("market_size") as batch:
        batch.alter_column(
            "region",
            existing_type=sa.String(20),
            type_=sa.String(_MAX_REGION_LENGTH),
            existing_nullable=False,
        )
    with op.batch_alter_table("partner_dimension") as batch:
        batch.add_column(sa.Column("market_region", sa.String(_MAX_REGION_LENGTH), nullable=True))
    bind = op.get_bind()
    dimension = sa.table(
        "partner_dimension",
        sa.column("partner_id", sa.Uuid()),
        sa.column("region", sa.String()),
        sa.column("market_region", sa.String()),
    )
    rows = bind.execute(
        sa.select(dimension.c.partner_id, dimension.c.region).where(dimension.c.region.is_not(None))
    )
    for partner_id, region in rows.all():
        bind.execute(
            dimension.update()
            .where(dimension.c.partner_id == partner_id)
            .values(market_region=_region_key(region))
        )


def downgrade() -> None:
    with op.batch_alter_table("partner_dimension") as batch:
        batch.drop_column("market_region")
    with op.batch_alter_table("market_size") as batch:
        batch.alter_column(
            "region",
            existing_type=sa.String(_MAX_REGION_LENGTH),
            type_=sa.String(20),
            existing_nullable=False,
        )
