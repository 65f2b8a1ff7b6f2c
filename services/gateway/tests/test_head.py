"""HEAD answers what GET would, without the body (RFC 9110 §9.3.2), on proxied paths and the gateway's own.

The stand-in services answer a HEAD 405, as a service's FastAPI routes do: the gateway asks them a GET.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from .fakes import TRICKLE_PAUSE_SECONDS, TRICKLE_PIECES
from .harness import GatewayUnderTest

PROBLEM = "application/problem+json"
# What a HEAD must answer as the GET did (the request id is sent the same with both).
SAME_AS_GET = ("content-type", "content-length", "etag", "x-request-id", "ratelimit-limit", "x-upstream")


def _shown(answer: httpx.Response, names: tuple[str, ...] = SAME_AS_GET) -> dict[str, str | None]:
    return {name: answer.headers.get(name) for name in names}


@pytest.mark.asyncio
async def test_a_proxied_head_answers_the_gets_status_and_headers_without_its_body(gateway_with: Any) -> None:
    # a token returns every 1,000 s, not every 20 ms: none between the two requests, however slow the machine
    async with gateway_with(rate_limit_per_second=0.001) as gw:
        key = await gw.key("partners:read")
        headers = {**gw.bearer(key), "X-Request-ID": "head-1"}

        got = await gw.client.get("/v1/partners/7", headers=headers)
        head = await gw.client.head("/v1/partners/7", headers=headers)

    assert got.status_code == 200
    assert got.json()["method"] == "GET"
    assert head.status_code == 200
    assert head.content == b""
    assert _shown(head) == _shown(got)
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["etag"] == 'W/"echoed"'
    assert head.headers["x-upstream"] == "registry"
    # counted like the GET: one request fewer left
    assert int(head.headers["ratelimit-remaining"]) == int(got.headers["ratelimit-remaining"]) - 1


@pytest.mark.asyncio
async def test_a_head_needs_the_read_scope_of_its_resource(gw: GatewayUnderTest) -> None:
    key = await gw.key("tiers:read")

    answer = await gw.client.head("/v1/partners", headers={**gw.bearer(key), "X-Request-ID": "head-403"})

    assert answer.status_code == 403
    assert answer.headers["content-type"] == PROBLEM
    assert answer.headers["x-request-id"] == "head-403"
    assert answer.content == b""


@pytest.mark.asyncio
async def test_a_head_where_there_is_no_get_stays_a_405_problem(gw: GatewayUnderTest) -> None:
    key = await gw.key("admin")

    answer = await gw.client.head("/v1/deal-registrations/post-only", headers=gw.bearer(key))

    assert answer.status_code == 405
    assert answer.headers["content-type"] == PROBLEM
    assert answer.headers["allow"] == "POST"
    assert "x-request-id" in answer.headers
    assert answer.content == b""


@pytest.mark.asyncio
async def test_a_head_of_a_long_export_does_not_wait_for_its_body(gw: GatewayUnderTest) -> None:
    key = await gw.key("analytics:read")
    streamed_for = TRICKLE_PIECES * TRICKLE_PAUSE_SECONDS  # 5 s of a body the HEAD does not want

    started = time.monotonic()
    head = await gw.client.head("/v1/exports/trickle", headers=gw.bearer(key))
    took = time.monotonic() - started
    after = await gw.client.get("/v1/exports/1", headers=gw.bearer(key))

    assert head.status_code == 200
    assert head.headers["content-type"] == "text/csv"
    assert head.content == b""
    assert took < streamed_for / 3, f"the HEAD took {took:.1f} s: the export's body was read"
    assert after.status_code == 200  # the pool is fine after the dropped connection


@pytest.mark.asyncio
async def test_a_proxied_head_is_logged_and_counted_as_a_head(
    gateway_with: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = {"service": "gateway", "method": "HEAD", "route": "/v1/kpis/…", "status": "200"}
    before = REGISTRY.get_sample_value("prm_http_requests_total", labels) or 0.0
    async with gateway_with(access_log=True, log_format="json", log_level="INFO") as gw:
        key = await gw.key("admin")
        await gw.client.head("/v1/kpis", headers={**gw.bearer(key), "X-Request-ID": "logged-head"})
        gw.app.state.access_log.flush()

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"logged-head"' in line]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [("HEAD", "/v1/kpis", 200)]
    assert REGISTRY.get_sample_value("prm_http_requests_total", labels) == before + 1


# --- the gateway's own endpoints ----------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "path",
    ["/healthz", "/openapi.json", "/docs", "/docs/assets/favicon.png", "/problems/bad-request"],
)
async def test_a_head_of_the_gateways_own_page_answers_as_its_get(gw: GatewayUnderTest, path: str) -> None:
    got = await gw.client.get(path, headers={"X-Request-ID": "own-head"})
    head = await gw.client.head(path, headers={"X-Request-ID": "own-head"})

    assert got.status_code == 200
    assert head.status_code == 200
    assert head.content == b""
    assert _shown(head) == _shown(got)
    assert head.headers["content-length"] == str(len(got.content))


@pytest.mark.asyncio
async def test_a_head_of_an_operation_of_the_gateway_is_checked_like_its_get(gw: GatewayUnderTest) -> None:
    admin = await gw.key("admin")

    listed = await gw.client.get("/v1/admin/api-keys", headers=gw.bearer(admin))
    head = await gw.client.head("/v1/admin/api-keys", headers=gw.bearer(admin))
    status = await gw.client.head("/v1/status", headers=gw.bearer(admin))
    keyless = await gw.client.head("/v1/status")

    assert head.status_code == 200
    assert head.content == b""
    assert _shown(head, ("content-type", "content-length", "ratelimit-limit")) == _shown(
        listed, ("content-type", "content-length", "ratelimit-limit")
    )
    assert (status.status_code, status.headers["content-type"], status.content) == (
        200,
        "application/json",
        b"",
    )
    assert "ratelimit-remaining" in status.headers
    assert keyless.status_code == 401
    assert keyless.headers["content-type"] == PROBLEM
    assert keyless.headers["www-authenticate"].startswith("Bearer")
    assert keyless.content == b""


@pytest.mark.asyncio
async def test_a_head_of_the_gateways_own_path_without_a_get_stays_a_405_problem(
    gw: GatewayUnderTest,
) -> None:
    admin = await gw.key("admin")

    answer = await gw.client.head(
        "/v1/admin/api-keys/00000000-0000-0000-0000-000000000001/revoke",
        headers={**gw.bearer(admin), "X-Request-ID": "own-405"},
    )

    assert answer.status_code == 405
    assert answer.headers["content-type"] == PROBLEM
    assert answer.headers["allow"] == "POST"
    assert answer.headers["x-request-id"] == "own-405"
    assert answer.content == b""


@pytest.mark.asyncio
async def test_a_head_of_the_gateways_own_page_is_logged_and_counted_as_a_head(
    gateway_with: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = {"service": "gateway", "method": "HEAD", "route": "/healthz", "status": "200"}
    before = REGISTRY.get_sample_value("prm_http_requests_total", labels) or 0.0
    async with gateway_with(access_log=True, log_format="json", log_level="INFO") as gw:
        await gw.client.head("/healthz", headers={"X-Request-ID": "own-logged-head"})
        gw.app.state.access_log.flush()

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"own-logged-head"' in line]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [("HEAD", "/healthz", 200)]
    assert REGISTRY.get_sample_value("prm_http_requests_total", labels) == before + 1
