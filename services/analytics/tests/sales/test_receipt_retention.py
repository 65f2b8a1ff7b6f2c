"""A delivery's receipt (its answer, for a redelivered webhook-id) is kept for the retention setting, then
deleted by housekeeping; a delivery repeated after that is judged afresh and stores nothing twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from analytics.config import Settings
from analytics.sales.models import SalesWebhookReceipt
from analytics.sales.receipts import receipts_kept
from prm_kit.testing import TEST_SECRET
from sqlalchemy.ext.asyncio import AsyncSession

from .factories import Sender, a_line, sales_reported, stored_counts
from .fakes import Clock, FakeRegistry

pytestmark = pytest.mark.asyncio


async def test_a_receipt_expires_after_the_retention_and_a_late_redelivery_is_all_duplicates(
    sender: Sender, registry: FakeRegistry, clock: Clock, db: AsyncSession
) -> None:
    kept = receipts_kept(Settings(internal_secret=TEST_SECRET, webhook_receipt_retention_days=30))
    partner_id, secret = registry.partner()
    message = sales_reported(a_line(), a_line())
    first = await sender.send(partner_id, secret, message, webhook_id="msg_late")
    received = clock.now

    young = (await db.execute(kept.expired(received + timedelta(days=30)))).all()
    old = (await db.execute(kept.expired(received + timedelta(days=30, seconds=1)))).all()
    # housekeeping deletes what `expired` selects (prm_kit.housekeeping); here inside the test's transaction
    await db.execute(sa.delete(SalesWebhookReceipt).where(SalesWebhookReceipt.webhook_id == "msg_late"))
    before = await stored_counts(db)
    clock.advance(days=31)
    late = await sender.send(partner_id, secret, message, webhook_id="msg_late")

    assert first.status_code == 200
    assert first.json()["counts"]["accepted"] == 2
    assert young == []
    assert [tuple(row) for row in old] == [(partner_id, "msg_late")]
    assert late.status_code == 200, late.text
    assert "webhook-replayed" not in late.headers
    assert late.json()["counts"] == {"received": 2, "accepted": 0, "duplicate": 2, "rejected": 0}
    after = await stored_counts(db)
    assert {table: after[table] - before[table] for table in after} == {
        table: int(table == "sales_webhook_receipt") for table in after
    }
