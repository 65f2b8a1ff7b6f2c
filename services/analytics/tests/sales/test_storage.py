"""Where lines land: on PostgreSQL the month's partition of `sales_line`, or the default one outside the
migration's window; and how the gateway reaches the webhook (no API key) and the lines (analytics scopes)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from analytics.sales.models import PARTITION_SCHEMA, SalesLine
from gateway.routing import ANALYTICS, match
from prm_kit import testing as kit_testing
from sqlalchemy.ext.asyncio import AsyncSession

from .factories import Sender, a_line, sales_reported
from .fakes import FakeRegistry


@pytest.mark.asyncio
@pytest.mark.skipif(kit_testing.test_backend() != "postgresql", reason="partitions exist on PostgreSQL only")
async def test_lines_land_in_their_months_partition_or_the_default_one(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    partner_id, secret = registry.partner()
    await sender.send(
        partner_id,
        secret,
        sales_reported(
            a_line(external_id="JUNE", occurred_on="2026-06-30"),
            a_line(external_id="JULY", occurred_on="2026-07-01"),
            a_line(external_id="ANCIENT", occurred_on="1999-12-31"),
        ),
    )

    rows = await db.execute(
        sa.select(SalesLine.external_id, sa.literal_column("sales_line.tableoid::regclass::text")).where(
            SalesLine.partner_id == partner_id
        )
    )

    assert dict(rows.all()) == {
        "JUNE": f"{PARTITION_SCHEMA}.sales_line_2026_06",
        "JULY": f"{PARTITION_SCHEMA}.sales_line_2026_07",
        "ANCIENT": f"{PARTITION_SCHEMA}.sales_line_default",
    }


@pytest.mark.backend_independent
def test_the_gateway_routes_the_webhook_without_a_key_and_the_lines_with_analytics_scopes() -> None:
    webhook = match("/v1/webhooks/partners/0b4f6f5e-3c7a-4d59-9a43-6f4d3c2b1a00/sales")
    lines = match("/v1/sales/lines/0b4f6f5e-3c7a-4d59-9a43-6f4d3c2b1a00")

    assert webhook is not None
    assert webhook.service == ANALYTICS
    assert webhook.public
    assert lines is not None
    assert lines.service == ANALYTICS
    assert (lines.scope_for("GET"), lines.scope_for("POST")) == ("analytics:read", "analytics:write")
