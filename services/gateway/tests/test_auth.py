"""Authentication and scopes on the proxy path, and the webhook path that needs no key."""

from __future__ import annotations

from uuid import UUID

import pytest
from gateway.api_keys import service
from prm_kit.clock import utc_now

from .harness import GatewayUnderTest

PROBLEM = "application/problem+json"


@pytest.mark.asyncio
async def test_no_key_is_a_401_problem_with_a_bearer_challenge(gw: GatewayUnderTest) -> None:
    answer = await gw.client.get("/v1/partners")

    assert answer.status_code == 401
    assert answer.headers["content-type"] == PROBLEM
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json() == {
        "type": "/problems/unauthorized",
        "title": "Authentication required",
        "status": 401,
        "detail": "send an API key: 'Authorization: Bearer prm_…'",
        "instance": "/v1/partners",
    }


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer prm_abcdefgh_" + "A" * 40,  # well-formed, unknown
        "Bearer not-a-key",
        "Basic dXNlcjpwYXNz",
        "Bearer",
    ],
)
async def test_an_unknown_or_malformed_key_is_a_401(gw: GatewayUnderTest, authorization: str) -> None:
    answer = await gw.client.get("/v1/partners", headers={"Authorization": authorization})

    assert answer.status_code == 401
    assert answer.headers["content-type"] == PROBLEM
    assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.asyncio
async def test_a_key_with_the_right_secret_but_another_id_is_refused(gw: GatewayUnderTest) -> None:
    key = await gw.key("admin")
    other = await gw.key("admin")
    spliced = key[:13] + other[13:]  # the first key's id with the second key's secret

    answer = await gw.client.get("/v1/partners", headers=gw.bearer(spliced))

    assert answer.status_code == 401


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("scopes", "method", "path", "status"),
    [
        (("scoring:read",), "GET", "/v1/partners", 403),
        (("scoring:read",), "GET", "/v1/scores/partners/1", 200),
        (("scoring:read",), "POST", "/v1/scores/batch", 201),  # it only reads (the fake answers POST 201)
        (("scoring:read",), "POST", "/v1/tier-recommendations/runs", 403),
        (("scoring:read",), "HEAD", "/v1/evaluation-models", 200),
        (("scoring:write",), "GET", "/v1/assessments", 200),  # write implies read
        (("scoring:write",), "POST", "/v1/assessments", 201),
        (("partners:read",), "GET", "/v1/territories", 200),
        (("partners:read",), "GET", "/v1/tiers", 403),  # tiers are their own resource
        (("tiers:read",), "GET", "/v1/tiers", 200),
        (("conflicts:write",), "PATCH", "/v1/conflict-cases/1", 200),
        (("deal-registrations:read",), "DELETE", "/v1/deal-registrations/1", 403),
        (("incentives:read", "analytics:read"), "GET", "/v1/kpis", 200),
        (("admin",), "DELETE", "/v1/payouts/1", 200),
    ],
)
async def test_each_route_needs_its_resources_scope(
    gw: GatewayUnderTest, scopes: tuple[str, ...], method: str, path: str, status: int
) -> None:
    key = await gw.key(*scopes)

    answer = await gw.client.request(method, path, headers=gw.bearer(key))

    assert answer.status_code == status
    if status == 403:
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["detail"].startswith("this operation needs the scope '")


@pytest.mark.asyncio
async def test_a_partner_bound_key_sends_its_partner_downstream(gw: GatewayUnderTest) -> None:
    partner_id = UUID("6f1c1b1e-2d2b-4c59-9d35-0c2f1f0b9a11")
    key = await gw.key("deal-registrations:write", partner_id=partner_id)

    answer = await gw.client.post("/v1/deal-registrations", headers=gw.bearer(key), json={})

    principal = answer.json()["principal"]
    assert principal["partner_id"] == str(partner_id)
    assert principal["scopes"] == ["deal-registrations:write"]


@pytest.mark.asyncio
async def test_revoking_through_the_admin_api_stops_a_cached_key_at_once(gw: GatewayUnderTest) -> None:
    admin = await gw.key("admin")
    user, plaintext = await service.create_key(
        gw.session, now=utc_now(), name="to-revoke", scopes=["partners:read"]
    )
    warm = await gw.client.get("/v1/partners", headers=gw.bearer(plaintext))  # the key is cached now
    assert warm.status_code == 200

    revoked = await gw.client.post(f"/v1/admin/api-keys/{user.id}/revoke", headers=gw.bearer(admin))
    answer = await gw.client.get("/v1/partners", headers=gw.bearer(plaintext))

    assert revoked.status_code == 200
    assert answer.status_code == 401
    assert answer.headers["content-type"] == PROBLEM


@pytest.mark.asyncio
async def test_a_key_revoked_elsewhere_stops_working_when_its_cache_entry_expires(
    gateway_with: object,
) -> None:
    async with gateway_with(key_cache_ttl_seconds=0) as gw:  # type: ignore[operator]
        user, plaintext = await service.create_key(
            gw.session, now=utc_now(), name="cli-revoked", scopes=["partners:read"]
        )
        assert (await gw.client.get("/v1/partners", headers=gw.bearer(plaintext))).status_code == 200

        # as `prm keys revoke` does, bypassing this process
        await service.revoke_key(gw.session, user.id, now=utc_now())
        answer = await gw.client.get("/v1/partners", headers=gw.bearer(plaintext))

        assert answer.status_code == 401


@pytest.mark.asyncio
async def test_webhooks_need_no_key_and_arrive_as_the_anonymous_webhook_principal(
    gw: GatewayUnderTest,
) -> None:
    answer = await gw.client.post(
        "/v1/webhooks/sales",
        headers={"webhook-id": "msg_1", "webhook-signature": "v1,abc", "Authorization": "Bearer whatever"},
        content=b'{"lines": []}',
    )

    assert answer.status_code == 201
    seen = answer.json()
    assert seen["service"] == "analytics"
    assert seen["principal"] == {"subject": "webhook:anonymous", "scopes": [], "partner_id": None}
    assert seen["headers"]["webhook-signature"] == "v1,abc"
    assert seen["body"] == '{"lines": []}'
    assert "authorization" not in seen["headers"]


@pytest.mark.asyncio
async def test_the_public_application_form_needs_no_key_and_grants_only_submitting(
    gw: GatewayUnderTest,
) -> None:
    answer = await gw.client.post("/v1/applications", content=b'{"company": {}}')

    assert answer.status_code == 201
    seen = answer.json()
    assert seen["service"] == "registry"
    assert seen["principal"] == {
        "subject": "public:applicant",
        "scopes": ["applications:submit"],
        "partner_id": None,
    }


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/applications"), ("GET", "/v1/applications/abc"), ("POST", "/v1/applications/abc/approval")],
)
async def test_everything_else_about_applications_still_needs_a_key(
    gw: GatewayUnderTest, method: str, path: str
) -> None:
    answer = await gw.client.request(method, path)

    assert answer.status_code == 401


@pytest.mark.asyncio
async def test_an_application_sent_with_a_key_is_checked_as_that_key(gw: GatewayUnderTest) -> None:
    reader = await gw.key("partners:read")

    refused = await gw.client.post("/v1/applications", content=b"{}", headers=gw.bearer(reader))
    bad_key = await gw.client.post(
        "/v1/applications", content=b"{}", headers={"Authorization": "Bearer nope"}
    )

    assert refused.status_code == 403
    assert bad_key.status_code == 401  # a wrong key is not quietly downgraded to the public form
