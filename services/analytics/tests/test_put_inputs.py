"""Inputs set by PUT on their natural key (targets, market sizes, acquisition spend): the 201 that creates one
names it in `Location`, and answers what a GET of that version reads, under the same ETag."""

from __future__ import annotations

import uuid

import httpx
import pytest

pytestmark = pytest.mark.asyncio

# fixed, not random: pytest-xdist workers must collect the same test ids
_PARTNER = uuid.UUID("6b0d3c2e-5f1a-4c8e-9a7d-2e4f6a8b0c1d")


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        (
            f"/v1/targets/{_PARTNER}/revenue/2026-Q4",
            {"target": {"amount": "1000.5", "currency": "EUR"}},
            "target",
        ),
        (
            "/v1/market/sizes/uk%20%26%20ireland/mid%20market/2026-Q4",
            {"size": {"amount": "1000.5", "currency": "EUR"}},
            "size",
        ),
        (
            f"/v1/acquisition-spend/{_PARTNER}/2026-Q4",
            {"spend": {"amount": "1000.5", "currency": "EUR"}},
            "spend",
        ),
    ],
)
async def test_a_created_input_is_at_its_location_as_answered(
    client: httpx.AsyncClient, url: str, body: dict[str, dict[str, str]], field: str
) -> None:
    created = await client.put(url, json=body)
    read = await client.get(created.headers["Location"])

    assert created.status_code == 201, created.text
    assert read.status_code == 200, read.text
    assert created.json()[field]["amount"] == "1000.5000"  # at the stored scale, as any read shows it
    assert read.json() == created.json()
    assert read.headers["ETag"] == created.headers["ETag"] == '"1"'
