"""`/metrics` counts requests by route template, never by the raw path with its ids."""

from __future__ import annotations

import re
from collections.abc import Callable
from uuid import UUID, uuid4

import pytest
from fastapi import APIRouter, FastAPI
from prm_kit.testing import rolled_back_app

AppFactory = Callable[..., FastAPI]

router = APIRouter()


@router.get("/v1/partners/{partner_id}/scores")
async def read_partner_scores(partner_id: UUID) -> dict[str, str]:
    return {"partner_id": str(partner_id)}


def requests_total(exposition: str, *, route: str, status: str) -> float:
    """The counter's value for the kittest service's GETs of `route` answered with `status`."""
    for line in exposition.splitlines():
        sample = re.fullmatch(r"prm_http_requests_total\{(.*)\} (\S+)", line)
        if sample is None:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', sample.group(1)))
        if labels == {"service": "kittest", "method": "GET", "route": route, "status": status}:
            return float(sample.group(2))
    return 0.0


@pytest.mark.asyncio
async def test_requests_are_counted_by_route_template(kit_app: AppFactory, kit_database_url: str) -> None:
    template = "/v1/partners/{partner_id}/scores"
    partner_id = uuid4()
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        before = requests_total((await client.get("/metrics")).text, route=template, status="200")
        await client.get(f"/v1/partners/{partner_id}/scores")
        await client.get(f"/v1/partners/{uuid4()}/scores")
        metrics = await client.get("/metrics")

    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert requests_total(metrics.text, route=template, status="200") == before + 2
    assert str(partner_id) not in metrics.text


@pytest.mark.asyncio
async def test_unmatched_paths_share_one_label(kit_app: AppFactory, kit_database_url: str) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        before = requests_total((await client.get("/metrics")).text, route="unmatched", status="404")
        await client.get("/v1/no-such-thing/12345")
        metrics = await client.get("/metrics")

    assert requests_total(metrics.text, route="unmatched", status="404") == before + 1
    assert "/v1/no-such-thing/12345" not in metrics.text


@pytest.mark.asyncio
async def test_latency_is_recorded_by_route_template(kit_app: AppFactory, kit_database_url: str) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        await client.get(f"/v1/partners/{uuid4()}/scores")
        metrics = await client.get("/metrics")

    assert re.search(
        r'prm_http_request_duration_seconds_count\{[^}]*route="/v1/partners/\{partner_id\}/scores"[^}]*\} [1-9]',
        metrics.text,
    )
