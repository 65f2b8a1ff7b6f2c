"""Bodies of sales webhooks, a sender that signs them with the independent `standardwebhooks` package, and
counts of what analytics stored."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from itertools import count
from typing import Any
from uuid import UUID

import httpx
import sqlalchemy as sa
from analytics.sales.models import (
    SalesCustomerRollup,
    SalesDailyRollup,
    SalesLine,
    SalesLineKey,
    SalesMonthlyRollup,
    SalesWebhookReceipt,
)
from prm_contracts.principal import Principal
from prm_kit.outbox import outbox_event
from prm_kit.testing import internal_headers
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook

from .fakes import Clock

_numbers = count(1)
# How the gateway forwards a webhook: no API key, a principal without scopes (gateway.auth.WEBHOOK_PRINCIPAL).
WEBHOOK_CALLER = Principal(subject="webhook:anonymous", scopes=frozenset())


def a_line(**fields: Any) -> dict[str, Any]:
    """A valid sale line; `fields` replace or add top-level fields (`customer`/`product` whole)."""
    number = next(_numbers)
    line: dict[str, Any] = {
        "external_id": f"INV-{number}-1",
        "kind": "sale",
        "occurred_on": "2026-06-15",
        "invoice_id": f"INV-{number}",
        "payment_status": "invoiced",
        "customer": {"name": "Globex Corporation", "domain": "globex.example", "country": "DE"},
        "product": {"sku": "NET-100", "category": "networking"},
        "quantity": "2",
        "unit_price": "150.00",
        "amount": "300.00",
        "currency": "EUR",
    }
    return line | fields


def sales_reported(*lines: dict[str, Any]) -> dict[str, Any]:
    return {"type": "sales.reported", "data": {"transactions": list(lines)}}


def payment_updated(*updates: dict[str, Any]) -> dict[str, Any]:
    return {"type": "sales.payment_updated", "data": {"updates": list(updates)}}


def webhook_path(partner_id: UUID | str) -> str:
    return f"/v1/webhooks/partners/{partner_id}/sales"


_ids = count(1)


def new_webhook_id() -> str:
    return f"msg_test_{next(_ids)}"


@dataclass
class Sender:
    """A partner system: signs each delivery with `standardwebhooks` at the clock's time and posts it."""

    client: httpx.AsyncClient
    clock: Clock

    async def send(
        self,
        partner_id: UUID,
        secret: str,
        message: dict[str, Any] | bytes,
        *,
        webhook_id: str | None = None,
        signed_at: datetime | None = None,
        extra_signatures: tuple[str, ...] = (),
    ) -> httpx.Response:
        body = message if isinstance(message, bytes) else json.dumps(message).encode()
        webhook_id = webhook_id or new_webhook_id()
        moment = signed_at or self.clock.now
        signature = Webhook(secret).sign(webhook_id, moment, body.decode())
        headers = {
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": " ".join((*extra_signatures, signature)),
            "content-type": "application/json",
        } | internal_headers(WEBHOOK_CALLER)
        return await self.client.post(webhook_path(partner_id), content=body, headers=headers)


TABLES = {
    "sales_line": SalesLine.__table__,
    "sales_line_key": SalesLineKey.__table__,
    "sales_daily_rollup": SalesDailyRollup.__table__,
    "sales_monthly_rollup": SalesMonthlyRollup.__table__,
    "sales_customer_rollup": SalesCustomerRollup.__table__,
    "sales_webhook_receipt": SalesWebhookReceipt.__table__,
    "outbox_event": outbox_event,
}


async def stored_counts(session: AsyncSession) -> dict[str, int]:
    """Rows per table the webhook writes: compared before and after a refused delivery."""
    return {
        name: int(await session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
        for name, table in TABLES.items()
    }


async def events_of(session: AsyncSession, event_type: str) -> list[dict[str, Any]]:
    rows = await session.scalars(
        sa.select(outbox_event.c.payload)
        .where(outbox_event.c.type == event_type)
        .order_by(outbox_event.c.occurred_at)
    )
    return list(rows.all())


def is_problem(response: httpx.Response, slug: str, status: int) -> bool:
    body = response.json()
    return (
        response.status_code == status
        and response.headers["content-type"] == "application/problem+json"
        and body["type"].endswith(f"/problems/{slug}")
        and body["status"] == status
    )
