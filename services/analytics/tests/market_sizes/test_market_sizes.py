"""Market sizes per region, segment and period: normalised keys, PUT rules, vendor-only writes."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ..partners.callers import ANALYST, partner_key, signed_as, stored_counts

pytestmark = pytest.mark.asyncio


def size(amount: str = "12500000.00", currency: str = "EUR") -> dict[str, Any]:
    return {"size": {"amount": amount, "currency": currency}}


async def test_region_and_segment_are_normalised_so_one_market_has_one_size(
    client: httpx.AsyncClient,
) -> None:
    created = await client.put("/v1/market/sizes/de/  Mid   Market /2026", json=size())
    same = await client.put("/v1/market/sizes/DE/mid market/2026", json=size())
    changed = await client.put("/v1/market/sizes/DE/MID MARKET/2026", json=size("13000000.00"))
    region = await client.put("/v1/market/sizes/emea/enterprise/2026-Q1", json=size())

    assert created.status_code == 201, created.text
    assert (created.json()["region"], created.json()["segment"]) == ("DE", "mid market")
    assert (same.status_code, same.json()["id"]) == (200, created.json()["id"])
    assert changed.status_code == 428
    assert region.json()["region"] == "EMEA"


async def test_get_and_list(client: httpx.AsyncClient) -> None:
    await client.put("/v1/market/sizes/DE/smb/2026", json=size())
    await client.put("/v1/market/sizes/FR/smb/2026", json=size())

    got = await client.get("/v1/market/sizes/de/SMB/2026")
    listed = await client.get("/v1/market/sizes", params={"region": "fr", "segment": " SMB "})
    missing = await client.get("/v1/market/sizes/DE/smb/2025")

    assert (got.status_code, got.headers["ETag"]) == (200, '"1"')
    assert [item["region"] for item in listed.json()["items"]] == ["FR"]
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("url", "body", "loc"),
    [
        ("/v1/market/sizes/XX/smb/2026", size(), ["path", "region"]),  # not a country
        ("/v1/market/sizes/%20%20/smb/2026", size(), ["path", "region"]),  # no text
        ("/v1/market/sizes/UK%09Ireland/smb/2026", size(), ["path", "region"]),  # a tab: not one line
        (f"/v1/market/sizes/{'A' * 101}/smb/2026", size(), ["path", "region"]),
        ("/v1/market/sizes/DE/%20/2026", size(), ["path", "segment"]),
        ("/v1/market/sizes/DE/smb/2026-H1", size(), ["path", "period"]),
        ("/v1/market/sizes/DE/smb/2026", size("0"), ["body"]),
    ],
)
async def test_bad_keys_and_sizes_are_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, url: str, body: dict[str, Any], loc: list[str]
) -> None:
    before = await stored_counts(db)

    response = await client.put(url, json=body)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == loc
    assert await stored_counts(db) == before


async def test_any_reader_reads_market_sizes_and_only_the_vendor_writes_them(
    client: httpx.AsyncClient,
) -> None:
    await client.put("/v1/market/sizes/DE/smb/2026", json=size())
    partner = signed_as(partner_key(uuid.uuid4()))

    assert (await client.get("/v1/market/sizes", headers=partner)).status_code == 200
    assert (await client.get("/v1/market/sizes/DE/smb/2026", headers=signed_as(ANALYST))).status_code == 200
    assert (await client.put("/v1/market/sizes/DE/smb/2027", json=size(), headers=partner)).status_code == 403
    assert (
        await client.put("/v1/market/sizes/DE/smb/2027", json=size(), headers=signed_as(ANALYST))
    ).status_code == 403
