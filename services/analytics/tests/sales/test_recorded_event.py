"""`sales.recorded` is written from plain values, not from contract models: its payload must still be exactly
what the contract (`SalesRecorded`) writes for the same lines, flags included, and read back as stored."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from analytics.partners.models import PartnerDimension
from prm_contracts.events import EventEnvelope
from prm_contracts.sales import SalesRecorded
from sqlalchemy.ext.asyncio import AsyncSession

from .factories import Sender, a_line, events_of, sales_reported
from .fakes import FakeRegistry

pytestmark = pytest.mark.asyncio


async def test_the_payload_is_the_contracts_own_json_of_the_stored_lines(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    partner_id, secret = registry.partner()
    db.add(
        PartnerDimension(partner_id=partner_id, website_domain="acme.example", updated_at=datetime.now(UTC))
    )
    await db.flush()
    full = a_line(
        external_id="S-1",
        quantity="3",
        unit_price="33.3333",
        amount="99.9999",
        cost="50.5",
        deal_registration_id="0b4f6f5e-3c7a-4d59-9a43-6f4d3c2b1a00",
        customer={"name": "Acme itself", "domain": "www.acme.example", "country": "de", "is_new": True},
    )
    bare = a_line(
        external_id="R-1",
        kind="credit_note",
        original_external_id="S-1",
        invoice_id=None,
        customer={"name": "Acme itself", "external_id": "C-1"},
    )

    response = await sender.send(partner_id, secret, sales_reported(full, bare))

    assert response.status_code == 200, response.text
    [event] = [e for e in await events_of(db, "sales.recorded") if e["data"]["partner_id"] == str(partner_id)]
    envelope = EventEnvelope[SalesRecorded].model_validate(event)
    assert envelope.model_dump(mode="json") == event  # nothing missing, nothing extra, each value as written
    first, second = envelope.data.lines
    assert [first.external_id, second.external_id] == ["S-1", "R-1"]
    assert event["data"]["lines"][0]["quantity"] == "3.0000"
    assert event["data"]["lines"][0]["cost"] == "50.5000"
    assert event["data"]["lines"][0]["customer"]["domain"] == "acme.example"
    assert [flag.code for flag in first.flags] == ["own_domain"]
    stored = (await client.get(f"/v1/sales/lines/{first.id}")).json()
    assert {k: v for k, v in event["data"]["lines"][0].items() if k != "flags"} == stored
