"""Small helpers that arrange partners and contacts through the API, and look at what was stored."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import sqlalchemy as sa
from partner_registry.models import Contact, Partner, PartnerHistoryEntry, PartnerSpecialisation
from prm_contracts.principal import Principal
from prm_kit.idempotency import idempotency_record
from prm_kit.outbox import outbox_event
from prm_kit.testing import internal_headers
from sqlalchemy.ext.asyncio import AsyncSession

CHANNEL_MANAGER = Principal(subject="user:cm-anna", scopes=frozenset({"partners:write"}))
ANALYST = Principal(subject="user:analyst-ben", scopes=frozenset({"partners:read"}))
OUTSIDER = Principal(subject="key:deals-only", scopes=frozenset({"deals:write"}))


def partner_user(partner: dict[str, Any], *scopes: str) -> Principal:
    """A credential bound to `partner` (by default allowed to read and write partners)."""
    return Principal(
        subject=f"key:partner-{partner['id'][:8]}",
        scopes=frozenset(scopes or {"partners:write"}),
        partner_id=uuid.UUID(partner["id"]),
    )


def signed_as(principal: Principal) -> dict[str, str]:
    """Headers that make one request come from `principal`."""
    return internal_headers(principal)


def partner_body(**fields: Any) -> dict[str, Any]:
    """A valid PartnerIn body with a registration number no other partner has."""
    body: dict[str, Any] = {
        "legal_name": "Acme Networks GmbH",
        "display_name": "Acme Networks",
        "partner_type": "reseller",
        "country": "DE",
        "region": "DACH",
        "registration_number": f"HRB {uuid.uuid4().int % 10**9}",
    }
    body.update(fields)
    return body


async def a_partner(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/v1/partners", json=partner_body(**fields))
    assert response.status_code == 201, response.text
    partner: dict[str, Any] = response.json()
    return partner


LIFECYCLE_PATH = ["applied", "onboarding", "active"]


async def moved_to(client: httpx.AsyncClient, partner: dict[str, Any], status: str) -> dict[str, Any]:
    """The partner after walking it from prospect to `status` (active, then suspended, or terminated)."""
    steps = {
        "prospect": [],
        "applied": ["applied"],
        "onboarding": ["applied", "onboarding"],
        "active": LIFECYCLE_PATH,
        "suspended": [*LIFECYCLE_PATH, "suspended"],
        "terminated": ["terminated"],
    }[status]
    for step in steps:
        response = await client.post(
            f"/v1/partners/{partner['id']}/status-transitions",
            json={"to_status": step, "reason": f"test: to {step}"},
        )
        assert response.status_code == 201, response.text
        partner = response.json()["partner"]
    return partner


def contact_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Anna Berg", "email": "anna.berg@acme.example", "role": "sales"}
    body.update(fields)
    return body


async def a_contact(client: httpx.AsyncClient, partner: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = await client.post(f"/v1/partners/{partner['id']}/contacts", json=contact_body(**fields))
    assert response.status_code == 201, response.text
    contact: dict[str, Any] = response.json()
    return contact


async def stored_counts(session: AsyncSession) -> dict[str, int]:
    """How many rows each table of the registry holds: compared before and after a refused request."""
    counts = {}
    for name, table in {
        "partner": Partner.__table__,
        "partner_specialisation": PartnerSpecialisation.__table__,
        "partner_history_entry": PartnerHistoryEntry.__table__,
        "contact": Contact.__table__,
        "outbox_event": outbox_event,
        "idempotency_record": idempotency_record,
    }.items():
        counts[name] = await session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
    return counts


async def stored_partner(session: AsyncSession, partner_id: str) -> Partner | None:
    partner: Partner | None = await session.scalar(
        sa.select(Partner)
        .where(Partner.id == uuid.UUID(partner_id))
        .execution_options(populate_existing=True)
    )
    return partner


async def outbox_payloads(session: AsyncSession, event_type: str) -> list[dict[str, Any]]:
    rows = await session.execute(sa.select(outbox_event.c.payload).where(outbox_event.c.type == event_type))
    return [row.payload for row in rows]


async def history(client: httpx.AsyncClient, partner: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/partners/{partner['id']}/history", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
