"""CORS for the configured front-end origins, on proxied paths and the gateway's own."""

from __future__ import annotations

import json
from typing import Any

import pytest
from gateway.cors import ProblemCORSMiddleware, cors_options
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Receive, Scope, Send

PORTAL = "https://portal.example.com"
PROBLEM = "application/problem+json"


async def _never_called(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("a preflight reaches no app")


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
@pytest.mark.parametrize("path", ["/v1/partners", "/v1/admin/api-keys"])
async def test_every_preflight_has_a_request_id_and_an_access_log_line(
    gateway_with: Any, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with gateway_with(
        cors_origins=[PORTAL], access_log=True, log_format="json", log_level="INFO"
    ) as gw:
        allowed = await gw.client.options(
            path,
            headers={"Origin": PORTAL, "Access-Control-Request-Method": "GET", "X-Request-ID": "pre-ok"},
        )
        refused = await gw.client.options(
            path,
            headers={
                "Origin": "https://evil.example",
                "Access-Control-Request-Method": "GET",
                "X-Request-ID": "pre-no",
            },
        )
        gw.app.state.access_log.flush()

    assert (allowed.status_code, allowed.headers["x-request-id"]) == (200, "pre-ok")
    assert (refused.status_code, refused.headers["x-request-id"]) == (400, "pre-no")
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"pre-' in line]
    assert sorted((line["request_id"], line["method"], line["path"], line["status"]) for line in logged) == [
        ("pre-no", "OPTIONS", path, 400),
        ("pre-ok", "OPTIONS", path, 200),
    ]


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/v1/partners", "/v1/admin/api-keys"])
async def test_a_preflight_from_another_origin_is_a_400_problem_with_the_request_id(
    gateway_with: Any, path: str
) -> None:
    async with gateway_with(cors_origins=[PORTAL]) as gw:
        answer = await gw.client.options(
            path,
            headers={
                "Origin": "https://evil.example",
                "Access-Control-Request-Method": "GET",
                "X-Request-ID": "cors-1",
            },
        )

        assert answer.status_code == 400
        assert answer.headers["content-type"] == PROBLEM
        assert answer.headers["x-request-id"] == "cors-1"
        assert "access-control-allow-origin" not in answer.headers
        assert "Origin" in answer.headers["vary"]
        problem = answer.json()
        assert (problem["status"], problem["title"], problem["instance"]) == (400, "Bad request", path)
        assert problem["type"].endswith("/bad-request")
        assert problem["detail"] == "CORS preflight refused: the origin https://evil.example is not allowed"


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/v1/partners", "/v1/admin/api-keys"])
async def test_a_preflight_asking_for_headers_not_allowed_is_told_which(gateway_with: Any, path: str) -> None:
    async with gateway_with(cors_origins=[PORTAL]) as gw:
        answer = await gw.client.options(
            path,
            headers={
                "Origin": PORTAL,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, x-debug, content-type, X-Trace",
            },
        )

        assert answer.status_code == 400
        assert answer.headers["content-type"] == PROBLEM
        assert len(answer.headers["x-request-id"]) == 32  # made by the gateway: the caller sent none
        assert answer.json()["detail"] == (
            "CORS preflight refused: the request headers x-debug, x-trace are not allowed (allowed: Accept, "
            "Accept-Language, Authorization, Content-Language, Content-Type, Idempotency-Key, If-Match, "
            "If-None-Match, X-Request-ID)"
        )


@pytest.mark.asyncio
async def test_a_preflight_for_a_method_not_allowed_is_told_so_with_whatever_else_is_refused(
    gateway_with: Any,
) -> None:
    async with gateway_with(cors_origins=[PORTAL]) as gw:
        answer = await gw.client.options(
            "/v1/tiers",
            headers={
                "Origin": "https://evil.example",
                "Access-Control-Request-Method": "TRACE",
                "Access-Control-Request-Headers": "x-debug",
            },
        )

        assert answer.status_code == 400
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["detail"] == (
            "CORS preflight refused: the origin https://evil.example is not allowed; the method TRACE is not "
            "allowed (allowed: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS); the request header x-debug is "
            "not allowed (allowed: Accept, Accept-Language, Authorization, Content-Language, Content-Type, "
            "Idempotency-Key, If-Match, If-None-Match, X-Request-ID)"
        )


@pytest.mark.parametrize(
    "preflight",
    [
        {"origin": PORTAL, "access-control-request-method": "GET"},
        {"origin": PORTAL, "access-control-request-method": "get"},
        {"origin": "https://evil.example", "access-control-request-method": "GET"},
        {
            "origin": PORTAL,
            "access-control-request-method": "PATCH",
            "access-control-request-headers": "If-Match",
        },
        {"origin": PORTAL, "access-control-request-method": "GET", "access-control-request-headers": "x-a"},
        {
            "origin": PORTAL,
            "access-control-request-method": "GET",
            "access-control-request-headers": "accept,",
        },
        {"origin": PORTAL, "access-control-request-method": "GET", "access-control-request-headers": ""},
        {
            "origin": PORTAL,
            "access-control-request-method": "GET",
            "access-control-request-private-network": "true",
        },
    ],
)
def test_a_preflight_is_refused_exactly_when_starlette_would_refuse_it(preflight: dict[str, str]) -> None:
    cors = ProblemCORSMiddleware(_never_called, **cors_options([PORTAL]))
    headers = Headers(headers=preflight)

    refused = cors.preflight_refusals(headers)

    assert bool(refused) == (CORSMiddleware.preflight_response(cors, headers).status_code == 400)


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
