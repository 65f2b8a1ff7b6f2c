"""Service-to-service clients sign every call as the calling service."""

from __future__ import annotations

import httpx
import pytest
from prm_contracts.problem import Unauthorized
from prm_kit.http_clients import InternalAuth, service_http_client
from prm_kit.internal_auth import INTERNAL_HEADER, PrincipalVerifier
from prm_kit.request_id import current_request_id
from prm_kit.testing import TEST_SECRET


def capturing(seen: list[httpx.Request]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    return httpx.MockTransport(answer)


@pytest.mark.asyncio
async def test_a_call_outside_any_request_is_signed_but_has_no_request_id() -> None:
    seen: list[httpx.Request] = []
    async with httpx.AsyncClient(
        transport=capturing(seen), auth=InternalAuth("analytics", TEST_SECRET)
    ) as http:
        await http.get("http://incentives/internal/ping")

    [call] = seen
    assert "x-request-id" not in call.headers
    assert PrincipalVerifier(TEST_SECRET).verify(call.headers[INTERNAL_HEADER]).subject == "service:analytics"


@pytest.mark.asyncio
async def test_the_current_request_id_is_forwarded() -> None:
    seen: list[httpx.Request] = []
    token = current_request_id.set("upstream-7")
    try:
        async with httpx.AsyncClient(
            transport=capturing(seen), auth=InternalAuth("scoring", TEST_SECRET)
        ) as http:
            await http.get("http://analytics/v1/kpis")
    finally:
        current_request_id.reset(token)

    assert seen[0].headers["x-request-id"] == "upstream-7"


@pytest.mark.asyncio
async def test_a_receiver_with_another_secret_refuses_the_credential() -> None:
    seen: list[httpx.Request] = []
    async with httpx.AsyncClient(
        transport=capturing(seen), auth=InternalAuth("scoring", TEST_SECRET)
    ) as http:
        await http.get("http://analytics/v1/kpis")

    with pytest.raises(Unauthorized):
        PrincipalVerifier("another-secret-of-sufficient-length-000").verify(seen[0].headers[INTERNAL_HEADER])


@pytest.mark.asyncio
async def test_the_service_client_has_a_base_url_timeout_and_signing() -> None:
    async with service_http_client(
        "http://scoring:8002", service="gateway", secret=TEST_SECRET, timeout=3.0
    ) as http:
        pass

    assert str(http.base_url) == "http://scoring:8002"
    assert http.timeout.read == 3.0
    assert http.timeout.connect == 2.0
    assert isinstance(http.auth, InternalAuth)


@pytest.mark.asyncio
async def test_a_substituted_transport_gets_the_signed_call_at_the_base_url() -> None:
    seen: list[httpx.Request] = []
    async with service_http_client(
        "http://scoring:8002", service="partner-registry", secret=TEST_SECRET, transport=capturing(seen)
    ) as http:
        await http.post("/internal/prequalifications", json={})

    [call] = seen
    assert str(call.url) == "http://scoring:8002/internal/prequalifications"
    principal = PrincipalVerifier(TEST_SECRET).verify(call.headers[INTERNAL_HEADER])
    assert principal.subject == "service:partner-registry"
