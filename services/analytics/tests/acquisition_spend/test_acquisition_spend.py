"""Customer-acquisition spend per partner and period."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ..partners.callers import partner_key, signed_as, stored_counts
from ..sales.fakes import FakeRegistry

pytestmark = pytest.mark.asyncio


def spend(amount: str = "18000.00", currency: str = "EUR") -> dict[str, Any]:
    return {"spend": {"amount": amount, "currency": currency}}


async def test_put_get_replace(registry: FakeRegistry, client: httpx.AsyncClient) -> None:
    partner = registry.partner_without_secrets()

    created = await client.put(f"/v1/acquisition-spend/{partner}/2026-07", json=spend())
    zero_elsewhere = await client.put(f"/v1/acquisition-spend/{partner}/2026-08", json=spend("0"))
    replaced = await client.put(
        f"/v1/acquisition-spend/{partner}/2026-07", json=spend("19000.50"), headers={"If-Match": '"1"'}
    )
    read = await client.get(f"/v1/acquisition-spend/{partner}/2026-07")

    assert created.status_code == 201, created.text
    assert (created.json()["first_day"], created.json()["last_day"]) == ("2026-07-01", "2026-07-31")
    assert zero_elsewhere.status_code == 201
    assert replaced.json()["version"] == 2
    assert read.json()["spend"] == {"amount": "19000.5000", "currency": "EUR"}


@pytest.mark.parametrize(
    ("period", "body"), [("2026-7", spend()), ("2026", spend("-5")), ("2026", spend(currency="ZZZ"))]
)
async def test_refusals_store_nothing(
    registry: FakeRegistry, client: httpx.AsyncClient, db: AsyncSession, period: str, body: dict[str, Any]
) -> None:
    before = await stored_counts(db)

    response = await client.put(
        f"/v1/acquisition-spend/{registry.partner_without_secrets()}/{period}", json=body
    )

    assert response.status_code == 422
    assert await stored_counts(db) == before


async def test_a_partner_reads_only_its_own_spend_and_writes_none(
    registry: FakeRegistry, client: httpx.AsyncClient
) -> None:
    partner, other = registry.partner_without_secrets(), registry.partner_without_secrets()
    await client.put(f"/v1/acquisition-spend/{partner}/2026", json=spend())
    await client.put(f"/v1/acquisition-spend/{other}/2026", json=spend())
    key = signed_as(partner_key(partner))

    own = await client.get(f"/v1/acquisition-spend/{partner}/2026", headers=key)
    others = await client.get(f"/v1/acquisition-spend/{other}/2026", headers=key)
    listed = await client.get("/v1/acquisition-spend", params={"period": "2026"}, headers=key)
    written = await client.put(f"/v1/acquisition-spend/{partner}/2027", json=spend(), headers=key)

    assert (own.status_code, others.status_code, written.status_code) == (200, 404, 403)
    assert [item["partner_id"] for item in listed.json()["items"]] == [str(partner)]
