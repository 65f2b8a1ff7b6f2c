"""`X-Request-ID`: a caller's sane id is kept, anything else is replaced, and the id follows outgoing calls."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from prm_kit.http_clients import InternalAuth
from prm_kit.internal_auth import INTERNAL_HEADER, PrincipalVerifier
from prm_kit.testing import TEST_SECRET, rolled_back_app

AppFactory = Callable[..., FastAPI]
GENERATED = re.compile(r"[0-9a-f]{32}")

router = APIRouter()
outgoing: list[httpx.Request] = []


@router.get("/v1/echo")
async def echo() -> dict[str, str]:
    return {"ok": "yes"}


@router.get("/v1/relay")
async def relay_to_another_service() -> dict[str, str]:
    """Calls another service the way services do: through an httpx client signed with InternalAuth."""

    def other_service(request: httpx.Request) -> httpx.Response:
        outgoing.append(request)
        return httpx.Response(200, json={})

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(other_service),
        base_url="http://scoring",
        auth=InternalAuth("kittest", TEST_SECRET),
    ) as http:
        await http.get("/v1/scores/partners/1")
    return {"ok": "yes"}


@pytest.mark.asyncio
@pytest.mark.parametrize("sent", ["abc-123", "trace.id:42_X", "0123456789abcdef0123456789abcdef", "a" * 128])
async def test_a_sane_request_id_is_echoed(kit_app: AppFactory, kit_database_url: str, sent: str) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.get("/v1/echo", headers={"X-Request-ID": sent})

    assert response.status_code == 200
    assert response.headers["x-request-id"] == sent


@pytest.mark.asyncio
async def test_a_request_without_an_id_gets_a_generated_one(
    kit_app: AppFactory, kit_database_url: str
) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        first = await client.get("/v1/echo")
        second = await client.get("/v1/echo")

    assert GENERATED.fullmatch(first.headers["x-request-id"])
    assert GENERATED.fullmatch(second.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "sent",
    ["a" * 129, "has space", "semi;colon", "slash/path", "<script>", 'quote"d', "", "ümlaut"],
    ids=["too-long", "space", "semicolon", "slash", "markup", "quote", "empty", "non-ascii"],
)
async def test_a_malformed_request_id_is_replaced(
    kit_app: AppFactory, kit_database_url: str, sent: str
) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.get("/v1/echo", headers={"X-Request-ID": sent.encode("latin-1")})

    assert response.status_code == 200
    assert response.headers["x-request-id"] != sent
    assert GENERATED.fullmatch(response.headers["x-request-id"])


@pytest.mark.asyncio
async def test_outgoing_calls_carry_the_request_id_and_the_internal_credential(
    kit_app: AppFactory, kit_database_url: str
) -> None:
    outgoing.clear()
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.get("/v1/relay", headers={"X-Request-ID": "follow-me-1"})

    assert response.status_code == 200
    [call] = outgoing
    assert call.headers["x-request-id"] == "follow-me-1"
    caller = PrincipalVerifier(TEST_SECRET).verify(call.headers[INTERNAL_HEADER])
    assert caller.subject == "service:kittest"
    assert caller.scopes == frozenset({"internal"})
    assert caller.partner_id is None


@pytest.mark.asyncio
async def test_outgoing_calls_get_the_generated_id_when_the_caller_sent_none(
    kit_app: AppFactory, kit_database_url: str
) -> None:
    outgoing.clear()
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.get("/v1/relay")

    [call] = outgoing
    assert call.headers["x-request-id"] == response.headers["x-request-id"]
