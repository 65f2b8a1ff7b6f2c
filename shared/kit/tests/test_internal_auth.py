"""Services serve only requests carrying the gateway's signed credential; routes see who is calling."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from prm_contracts.principal import Principal
from prm_contracts.problem import Unauthorized
from prm_kit.internal_auth import INTERNAL_HEADER, PrincipalDep, PrincipalVerifier, require, sign_principal
from prm_kit.testing import TEST_SECRET, rolled_back_app

AppFactory = Callable[..., FastAPI]
PARTNER = UUID("6f1c1d1e-1111-4a4a-8b8b-000000000042")
OTHER_PARTNER = UUID("6f1c1d1e-1111-4a4a-8b8b-000000000043")

router = APIRouter()


@router.get("/v1/whoami")
async def whoami(who: PrincipalDep) -> dict[str, object]:
    return {"subject": who.subject, "scopes": sorted(who.scopes), "partner_id": who.partner_id}


@router.post("/v1/partners", dependencies=[require("partners:write")])
async def create_partner() -> dict[str, str]:
    return {"created": "yes"}


@router.get("/v1/partners/{partner_id}/deals")
async def list_partner_deals(partner_id: UUID, who: PrincipalDep) -> dict[str, str]:
    return {"partner_id": str(who.partner_scope(partner_id))}


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"]
    body = response.json()
    assert (body["type"], body["title"], body["status"]) == (
        "/problems/unauthorized",
        "Authentication required",
        401,
    )


@pytest.mark.asyncio
async def test_a_request_without_the_credential_is_refused(
    kit_app: AppFactory, kit_database_url: str
) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url, principal=None) as (client, _):
        response = await client.get("/v1/whoami")

    assert_unauthorized(response)
    assert response.json()["detail"] == "this service accepts only requests forwarded by the PRM gateway"


@pytest.mark.asyncio
async def test_unknown_routes_are_refused_too_without_the_credential(
    kit_app: AppFactory, kit_database_url: str
) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url, principal=None) as (client, _):
        response = await client.get("/v1/anything")

    assert_unauthorized(response)


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
async def test_health_and_metrics_answer_without_the_credential(
    kit_app: AppFactory, kit_database_url: str, path: str
) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url, principal=None) as (client, _):
        response = await client.get(path)

    assert response.status_code == 200


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "token",
    [
        sign_principal(
            Principal(subject="key:x", scopes=frozenset({"admin"})), "another-secret-0123456789abcdef-another"
        ),
        sign_principal(Principal(subject="key:x", scopes=frozenset({"admin"})), TEST_SECRET, ttl_seconds=-60),
        "not-a-token",
        "",
    ],
    ids=["other-secret", "expired", "garbage", "empty"],
)
async def test_a_credential_that_is_forged_expired_or_garbage_is_refused(
    kit_app: AppFactory, kit_database_url: str, token: str
) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url, principal=None) as (client, _):
        response = await client.get("/v1/whoami", headers={INTERNAL_HEADER: token})

    assert_unauthorized(response)
    assert (
        response.json()["detail"]
        == "the internal credential is missing, expired or not signed by the gateway"
    )


@pytest.mark.asyncio
async def test_the_route_sees_the_verified_principal(kit_app: AppFactory, kit_database_url: str) -> None:
    caller = Principal(
        subject="key:3f2a", scopes=frozenset({"deals:write", "partners:read"}), partner_id=PARTNER
    )

    async with rolled_back_app(kit_app(router), kit_database_url, principal=caller) as (client, _):
        response = await client.get("/v1/whoami")

    assert response.status_code == 200
    assert response.json() == {
        "subject": "key:3f2a",
        "scopes": ["deals:write", "partners:read"],
        "partner_id": str(PARTNER),
    }


@pytest.mark.asyncio
async def test_a_missing_scope_is_forbidden(kit_app: AppFactory, kit_database_url: str) -> None:
    reader = Principal(subject="key:reader", scopes=frozenset({"partners:read"}))

    async with rolled_back_app(kit_app(router), kit_database_url, principal=reader) as (client, _):
        response = await client.post("/v1/partners")

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "this operation needs the scope 'partners:write'"


@pytest.mark.asyncio
async def test_the_scope_granted_lets_the_call_through(kit_app: AppFactory, kit_database_url: str) -> None:
    writer = Principal(subject="key:writer", scopes=frozenset({"partners:write"}))

    async with rolled_back_app(kit_app(router), kit_database_url, principal=writer) as (client, _):
        response = await client.post("/v1/partners")

    assert response.status_code == 200


@pytest.mark.asyncio
async def test_a_partner_bound_caller_cannot_reach_another_partner(
    kit_app: AppFactory, kit_database_url: str
) -> None:
    bound = Principal(subject="key:partner", scopes=frozenset({"deals:read"}), partner_id=PARTNER)

    async with rolled_back_app(kit_app(router), kit_database_url, principal=bound) as (client, _):
        own = await client.get(f"/v1/partners/{PARTNER}/deals")
        other = await client.get(f"/v1/partners/{OTHER_PARTNER}/deals")

    assert own.status_code == 200
    assert own.json() == {"partner_id": str(PARTNER)}
    assert other.status_code == 403
    assert other.json()["type"] == "/problems/forbidden"


def test_a_token_carries_subject_scopes_and_partner() -> None:
    sent = Principal(subject="key:abc", scopes=frozenset({"a:read", "b:write"}), partner_id=PARTNER)

    received = PrincipalVerifier(TEST_SECRET).verify(sign_principal(sent, TEST_SECRET))

    assert received == sent


def test_a_token_signed_for_someone_else_is_refused() -> None:
    sent = Principal(subject="key:abc")

    with pytest.raises(Unauthorized):
        PrincipalVerifier(TEST_SECRET).verify(sign_principal(sent, "another-secret-0123456789abcdef-another"))
