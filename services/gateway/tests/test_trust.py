"""What the gateway believes of what a client sends: X-Forwarded-For only from trusted proxies, one
Authorization header, revocations made elsewhere, and who may read /metrics.

In-process, every request comes from 127.0.0.1 (httpx's ASGI transport), so "a trusted proxy" below is
127.0.0.1 named in `trusted_proxies`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from gateway.api_keys import service
from gateway.callers import TrustedProxies
from gateway.config import Settings
from prm_contracts.principal import ADMIN_SCOPE, INTERNAL_SCOPE, Principal
from prm_kit.clock import utc_now
from prm_kit.testing import TEST_SECRET, internal_headers
from pydantic import ValidationError

from .harness import GatewayUnderTest

PROBLEM = "application/problem+json"
MADE_UP_KEY = "Bearer prm_abcdefgh_" + "A" * 43

# --- the client address ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded_for", "client", "trail"),
    [
        # nothing trusted: the peer, whatever the header says
        ([], "198.51.100.9", "203.0.113.1", "198.51.100.9", "198.51.100.9"),
        # an untrusted peer cannot speak for anyone
        (["10.0.0.0/8"], "198.51.100.9", "203.0.113.1", "198.51.100.9", "198.51.100.9"),
        # a trusted proxy: the address it appended
        (["10.0.0.0/8"], "10.0.0.1", "203.0.113.1", "203.0.113.1", "203.0.113.1, 10.0.0.1"),
        # what the client itself put in front is ignored: the right-most untrusted address counts
        (["10.0.0.0/8"], "10.0.0.1", "1.1.1.1, 203.0.113.1", "203.0.113.1", "203.0.113.1, 10.0.0.1"),
        # through two trusted proxies
        (
            ["10.0.0.0/8"],
            "10.0.0.1",
            "1.1.1.1, 203.0.113.1, 10.0.0.2",
            "203.0.113.1",
            "203.0.113.1, 10.0.0.2, 10.0.0.1",
        ),
        # only proxies in the chain: the first of them is the client
        (["10.0.0.0/8"], "10.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3", "10.0.0.3, 10.0.0.2, 10.0.0.1"),
        # ports and brackets are not part of the address
        (["10.0.0.0/8"], "10.0.0.1", "203.0.113.1:5000", "203.0.113.1", "203.0.113.1, 10.0.0.1"),
        (["10.0.0.0/8"], "10.0.0.1", "[2001:db8::7]:443", "2001:db8::7", "2001:db8::7, 10.0.0.1"),
        (["2001:db8::/32"], "2001:db8::1", "203.0.113.1", "203.0.113.1", "203.0.113.1, 2001:db8::1"),
        # an IPv4 peer seen on an IPv6 socket
        (["10.0.0.0/8"], "::ffff:10.0.0.1", "203.0.113.1", "203.0.113.1", "203.0.113.1, ::ffff:10.0.0.1"),
        # an empty header, or a blank entry right of the client: the peer
        (["10.0.0.0/8"], "10.0.0.1", "", "10.0.0.1", "10.0.0.1"),
        (["10.0.0.0/8"], "10.0.0.1", "203.0.113.1, ", "10.0.0.1", "10.0.0.1"),
    ],
)
def test_the_client_is_the_right_most_address_no_trusted_proxy_vouches_for_beyond(
    trusted: list[str], peer: str, forwarded_for: str, client: str, trail: str
) -> None:
    assert TrustedProxies(trusted).resolve(peer, forwarded_for) == (client, trail)


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    with pytest.raises(ValidationError, match=r"'proxy\.internal' is not an IP address or CIDR network"):
        Settings(internal_secret=TEST_SECRET, trusted_proxies="10.0.0.0/8,proxy.internal")

    settings = Settings(internal_secret=TEST_SECRET, trusted_proxies="10.0.0.0/8, 192.0.2.1")

    assert settings.trusted_proxies == ["10.0.0.0/8", "192.0.2.1"]
    assert Settings(internal_secret=TEST_SECRET).trusted_proxies == []


def test_the_launcher_leaves_forwarded_headers_to_the_gateway() -> None:
    # uvicorn's own proxy-headers middleware believes X-Forwarded-For from any local process and rewrites
    # the client address before the gateway sees the request
    from gateway.serve import server_config

    config = server_config(Settings(internal_secret=TEST_SECRET), host="127.0.0.1", port=8000)

    assert config.proxy_headers is False


@pytest.mark.asyncio
async def test_by_default_forwarded_for_neither_escapes_the_application_limit_nor_goes_downstream(
    gw: GatewayUnderTest,
) -> None:
    answers = [
        await gw.client.post("/v1/applications", content=b"{}", headers={"X-Forwarded-For": f"203.0.113.{n}"})
        for n in range(7)
    ]

    assert [a.status_code for a in answers] == [201] * 5 + [429] * 2  # the burst of 5, from one address
    assert answers[0].json()["headers"]["x-forwarded-for"] == "127.0.0.1"


@pytest.mark.asyncio
async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_application_limit(
    gateway_with: Any,
) -> None:
    async with gateway_with(trusted_proxies=["127.0.0.1"]) as gw:
        others = [
            await gw.client.post(
                "/v1/applications", content=b"{}", headers={"X-Forwarded-For": f"9.9.9.9, 203.0.113.{n}"}
            )
            for n in range(7)
        ]
        one = [
            await gw.client.post("/v1/applications", content=b"{}", headers={"X-Forwarded-For": "192.0.2.5"})
            for _ in range(6)
        ]

    assert [a.status_code for a in others] == [201] * 7
    assert others[0].json()["headers"]["x-forwarded-for"] == "203.0.113.0, 127.0.0.1"
    assert [a.status_code for a in one] == [201] * 5 + [429]


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/v1/partners", "/v1/admin/api-keys"])
async def test_made_up_keys_are_limited_per_client_address_whatever_forwarded_for_says(
    gateway_with: Any, path: str
) -> None:
    async with gateway_with(rate_limit_burst=3, rate_limit_per_second=0.01) as gw:
        answers = [
            await gw.client.get(
                path, headers={"Authorization": f"{MADE_UP_KEY[:-1]}{n}", "X-Forwarded-For": f"203.0.113.{n}"}
            )
            for n in range(5)
        ]

    assert [a.status_code for a in answers] == [401, 401, 401, 429, 429]


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/v1/partners", "/v1/admin/api-keys"])
async def test_behind_a_trusted_proxy_made_up_keys_are_limited_per_forwarded_client(
    gateway_with: Any, path: str
) -> None:
    async with gateway_with(
        rate_limit_burst=3, rate_limit_per_second=0.01, trusted_proxies=["127.0.0.0/8"]
    ) as gw:
        spread = [
            await gw.client.get(
                path, headers={"Authorization": f"{MADE_UP_KEY[:-1]}{n}", "X-Forwarded-For": f"203.0.113.{n}"}
            )
            for n in range(5)
        ]
        one = [
            await gw.client.get(
                path, headers={"Authorization": f"{MADE_UP_KEY[:-2]}x{n}", "X-Forwarded-For": "192.0.2.5"}
            )
            for n in range(5)
        ]

    assert [a.status_code for a in spread] == [401] * 5
    assert [a.status_code for a in one] == [401, 401, 401, 429, 429]


# --- one Authorization header ------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/partners"),  # proxied: it used to read the last header
        ("POST", "/v1/applications"),
        ("POST", "/v1/webhooks/sales"),
        ("GET", "/v1/admin/api-keys"),  # the gateway's own: it used to read the first
        ("GET", "/v1/status"),
    ],
)
@pytest.mark.parametrize("admin_first", [True, False])
async def test_two_authorization_headers_are_a_400_everywhere(
    gw: GatewayUnderTest, method: str, path: str, admin_first: bool
) -> None:
    admin = f"Bearer {await gw.key(ADMIN_SCOPE)}"
    pair = [admin, "Bearer nope"] if admin_first else ["Bearer nope", admin]

    answer = await gw.client.request(
        method, path, headers=[("Authorization", value) for value in pair], content=b"{}"
    )

    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["detail"] == "send one Authorization header, not several"


@pytest.mark.asyncio
async def test_two_identical_authorization_headers_are_a_400_too(gw: GatewayUnderTest) -> None:
    admin = f"Bearer {await gw.key(ADMIN_SCOPE)}"

    answer = await gw.client.get("/v1/partners", headers=[("Authorization", admin), ("Authorization", admin)])

    assert answer.status_code == 400


# --- revocations made elsewhere ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_key_revoked_outside_this_process_stops_within_the_revocation_check(
    gw: GatewayUnderTest,
) -> None:
    user, plaintext = await service.create_key(
        gw.session, now=utc_now(), name="cli", scopes=["partners:read"]
    )
    assert (await gw.client.get("/v1/partners", headers=gw.bearer(plaintext))).status_code == 200  # cached

    await service.revoke_key(gw.session, user.id, now=utc_now())  # as `prm keys revoke` does
    await asyncio.sleep(1.1)  # key_revocation_check_seconds (1 s), well within the 5 s the cache keeps keys
    answer = await gw.client.get("/v1/partners", headers=gw.bearer(plaintext))

    assert answer.status_code == 401


@pytest.mark.asyncio
async def test_other_cached_keys_keep_working_after_a_revocation_check(gw: GatewayUnderTest) -> None:
    kept = await gw.key("partners:read")
    user, gone = await service.create_key(gw.session, now=utc_now(), name="gone", scopes=["partners:read"])
    for key in (kept, gone):
        assert (await gw.client.get("/v1/partners", headers=gw.bearer(key))).status_code == 200

    await service.revoke_key(gw.session, user.id, now=utc_now())
    await asyncio.sleep(1.1)
    answers = await asyncio.gather(
        *(gw.client.get("/v1/partners", headers=gw.bearer(key)) for key in (kept, kept, gone))
    )

    assert [a.status_code for a in answers] == [200, 200, 401]


# --- /metrics ----------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_metrics_answer_a_direct_request_from_loopback_only(gw: GatewayUnderTest) -> None:
    direct = await gw.client.get("/metrics")
    relayed = await gw.client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})

    assert direct.status_code == 200
    assert "prm_http_requests_total" in direct.text
    assert relayed.status_code == 403
    assert relayed.headers["content-type"] == PROBLEM


@pytest.mark.asyncio
async def test_metrics_answer_the_configured_networks_and_a_services_credential(gateway_with: Any) -> None:
    service_credential = internal_headers(
        Principal(subject="service:prometheus", scopes=frozenset({INTERNAL_SCOPE}))
    )
    async with gateway_with(metrics_allowed_networks=["10.0.0.0/8"]) as gw:
        from_loopback = await gw.client.get("/metrics")
        with_credential = await gw.client.get("/metrics", headers=service_credential)
        with_admin_credential = await gw.client.get("/metrics", headers=internal_headers())
        with_forged = await gw.client.get("/metrics", headers={"x-prm-principal": "forged"})
        with_admin_key = await gw.client.get("/metrics", headers=gw.bearer(await gw.key(ADMIN_SCOPE)))

    assert from_loopback.status_code == 403
    assert "PRM_METRICS_ALLOWED_NETWORKS" in from_loopback.json()["detail"]
    assert with_credential.status_code == 200
    assert [with_admin_credential.status_code, with_forged.status_code, with_admin_key.status_code] == [
        403
    ] * 3
