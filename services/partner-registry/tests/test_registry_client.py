"""`prm_contracts.clients.RegistryClient` against the real registry: the contract models read what the
registry actually answers, and its problems come back as the same exceptions."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from prm_contracts.clients.registry import RegistryClient
from prm_contracts.principal import INTERNAL_SCOPE, Principal
from prm_contracts.problem import NotFound
from prm_kit.testing import internal_headers

from .factories import a_deal, a_violation, an_active_partner

pytestmark = pytest.mark.asyncio

INCENTIVES = Principal(subject="service:incentives", scopes=frozenset({INTERNAL_SCOPE}))


@pytest_asyncio.fixture
async def registry_client(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[RegistryClient]:
    """A client as another service holds it, on the same app (and rolled-back transaction) as `client`."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://registry",
        headers=internal_headers(INCENTIVES),
    ) as http:
        yield RegistryClient(http)


async def test_a_partner_its_tier_ladder_compliance_and_deals_are_read_as_contract_models(
    client: httpx.AsyncClient, registry_client: RegistryClient
) -> None:
    partner = await an_active_partner(client, country="FR")
    changed = await client.post(
        f"/v1/partners/{partner['id']}/tier-changes", json={"tier": "gold", "reason": "Annual review"}
    )
    assert changed.status_code == 201, changed.text
    await a_violation(client, partner, severity="high")
    await a_violation(client, partner, severity="low")
    deal = await a_deal(client, partner, estimated_value={"amount": "120000.50", "currency": "EUR"})
    partner_id = uuid.UUID(partner["id"])

    read = await registry_client.partner(partner_id)
    ladder = await registry_client.tiers()
    summary = await registry_client.compliance_summary(partner_id)
    registration = await registry_client.deal_registration(uuid.UUID(deal["id"]))

    assert (read.id, read.status, read.tier, read.country) == (partner_id, "active", "gold", "FR")
    assert [tier.key for tier in ladder] == ["registered", "silver", "gold", "platinum"]
    assert [tier.rank for tier in ladder] == sorted(tier.rank for tier in ladder)
    assert summary.open_violations_total == 2
    assert (summary.open_violations.high, summary.open_violations.low) == (1, 1)
    assert summary.has_current_agreement is True
    assert registration.partner_id == partner_id
    assert registration.status == "approved"
    assert registration.estimated_value.amount == Decimal("120000.50")


@pytest.mark.parametrize("method", ["partner", "compliance_summary", "deal_registration"])
async def test_an_unknown_id_is_not_found(registry_client: RegistryClient, method: str) -> None:
    with pytest.raises(NotFound):
        await getattr(registry_client, method)(uuid.uuid4())
