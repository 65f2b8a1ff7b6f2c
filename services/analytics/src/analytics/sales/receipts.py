"""How long a delivery's answer is kept: the receipt that makes a redelivered `webhook-id` get its original
answer is needed while senders retry (hours to days), not for years; housekeeping deletes older ones. The
lines stay de-duplicated by `external_id` forever, so a delivery repeated after that is all duplicates."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import sqlalchemy as sa
from prm_kit.housekeeping import KeptFor

from analytics.config import Settings
from analytics.sales.models import SalesWebhookReceipt


def receipts_kept(settings: Settings) -> KeptFor:
    return KeptFor(
        cast(sa.Table, SalesWebhookReceipt.__table__),
        "received_at",
        timedelta(days=settings.webhook_receipt_retention_days),
    )
