"""The service answers as every PRM service does: alive, ready at head, errors as problem+json."""

import httpx
import pytest
from prm_kit.internal_auth import INTERNAL_HEADER

pytestmark = pytest.mark.asyncio


async def test_healthz_names_the_service(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "scoring"}


async def test_readyz_is_ready_with_the_database_at_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "service": "scoring",
        "database": "ok",
        "migrations": "at_head",
        "detail": None,
    }


async def test_an_unknown_route_is_a_not_found_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/nowhere")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/problems/not-found")
    assert response.json()["instance"] == "/v1/nowhere"


async def test_a_call_not_forwarded_by_the_gateway_is_refused(client: httpx.AsyncClient) -> None:
    request = client.build_request("GET", "/v1/nowhere")
    del request.headers[INTERNAL_HEADER]

    response = await client.send(request)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
