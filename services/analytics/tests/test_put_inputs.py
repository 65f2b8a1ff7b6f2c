"""Inputs set by PUT on their natural key (targets, market sizes, acquisition spend): the 201 that creates one
names it in `Location`, and answers what a GET of that version reads, under the same ETag."""

from __future__ import annotations

import uuid

import httpx
import pytest

from .sales.fakes import FakeRegistry

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
    registry: FakeRegistry, client: httpx.AsyncClient, url: str, body: dict[str, dict[str, str]], field: str
) -> None:
    registry.partners[_PARTNER] = []  # a partner the registry knows, without webhook secrets
    created = await client.put(url, json=body)
    read = await client.get(created.headers["Location"])

    assert created.status_code == 201, created.text
    assert read.status_code == 200, read.text
    assert created.json()[field]["amount"] == "1000.5000"  # at the stored scale, as any read shows it
    assert read.json() == created.json()
    assert read.headers["ETag"] == created.headers["ETag"] == '"1"'


PARTNER_INPUTS = [
    ("/v1/targets/{partner}/revenue/2026-Q4", {"target": {"amount": "1000.50", "currency": "EUR"}}),
    ("/v1/acquisition-spend/{partner}/2026-Q4", {"spend": {"amount": "1000.50", "currency": "EUR"}}),
]


@pytest.mark.parametrize(("url", "body"), PARTNER_INPUTS)
async def test_an_input_for_a_partner_the_registry_does_not_know_is_a_404_and_nothing_is_stored(
    registry: FakeRegistry, client: httpx.AsyncClient, url: str, body: dict[str, dict[str, str]]
) -> None:
    unknown = uuid.uuid4()  # never given to the registry
    path = url.format(partner=unknown)

    refused = await client.put(path, json=body)
    read = await client.get(path)

    assert refused.status_code == 404, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert str(unknown) in refused.json()["detail"]
    assert read.status_code == 404  # nothing stored


@pytest.mark.parametrize(("url", "body"), PARTNER_INPUTS)
async def test_an_input_when_the_registry_cannot_answer_is_a_503_and_nothing_is_stored(
    registry: FakeRegistry, client: httpx.AsyncClient, url: str, body: dict[str, dict[str, str]]
) -> None:
    path = url.format(partner=registry.partner_without_secrets())
    registry.mode = "unreachable"

    refused = await client.put(path, json=body)
    read = await client.get(path)

    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "5"
    assert read.status_code == 404
