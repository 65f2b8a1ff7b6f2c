"""`/v1/admin/api-keys`: create (plaintext once), list, get, revoke; admin-only, problem+json errors."""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from gateway.api_keys.key_format import parse_key
from gateway.api_keys.models import ApiKey

from .conftest import GatewayFactory
from .harness import GatewayUnderTest

PROBLEM = "application/problem+json"
BASE = "/v1/admin/api-keys"


@pytest.mark.asyncio
async def test_a_created_key_is_shown_once_and_works(gw: GatewayUnderTest) -> None:
    admin = await gw.key("admin")
    partner_id = "0b7c8c39-55a4-4a8b-9d8e-3f0e2b7b6a01"

    created = await gw.client.post(
        BASE,
        headers=gw.bearer(admin),
        json={
            "name": " portal ",
            "scopes": ["partners:read", "partners:read", "tiers:read"],
            "partner_id": partner_id,
        },
    )

    assert created.status_code == 201
    body = created.json()
    plaintext = body["key"]
    assert plaintext.startswith(body["prefix"] + "_")
    assert len(body["prefix"]) == len("prm_") + 8
    assert body["name"] == "portal"
    assert body["scopes"] == ["partners:read", "tiers:read"]
    assert body["partner_id"] == partner_id
    assert body["revoked_at"] is None
    used = await gw.client.get("/v1/tiers", headers=gw.bearer(plaintext))
    assert used.status_code == 200
    assert used.json()["principal"] == {
        "subject": f"key:{body['id']}",
        "scopes": ["partners:read", "tiers:read"],
        "partner_id": partner_id,
    }

    listed = await gw.client.get(BASE, headers=gw.bearer(admin), params={"limit": 200})
    fetched = await gw.client.get(created.headers["Location"], headers=gw.bearer(admin))
    assert created.headers["Location"] == f"{BASE}/{body['id']}"
    assert plaintext not in listed.text
    assert plaintext not in fetched.text
    assert "key" not in fetched.json()
    assert fetched.json() == {k: v for k, v in body.items() if k != "key"}


