"""MDF test helpers: the callers, request bodies, and a budget → allocation → request chain made through the
API."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import httpx
import sqlalchemy as sa
from incentives.models import Base
from prm_contracts.principal import Principal
from prm_kit.idempotency import idempotency_record
from prm_kit.outbox import outbox_event
from prm_kit.testing import internal_headers
from sqlalchemy.ext.asyncio import AsyncSession

CHANNEL_MANAGER = Principal(subject="user:cm-anna", scopes=frozenset({"incentives:write"}))
ANALYST = Principal(subject="user:analyst-ben", scopes=frozenset({"incentives:read"}))
OUTSIDER = Principal(subject="key:partners-only", scopes=frozenset({"partners:write"}))


def partner_user(partner_id: UUID) -> Principal:
    """A credential bound to one partner, with incentives:write (which its binding still limits)."""
    return Principal(
        subject=f"key:partner-{str(partner_id)[:8]}",
        scopes=frozenset({"incentives:write"}),
        partner_id=partner_id,
    )


def signed_as(principal: Principal) -> dict[str, str]:
    return internal_headers(principal)


def eur(amount: str, currency: str = "EUR") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def budget_body(amount: str = "10000.00", **fields: Any) -> dict[str, Any]:
    return {"name": f"Field marketing {uuid4().hex[:6]}", "period": "2026-Q3", "amount": eur(amount)} | fields


def request_body(allocation_id: str, planned: str = "1000.00", **fields: Any) -> dict[str, Any]:
    return {
        "allocation_id": allocation_id,
        "activity": "Joint webinar series",
        "planned_amount": eur(planned),
        "starts_on": "2026-07-01",
        "ends_on": "2026-07-31",
        "expected_outcome": "40 qualified leads",
        "expected_roi": {"leads": 40, "pipeline": eur("50000.00")},
    } | fields


def claim_body(amount: str = "800.00", **fields: Any) -> dict[str, Any]:
    return {
        "amount": eur(amount),
        "proof_reference": "INV-2026-0042",
        "roi": {"leads": 35, "pipeline": eur("42000.00"), "revenue_attributed": eur("12000.00")},
    } | fields


async def created(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], **kwargs: Any
) -> dict[str, Any]:
    answer = await client.post(path, json=body, **kwargs)
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def decided(
    client: httpx.AsyncClient, path: str, decision: str = "approved", **extra: Any
) -> dict[str, Any]:
    answer = await client.post(path, json={"decision": decision, **extra})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def an_allocation(
    client: httpx.AsyncClient, partner_id: UUID, *, budget: str = "10000.00", allocated: str = "3000.00"
) -> dict[str, Any]:
    found = await created(client, "/v1/mdf/budgets", budget_body(budget))
    return await created(
        client,
        f"/v1/mdf/budgets/{found['id']}/allocations",
        {"partner_id": str(partner_id), "amount": eur(allocated)},
    )


async def an_approved_request(
    client: httpx.AsyncClient, partner_id: UUID, *, planned: str = "1000.00"
) -> dict[str, Any]:
    allocation = await an_allocation(client, partner_id)
    request = await created(client, "/v1/mdf/requests", request_body(allocation["id"], planned))
    return await decided(client, f"/v1/mdf/requests/{request['id']}/decision")


async def stored_counts(session: AsyncSession) -> dict[str, int]:
    """How many rows each table holds: compared before and after a refused request."""
    counts = {}
    for table in (*Base.metadata.sorted_tables, idempotency_record, outbox_event):
        counts[table.name] = int(await session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
    return counts
