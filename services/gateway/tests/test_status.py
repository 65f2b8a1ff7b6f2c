"""`GET /v1/status`, `/healthz`, `/readyz`, `/metrics`."""

from __future__ import annotations

from typing import Any

import pytest

from .harness import GatewayUnderTest


@pytest.mark.asyncio
async def test_status_reports_every_service_ready(gw: GatewayUnderTest) -> None:
    key = await gw.key("tiers:read")  # any valid key

    answer = await gw.client.get("/v1/status", headers=gw.bearer(key))

    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ready"
    assert [(s["service"], s["status"], s["detail"]) for s in body["services"]] == [
        ("registry", "ready", None),
        ("scoring", "ready", None),
        ("incentives", "ready", None),
        ("analytics", "ready", None),
    ]


@pytest.mark.asyncio
async def test_status_says_which_service_is_unreachable(gateway_with: Any, dead_url: str) -> None:
    async with gateway_with(incentives_url=dead_url) as gw:
        key = await gw.key("admin")

        body = (await gw.client.get("/v1/status", headers=gw.bearer(key))).json()

        assert body["status"] == "degraded"
        assert {s["service"]: s["status"] for s in body["services"]} == {
            "registry": "ready",
            "scoring": "ready",
            "incentives": "unreachable",
            "analytics": "ready",
        }


@pytest.mark.asyncio
async def test_status_needs_a_key(gw: GatewayUnderTest) -> None:
    answer = await gw.client.get("/v1/status")

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.asyncio
async def test_health_readiness_and_metrics_need_no_key(gw: GatewayUnderTest) -> None:
    key = await gw.key("admin")
    await gw.client.get("/v1/partners", headers=gw.bearer(key))

    health = await gw.client.get("/healthz")
    ready = await gw.client.get("/readyz")
    metrics = await gw.client.get("/metrics")

    assert health.json() == {"status": "ok", "service": "gateway"}
    assert ready.status_code == 200
    assert ready.json()["migrations"] == "at_head"
    assert 'route="/v1/partners/…"' in metrics.text
    assert 'service="gateway"' in metrics.text
