"""Load shedding: past a service's in-flight bound (and a short queue), a fast 503 with Retry-After instead
of a wait behind a saturated service; other services and the gateway's own endpoints stay answerable."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from gateway.shedding import ServiceCapacity
from prm_contracts.problem import ServiceUnavailable

from .fakes import SLOW_SECONDS
from .harness import GatewayUnderTest

pytestmark = pytest.mark.backend_independent

PROBLEM = "application/problem+json"
# /slow answers after SLOW_SECONDS; the service's answers are awaited far longer than that.
PATIENT = {"upstream_read_timeout_seconds": 10.0}


async def _timed(request: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    answer = await request
    return answer, time.monotonic() - started


async def _slow_requests(gw: GatewayUnderTest, key: str, count: int) -> list[asyncio.Task[Any]]:
    tasks = [
        asyncio.create_task(_timed(gw.client.get("/v1/partners/slow", headers=gw.bearer(key))))
        for _ in range(count)
    ]
    await asyncio.sleep(0.1)  # all have reached the gateway
    return tasks


@pytest.mark.asyncio
async def test_past_the_bound_and_the_queue_callers_get_a_fast_503_with_retry_after(
    gateway_with: Any,
) -> None:
    async with gateway_with(upstream_max_in_flight=2, upstream_queue_wait_seconds=0.2, **PATIENT) as gw:
        key = await gw.key("admin")

        # 2 in flight, 2 queued (then refused after 0.2 s), 2 refused at once
        answers = await asyncio.gather(*await _slow_requests(gw, key, 6))

    served = [(answer, took) for answer, took in answers if answer.status_code == 200]
    shed = [(answer, took) for answer, took in answers if answer.status_code == 503]
    assert len(served) == 2
    assert len(shed) == 4
    for answer, took in shed:
        assert took < SLOW_SECONDS / 2  # not a wait behind the slow service
        assert answer.headers["content-type"] == PROBLEM
        assert int(answer.headers["retry-after"]) >= 1
        assert "x-request-id" in answer.headers


@pytest.mark.asyncio
async def test_a_queued_request_is_served_when_a_slot_frees_in_time(gateway_with: Any) -> None:
    async with gateway_with(upstream_max_in_flight=1, upstream_queue_wait_seconds=5.0, **PATIENT) as gw:
        key = await gw.key("admin")

        answers = await asyncio.gather(*await _slow_requests(gw, key, 2))

    assert [answer.status_code for answer, _took in answers] == [200, 200]


@pytest.mark.asyncio
async def test_other_services_and_the_gateways_own_endpoints_answer_while_one_is_saturated(
    gateway_with: Any,
) -> None:
    async with gateway_with(upstream_max_in_flight=1, upstream_queue_wait_seconds=0.1, **PATIENT) as gw:
        key = await gw.key("admin")
        saturating = await _slow_requests(gw, key, 3)

        scoring, took = await _timed(gw.client.get("/v1/scores/partners/1", headers=gw.bearer(key)))
        health = await gw.client.get("/healthz")
        ready = await gw.client.get("/readyz")
        registry = await gw.client.get("/v1/tiers", headers=gw.bearer(key))

        assert scoring.status_code == 200
        assert took < SLOW_SECONDS / 2
        assert health.status_code == 200
        assert ready.status_code == 200
        assert registry.status_code == 503  # the saturated one sheds
        await asyncio.gather(*saturating)


@pytest.mark.asyncio
async def test_with_shedding_off_every_caller_waits_its_turn(gateway_with: Any) -> None:
    async with gateway_with(upstream_max_in_flight=0, **PATIENT) as gw:
        key = await gw.key("admin")

        answers = await asyncio.gather(*await _slow_requests(gw, key, 4))

    assert [answer.status_code for answer, _took in answers] == [200] * 4


@pytest.mark.asyncio
async def test_a_slot_is_given_back_when_the_service_fails(gateway_with: Any, dead_url: str) -> None:
    async with gateway_with(
        upstream_max_in_flight=1, upstream_queue_wait_seconds=0, scoring_url=dead_url
    ) as gw:
        key = await gw.key("admin")

        first = await gw.client.get("/v1/scores/partners/1", headers=gw.bearer(key))
        second = await gw.client.get("/v1/scores/partners/1", headers=gw.bearer(key))

    assert first.status_code == second.status_code == 503
    assert "cannot be reached" in second.json()["detail"]  # not refused as saturated


@pytest.mark.asyncio
async def test_the_queue_is_no_longer_than_the_bound() -> None:
    capacity = ServiceCapacity("registry", limit=1, queue_wait_seconds=5.0)
    await capacity.acquire()
    queued = asyncio.create_task(capacity.acquire())
    await asyncio.sleep(0)

    started = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        await capacity.acquire()  # one in flight, one waiting: refused without waiting
    assert time.monotonic() - started < 0.5

    capacity.release()
    await queued
    capacity.release()
