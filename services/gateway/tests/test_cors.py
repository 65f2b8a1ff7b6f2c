"""CORS for the configured front-end origins, on proxied paths and the gateway's own."""

from __future__ import annotations

from typing import Any

import pytest

PORTAL = "https://portal.example.com"


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/v1/partners", "/v1/admin/api-keys"])
async def test_a_preflight_from_an_allowed_origin_is_answered_without_a_key(
    gateway_with: Any, path: str
) -> None:
    async with gateway_with(cors_origins=[PORTAL]) as gw:
        answer = await gw.client.options(
            path,
            headers={
                "Origin": PORTAL,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
            },
        )

        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == PORTAL
        assert "POST" in answer.headers["access-control-allow-methods"].split(", ")
        allowed = answer.headers["access-control-allow-headers"].lower().split(", ")
        assert {"authorization", "content-type", "idempotency-key"} <= set(allowed)


@pytest.mark.asyncio
async def test_a_preflight_from_another_origin_is_refused(gateway_with: Any) -> None:
    async with gateway_with(cors_origins=[PORTAL]) as gw:
        answer = await gw.client.options(
            "/v1/partners", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
        )

        assert answer.status_code == 400
        assert "access-control-allow-origin" not in answer.headers


@pytest.mark.asyncio
async def test_a_proxied_answer_to_an_allowed_origin_exposes_the_request_id(gateway_with: Any) -> None:
    async with gateway_with(cors_origins=[PORTAL]) as gw:
        key = await gw.key("admin")

        answer = await gw.client.get("/v1/partners", headers={**gw.bearer(key), "Origin": PORTAL})

        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == PORTAL
        exposed = answer.headers["access-control-expose-headers"].split(", ")
        assert {"X-Request-ID", "ETag", "Idempotent-Replayed", "Content-Disposition"} <= set(exposed)


@pytest.mark.asyncio
async def test_without_configured_origins_there_are_no_cors_headers(gateway_with: Any) -> None:
    async with gateway_with() as gw:
        key = await gw.key("admin")

        answer = await gw.client.get("/v1/partners", headers={**gw.bearer(key), "Origin": PORTAL})

        assert "access-control-allow-origin" not in answer.headers


def test_origins_may_be_given_comma_separated(make_settings: Any) -> None:
    settings = make_settings(cors_origins=f"{PORTAL}, https://console.example.com")

    assert settings.cors_origins == [PORTAL, "https://console.example.com"]
