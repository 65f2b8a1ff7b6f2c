"""A typed client turns another service's problem answer back into the exception that service raised."""

from __future__ import annotations

import httpx
import pytest
from prm_contracts.clients.base import ServiceClient
from prm_contracts.health import Readiness
from prm_contracts.problem import (
    PROBLEM_MEDIA_TYPE,
    AppError,
    BadGateway,
    Conflict,
    GatewayTimeout,
    NotFound,
    ServiceUnavailable,
)


class ThingsClient(ServiceClient):
    service = "things"


def client_answering(handler: httpx.MockTransport) -> ThingsClient:
    return ThingsClient(httpx.AsyncClient(transport=handler, base_url="http://things"))


def problem_answer(error: AppError) -> httpx.Response:
    body = error.to_problem("/v1/things/1").model_dump(mode="json", exclude_none=True)
    return httpx.Response(error.status, json=body, headers={"content-type": PROBLEM_MEDIA_TYPE})


@pytest.mark.asyncio
async def test_a_problem_answer_is_raised_as_the_same_error_with_its_members() -> None:
    things = client_answering(
        httpx.MockTransport(lambda _: problem_answer(Conflict("the thing is archived", allowed=["restore"])))
    )

    with pytest.raises(Conflict) as caught:
        await things._send("POST", "/v1/things/1/archive")

    assert caught.value.detail == "the thing is archived"
    assert caught.value.extensions == {"allowed": ["restore"]}


@pytest.mark.asyncio
async def test_an_error_answer_without_a_problem_body_is_a_bad_gateway() -> None:
    things = client_answering(httpx.MockTransport(lambda _: httpx.Response(500, text="<html>oops</html>")))

    with pytest.raises(BadGateway) as caught:
        await things._send("GET", "/v1/things/1")

    assert caught.value.detail == "things answered 500 without a problem body"


@pytest.mark.asyncio
async def test_a_success_answer_that_breaks_the_contract_is_a_bad_gateway() -> None:
    things = client_answering(httpx.MockTransport(lambda _: httpx.Response(200, json={"status": "maybe"})))

    with pytest.raises(BadGateway):
        await things._json("GET", "/readyz", Readiness)


@pytest.mark.asyncio
async def test_an_unreachable_service_is_unavailable_and_a_slow_one_timed_out() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def stall(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(ServiceUnavailable, match="things is unreachable"):
        await client_answering(httpx.MockTransport(refuse))._send("GET", "/v1/things")
    with pytest.raises(GatewayTimeout, match="things did not answer in time"):
        await client_answering(httpx.MockTransport(stall))._send("GET", "/v1/things")


@pytest.mark.asyncio
async def test_not_ready_is_an_answer_not_an_error() -> None:
    body = {
        "status": "not_ready",
        "service": "things",
        "database": "ok",
        "migrations": "behind",
        "detail": "run prm migrate",
    }
    things = client_answering(httpx.MockTransport(lambda _: httpx.Response(503, json=body)))

    readiness = await things.readiness()

    assert readiness.migrations == "behind"
    assert readiness.status == "not_ready"


@pytest.mark.asyncio
async def test_a_not_found_answer_keeps_its_detail() -> None:
    things = client_answering(httpx.MockTransport(lambda _: problem_answer(NotFound("no thing 1"))))

    with pytest.raises(NotFound, match="no thing 1"):
        await things._send("GET", "/v1/things/1")
