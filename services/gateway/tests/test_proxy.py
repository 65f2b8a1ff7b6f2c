"""The proxy path: routing, what reaches the service, request ids, body limits, upstream failures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from .fakes import LARGE_BODY_BYTES
from .harness import GatewayUnderTest

PROBLEM = "application/problem+json"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/v1/partners", "registry"),
        ("/v1/deal-registrations/7", "registry"),
        ("/v1/conflict-cases", "registry"),
        ("/v1/tiers", "registry"),
        ("/v1/certifications/x", "registry"),
        ("/v1/scores/partners/1", "scoring"),
        ("/v1/tier-recommendations", "scoring"),
        ("/v1/programmes", "incentives"),
        ("/v1/fx-rates", "analytics"),
        ("/v1/kpis/partners/1", "analytics"),
        ("/v1/market", "analytics"),
    ],
)
async def test_each_prefix_reaches_the_service_that_owns_it(
    gw: GatewayUnderTest, path: str, service: str
) -> None:
    key = await gw.key("admin")

    answer = await gw.client.get(path, headers=gw.bearer(key))

    assert answer.status_code == 200
    assert answer.json()["service"] == service
    assert answer.headers["x-upstream"] == service


@pytest.mark.asyncio
async def test_path_query_body_and_headers_arrive_intact_with_the_verified_principal(
    gw: GatewayUnderTest,
) -> None:
    key = await gw.key("partners:write")

    answer = await gw.client.post(
        "/v1/partners/a%20b/contacts?q=caf%C3%A9&limit=2&limit=3",
        headers={
            **gw.bearer(key),
            "X-Custom": "kept",
            "Content-Type": "application/json",
            "x-prm-principal": "forged-by-the-caller",
        },
        content=b'{"name": "Acme"}',
    )

    assert answer.status_code == 201
    seen = answer.json()
    assert seen["method"] == "POST"
    assert seen["path"] == "/v1/partners/a b/contacts"
    assert seen["raw_path"] == "/v1/partners/a%20b/contacts"
    assert seen["query"] == "q=caf%C3%A9&limit=2&limit=3"
    assert seen["body"] == '{"name": "Acme"}'
    assert seen["headers"]["x-custom"] == "kept"
    assert seen["headers"]["content-type"] == "application/json"
    assert seen["headers"]["content-length"] == "16"
    assert "authorization" not in seen["headers"]
    assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert seen["principal"]["subject"].startswith("key:")
    assert seen["principal"]["scopes"] == ["partners:write"]
    assert seen["principal"]["partner_id"] is None


@pytest.mark.asyncio
async def test_a_callers_request_id_goes_downstream_and_comes_back(gw: GatewayUnderTest) -> None:
    key = await gw.key("admin")

    answer = await gw.client.get("/v1/partners", headers={**gw.bearer(key), "X-Request-ID": "trace-42.a:b"})

    assert answer.headers["x-request-id"] == "trace-42.a:b"
    assert answer.json()["headers"]["x-request-id"] == "trace-42.a:b"


@pytest.mark.asyncio
async def test_without_a_usable_request_id_the_gateway_makes_one_and_propagates_it(
    gw: GatewayUnderTest,
) -> None:
    key = await gw.key("admin")

    answer = await gw.client.get(
        "/v1/partners", headers={**gw.bearer(key), "X-Request-ID": "bad id with spaces"}
    )

    made = answer.headers["x-request-id"]
    assert len(made) == 32
    assert int(made, 16) >= 0
    assert answer.json()["headers"]["x-request-id"] == made
    assert answer.headers.get_list("x-request-id") == [made]  # the service's own id header is replaced


@pytest.mark.asyncio
async def test_errors_carry_the_request_id_too(gw: GatewayUnderTest) -> None:
    answer = await gw.client.get("/v1/partners", headers={"X-Request-ID": "err-1"})

    assert answer.status_code == 401
    assert answer.headers["x-request-id"] == "err-1"


@pytest.mark.asyncio
async def test_an_unknown_v1_path_is_a_404_problem(gw: GatewayUnderTest) -> None:
    key = await gw.key("admin")

    answer = await gw.client.get("/v1/nothing-here/1", headers=gw.bearer(key))

    assert answer.status_code == 404
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["status"] == 404


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/v1/partners/%2e%2e/%2e%2e/internal", "/v1/partners//x"])
async def test_dot_and_empty_segments_are_refused(gw: GatewayUnderTest, path: str) -> None:
    key = await gw.key("admin")

    answer = await gw.client.get(path, headers=gw.bearer(key))

    assert answer.status_code == 404
    assert answer.headers["content-type"] == PROBLEM


@pytest.mark.asyncio
async def test_a_services_error_answer_passes_through_unchanged(gw: GatewayUnderTest) -> None:
    key = await gw.key("admin")

    answer = await gw.client.put("/v1/tiers/gold/conflict", headers=gw.bearer(key), json={"x": 1})

    assert answer.status_code == 409
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["detail"] == "the service's own answer"


@pytest.mark.asyncio
async def test_a_large_answer_streams_back_whole(gw: GatewayUnderTest) -> None:
    key = await gw.key("admin")

    answer = await gw.client.get("/v1/exports/large", headers=gw.bearer(key))

    assert answer.status_code == 200
    assert len(answer.content) == LARGE_BODY_BYTES


@pytest.mark.asyncio
async def test_a_body_over_the_limit_by_content_length_is_refused_before_reading(gateway_with: Any) -> None:
    async with gateway_with(max_body_bytes=1000) as gw:
        key = await gw.key("admin")

        answer = await gw.client.post("/v1/partners", headers=gw.bearer(key), content=b"x" * 1001)

        assert answer.status_code == 413
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["detail"] == "the request body may have at most 1000 bytes"


@pytest.mark.asyncio
async def test_a_body_at_the_limit_passes(gateway_with: Any) -> None:
    async with gateway_with(max_body_bytes=1000) as gw:
        key = await gw.key("admin")

        answer = await gw.client.post("/v1/partners", headers=gw.bearer(key), content=b"x" * 1000)

        assert answer.status_code == 201
        assert len(answer.json()["body"]) == 1000


async def _chunks(count: int, size: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"y" * size


@pytest.mark.asyncio
async def test_a_chunked_body_is_streamed_through(gateway_with: Any) -> None:
    async with gateway_with(max_body_bytes=1000) as gw:
        key = await gw.key("admin")

        answer = await gw.client.post("/v1/partners", headers=gw.bearer(key), content=_chunks(4, 250))

        assert answer.status_code == 201
        assert answer.json()["body"] == "y" * 1000
        assert "content-length" not in answer.json()["headers"]


@pytest.mark.asyncio
async def test_a_chunked_body_over_the_limit_is_counted_and_refused(gateway_with: Any) -> None:
    async with gateway_with(max_body_bytes=1000) as gw:
        key = await gw.key("admin")

        answer = await gw.client.post("/v1/partners", headers=gw.bearer(key), content=_chunks(5, 250))

        assert answer.status_code == 413
        assert answer.headers["content-type"] == PROBLEM


@pytest.mark.asyncio
async def test_a_stopped_service_is_a_503_with_retry_after(gateway_with: Any, dead_url: str) -> None:
    async with gateway_with(scoring_url=dead_url) as gw:
        key = await gw.key("admin")

        answer = await gw.client.get(
            "/v1/scores/partners/1", headers={**gw.bearer(key), "X-Request-ID": "r-503"}
        )

        assert answer.status_code == 503
        assert answer.headers["content-type"] == PROBLEM
        assert answer.headers["retry-after"] == "5"
        assert answer.headers["x-request-id"] == "r-503"
        assert answer.json()["detail"] == "the scoring service cannot be reached; retry later"


@pytest.mark.asyncio
async def test_a_slow_service_is_a_504(gateway_with: Any) -> None:
    async with gateway_with(upstream_read_timeout_seconds=0.3) as gw:
        key = await gw.key("admin")

        answer = await gw.client.get("/v1/payouts/slow", headers=gw.bearer(key))

        assert answer.status_code == 504
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["detail"] == "the incentives service did not answer in time"


@pytest.mark.asyncio
async def test_the_access_log_has_one_json_line_per_proxied_request(
    gateway_with: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    async with gateway_with(access_log=True, log_format="json", log_level="INFO") as gw:
        key = await gw.key("admin")
        await gw.client.get("/v1/kpis?x=1", headers={**gw.bearer(key), "X-Request-ID": "logged-1"})
        gw.app.state.access_log.flush()

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"logged-1"' in line]
    assert len(lines) == 1
    assert {k: v for k, v in lines[0].items() if k not in {"timestamp", "duration_ms"}} == {
        "event": "request",
        "level": "info",
        "service": "gateway",
        "method": "GET",
        "path": "/v1/kpis",
        "status": 200,
        "request_id": "logged-1",
        "upstream": "analytics",
    }
    assert lines[0]["timestamp"].endswith("Z")


@pytest.mark.asyncio
async def test_an_unexpected_failure_is_a_500_problem_with_the_request_id(gw: GatewayUnderTest) -> None:
    key = await gw.key("admin")
    gw.app.state.proxy._base_urls.clear()  # a defect: no address for any service

    answer = await gw.client.get("/v1/partners", headers={**gw.bearer(key), "X-Request-ID": "boom-1"})

    assert answer.status_code == 500
    assert answer.headers["content-type"] == PROBLEM
    assert answer.headers["x-request-id"] == "boom-1"
    assert (
        answer.json()["detail"] == "an unexpected error occurred; quote request id boom-1 when reporting it"
    )


@pytest.mark.asyncio
async def test_an_import_is_streamed_past_the_body_limit_up_to_the_import_limit(gateway_with: Any) -> None:
    async with gateway_with(max_body_bytes=1000, max_import_body_bytes=5000) as gw:
        key = await gw.key("admin")

        chunked = await gw.client.post("/v1/sales/imports", headers=gw.bearer(key), content=_chunks(20, 250))
        sized = await gw.client.post("/v1/sales/imports", headers=gw.bearer(key), content=b"z" * 5000)
        other = await gw.client.post("/v1/sales/lines", headers=gw.bearer(key), content=b"z" * 1001)

        assert chunked.status_code == 201, chunked.text
        assert (chunked.json()["service"], chunked.json()["body"]) == ("analytics", "y" * 5000)
        assert sized.status_code == 201
        assert sized.json()["body"] == "z" * 5000
        assert sized.json()["headers"]["content-length"] == "5000"
        assert other.status_code == 413  # only imports get the larger allowance


@pytest.mark.asyncio
@pytest.mark.parametrize("framing", ["chunked", "content-length"])
async def test_an_import_over_the_import_limit_is_a_413(gateway_with: Any, framing: str) -> None:
    async with gateway_with(max_body_bytes=1000, max_import_body_bytes=5000) as gw:
        key = await gw.key("admin")
        body: Any = _chunks(21, 250) if framing == "chunked" else b"z" * 5001

        answer = await gw.client.post("/v1/fx-rates/imports", headers=gw.bearer(key), content=body)

        assert answer.status_code == 413
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["detail"] == "the request body may have at most 5000 bytes"


async def _paced(pieces: int, pause: float) -> AsyncIterator[bytes]:
    for _ in range(pieces):
        await asyncio.sleep(pause)
        yield b"p" * 100


@pytest.mark.asyncio
async def test_an_imports_body_deadline_runs_from_each_piece_not_from_the_start(gateway_with: Any) -> None:
    async with gateway_with(request_body_timeout_seconds=0.5) as gw:
        key = await gw.key("admin")

        # 8 pieces 0.15 s apart: 1.2 s in all, more than the deadline, never 0.5 s without a piece
        steady = await gw.client.post("/v1/sales/imports", headers=gw.bearer(key), content=_paced(8, 0.15))
        stalled = await gw.client.post("/v1/sales/imports", headers=gw.bearer(key), content=_paced(2, 0.8))

        assert steady.status_code == 201, steady.text
        assert steady.json()["body"] == "p" * 800
        assert stalled.status_code == 408
        assert stalled.headers["content-type"] == PROBLEM
