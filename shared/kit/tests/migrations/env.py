"""The kit test service's migrations: only the tables the kit itself owns (outbox, inbox, idempotency)."""

import sqlalchemy as sa
from prm_kit import idempotency, outbox
from prm_kit.migrations import run_env

kit_tables = sa.MetaData()
for table in [*outbox.metadata.tables.values(), *idempotency.metadata.tables.values()]:
    table.to_metadata(kit_tables)
run_env(kit_tables)