@pytest.mark.asyncio
async def test_listing_pages_through_every_key_in_creation_order(gw: GatewayUnderTest) -> None:
    admin = await gw.key("admin", name="admin")
    for number in range(4):
        await gw.key("partners:read", name=f"k{number}")

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await gw.client.get(BASE, headers=gw.bearer(admin), params=params)).json()
        assert len(page["items"]) <= 2
        seen += [item["name"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    # the shared test database may hold committed keys from other tests (bootstrap); ours come last, in order
    assert seen[-5:] == ["admin", "k0", "k1", "k2", "k3"]


@pytest.mark.asyncio
async def test_a_foreign_cursor_is_a_422_problem(gw: GatewayUnderTest) -> None:
    admin = await gw.key("admin")

    answer = await gw.client.get(BASE, headers=gw.bearer(admin), params={"cursor": "eyJ4IjoxfQ"})

    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM


@pytest.mark.asyncio
async def test_revoking_sets_revoked_at_once_and_stays(gw: GatewayUnderTest) -> None:
    admin = await gw.key("admin")
    created = (
        await gw.client.post(BASE, headers=gw.bearer(admin), json={"name": "x", "scopes": ["admin"]})
    ).json()

    first = await gw.client.post(f"{BASE}/{created['id']}/revoke", headers=gw.bearer(admin))
    again = await gw.client.post(f"{BASE}/{created['id']}/revoke", headers=gw.bearer(admin))

    assert first.status_code == 200
    assert first.json()["revoked_at"] is not None
    assert again.json()["revoked_at"] == first.json()["revoked_at"]
    assert (await gw.client.get(BASE, headers=gw.bearer(created["key"]))).status_code == 401


@pytest.mark.asyncio
async def test_revoking_an_unknown_key_is_a_404_problem(gw: GatewayUnderTest) -> None:
    admin = await gw.key("admin")

    answer = await gw.client.post(f"{BASE}/{UUID(int=7)}/revoke", headers=gw.bearer(admin))

    assert answer.status_code == 404
    assert answer.headers["content-type"] == PROBLEM


@pytest.mark.asyncio
async def test_unknown_scopes_are_a_422_naming_each(gw: GatewayUnderTest) -> None:
    admin = await gw.key("admin")

    answer = await gw.client.post(
        BASE,
        headers=gw.bearer(admin),
        json={"name": "x", "scopes": ["partners:read", "root", "tiers:delete"]},
    )

    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    locations = [issue["loc"] for issue in answer.json()["errors"]]
    assert locations == [["body", "scopes", 1], ["body", "scopes", 2]]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body", [{"name": "x", "scopes": []}, {"name": "", "scopes": ["admin"]}, {"scopes": ["admin"]}]
)
async def test_other_invalid_bodies_are_422_problems(gw: GatewayUnderTest, body: dict[str, object]) -> None:
    admin = await gw.key("admin")

    answer = await gw.client.post(BASE, headers=gw.bearer(admin), json=body)

    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM


@pytest.mark.asyncio
async def test_an_unknown_field_is_a_422_naming_it_and_no_key_is_made(gw: GatewayUnderTest) -> None:
    admin = await gw.key("admin")
    before = (await gw.client.get(BASE, headers=gw.bearer(admin), params={"limit": 200})).json()["items"]

    answer = await gw.client.post(
        BASE,
        headers=gw.bearer(admin),
        json={"name": "expiring", "scopes": ["partners:read"], "expires_at": "2030-01-01"},
    )

    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    [issue] = answer.json()["errors"]
    assert (issue["loc"], issue["type"]) == (["body", "expires_at"], "extra_forbidden")
    after = (await gw.client.get(BASE, headers=gw.bearer(admin), params={"limit": 200})).json()["items"]
    assert after == before


@pytest.mark.asyncio
async def test_the_admin_api_needs_an_unbound_admin_key(gw: GatewayUnderTest) -> None:
    reader = await gw.key("partners:write")
    # Such keys can no longer be created; one made before that rule must still be powerless.
    bound_admin = await gw.key("admin")
    await gw.session.execute(
        sa.update(ApiKey).where(ApiKey.prefix == parse_key(bound_admin).prefix).values(partner_id=UUID(int=1))
    )

    no_key = await gw.client.get(BASE)
    not_admin = await gw.client.get(BASE, headers=gw.bearer(reader))
    bound = await gw.client.post(
        BASE, headers=gw.bearer(bound_admin), json={"name": "x", "scopes": ["admin"]}
    )

    assert no_key.status_code == 401
    assert no_key.headers["www-authenticate"] == "Bearer"
    assert not_admin.status_code == 403
    assert bound.status_code == 403
    assert {
        no_key.headers["content-type"],
        not_admin.headers["content-type"],
        bound.headers["content-type"],
    } == {PROBLEM}


@pytest.mark.asyncio
async def test_the_gateways_own_answers_carry_a_request_id(gw: GatewayUnderTest) -> None:
    admin = await gw.key("admin")

    answer = await gw.client.get(BASE, headers={**gw.bearer(admin), "X-Request-ID": "own-1"})

    assert answer.headers["x-request-id"] == "own-1"


@pytest.mark.asyncio
async def test_a_key_name_with_a_nul_character_is_a_422(gw: GatewayUnderTest) -> None:
    admin = await gw.key("admin")

    answer = await gw.client.post(
        "/v1/admin/api-keys",
        content=b'{"name": "ci\\u0000bot", "scopes": ["partners:read"]}',
        headers={**gw.bearer(admin), "content-type": "application/json"},
    )

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["body"]


@pytest.mark.asyncio
async def test_a_key_bound_to_a_partner_cannot_be_an_admin_key(gw: GatewayUnderTest) -> None:
    admin = await gw.key("admin")

    refused = await gw.client.post(
        BASE,
        headers=gw.bearer(admin),
        json={"name": "portal", "scopes": ["admin", "partners:read"], "partner_id": str(UUID(int=7))},
    )
    listed = await gw.client.get(BASE, headers=gw.bearer(admin), params={"limit": 200})

    assert refused.status_code == 422
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["errors"][0]["loc"] == ["body", "scopes"]
    assert len(listed.json()["items"]) == 1  # the admin key only: nothing stored


def _registry(known: set[UUID] | None) -> httpx.MockTransport:
    """The registry's partners as the gateway asks for them: `known` ones exist; None: unreachable."""

    def answer(request: httpx.Request) -> httpx.Response:
        if known is None:
            raise httpx.ConnectError("connection refused", request=request)
        partner_id = UUID(request.url.path.rsplit("/", 1)[1])
        if partner_id in known:
            return httpx.Response(200, json={"id": str(partner_id)})
        return httpx.Response(
            404,
            json={"type": "/problems/not-found", "title": "Not found", "status": 404, "detail": "no partner"},
            headers={"content-type": PROBLEM},
        )

    return httpx.MockTransport(answer)


@pytest.mark.asyncio
async def test_a_key_is_bound_only_to_a_partner_the_registry_knows(gateway_with: GatewayFactory) -> None:
    known, unknown = UUID(int=41), UUID(int=42)
    async with gateway_with(registry_transport=_registry({known})) as gw:
        admin = await gw.key("admin")
        refused = await gw.client.post(
            BASE,
            headers=gw.bearer(admin),
            json={"name": "portal", "scopes": ["partners:read"], "partner_id": str(unknown)},
        )
        bound = await gw.client.post(
            BASE,
            headers=gw.bearer(admin),
            json={"name": "portal", "scopes": ["partners:read"], "partner_id": str(known)},
        )
        stored = await gw.session.scalars(sa.select(ApiKey.partner_id))

        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == PROBLEM
        assert str(unknown) in refused.json()["detail"]
        assert refused.json()["errors"][0]["loc"] == ["body", "partner_id"]
        assert bound.status_code == 201, bound.text
        assert sorted(stored.all(), key=str) == sorted(
            [None, known], key=str
        )  # the admin key and the bound one


@pytest.mark.asyncio
async def test_a_registry_that_cannot_answer_is_a_503_and_no_key_is_stored(
    gateway_with: GatewayFactory,
) -> None:
    async with gateway_with(registry_transport=_registry(None)) as gw:
        admin = await gw.key("admin")
        answer = await gw.client.post(
            BASE,
            headers=gw.bearer(admin),
            json={"name": "portal", "scopes": ["partners:read"], "partner_id": str(UUID(int=43))},
        )
        count = await gw.session.scalar(sa.select(sa.func.count()).select_from(ApiKey))

        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "5"
        assert "nothing was stored" in answer.json()["detail"]
        assert count == 1  # the admin key only
