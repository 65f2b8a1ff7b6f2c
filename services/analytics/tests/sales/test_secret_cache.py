"""The webhook-secret cache: one registry request per partner per `ttl_seconds`, shared by concurrent
misses; `forget` takes effect at once; failures are not kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import UUID

import httpx
import pytest
import pytest_asyncio
from analytics.sales.secrets import REFETCH_AFTER_SECONDS, WebhookSecretCache
from prm_contracts.clients.registry import RegistryClient
from prm_contracts.problem import NotFound, ServiceUnavailable

from .fakes import FakeRegistry

pytestmark = [pytest.mark.asyncio, pytest.mark.backend_independent]


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest_asyncio.fixture
async def http() -> AsyncIterator[tuple[FakeRegistry, httpx.AsyncClient]]:
    fake = FakeRegistry()
    async with httpx.AsyncClient(base_url="http://registry.test", transport=fake.transport()) as client:
        yield fake, client


async def test_answers_are_kept_for_the_ttl(http: tuple[FakeRegistry, httpx.AsyncClient]) -> None:
    fake, client = http
    ticks = Ticks()
    cache = WebhookSecretCache(RegistryClient(client), ttl_seconds=30, monotonic=ticks)
    partner_id, secret = fake.partner()

    assert (await cache.get(partner_id)).secrets[0].secret == secret
    ticks.now += 29.9
    await cache.get(partner_id)
    assert len(fake.requests) == 1
    ticks.now += 0.2
    await cache.get(partner_id)
    assert len(fake.requests) == 2


async def test_concurrent_misses_share_one_request(http: tuple[FakeRegistry, httpx.AsyncClient]) -> None:
    fake, client = http
    cache = WebhookSecretCache(RegistryClient(client), ttl_seconds=30)
    partner_id, _secret = fake.partner()

    answers = await asyncio.gather(*(cache.get(partner_id) for _ in range(5)))

    assert len({id(answer) for answer in answers}) == 1
    assert len(fake.requests) == 1


async def test_forget_and_a_zero_ttl_ask_again(http: tuple[FakeRegistry, httpx.AsyncClient]) -> None:
    fake, client = http
    cache = WebhookSecretCache(RegistryClient(client), ttl_seconds=30)
    uncached = WebhookSecretCache(RegistryClient(client), ttl_seconds=0)
    partner_id, _secret = fake.partner()

    await cache.get(partner_id)
    cache.forget(partner_id)
    await cache.get(partner_id)
    await uncached.get(partner_id)
    await uncached.get(partner_id)

    assert len(fake.requests) == 4


async def test_failures_are_not_kept(http: tuple[FakeRegistry, httpx.AsyncClient]) -> None:
    fake, client = http
    cache = WebhookSecretCache(RegistryClient(client), ttl_seconds=30)
    partner_id, _secret = fake.partner()
    fake.mode = "unreachable"

    with pytest.raises(ServiceUnavailable):
        await cache.get(partner_id)
    fake.mode = "up"
    assert (await cache.get(partner_id)).partner_id == partner_id
    with pytest.raises(NotFound):
        await cache.get(UUID(int=1))


async def test_refreshed_asks_again_no_sooner_than_a_second_after_the_last_answer(
    http: tuple[FakeRegistry, httpx.AsyncClient],
) -> None:
    fake, client = http
    ticks = Ticks()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        ticks.now += seconds

    cache = WebhookSecretCache(RegistryClient(client), ttl_seconds=30, monotonic=ticks, sleep=sleep)
    partner_id, _secret = fake.partner()
    await cache.get(partner_id)
    ticks.now += 0.25
    issued = "whsec_" + "A" * 32
    fake.add_secret(partner_id, issued)

    renewed = await cache.refreshed(partner_id)
    kept = await cache.get(partner_id)
    ticks.now += REFETCH_AFTER_SECONDS
    again = await cache.refreshed(partner_id)

    assert renewed is not None
    assert issued in [secret.secret for secret in renewed.secrets]  # issued just after the first answer
    assert kept is renewed  # the renewed answer is kept for the ttl
    assert waits == [REFETCH_AFTER_SECONDS - 0.25]  # the second after the first answer was waited out
    assert again is not None  # a second later: no wait
    assert again is not renewed
    assert len(fake.requests) == 3


async def test_deliveries_waiting_to_renew_share_one_request(
    http: tuple[FakeRegistry, httpx.AsyncClient],
) -> None:
    fake, client = http
    ticks = Ticks()
    opened = asyncio.Event()

    async def sleep(seconds: float) -> None:
        await opened.wait()  # all five are waiting when the second is over
        ticks.now = max(ticks.now, 1000.0 + REFETCH_AFTER_SECONDS)

    cache = WebhookSecretCache(RegistryClient(client), ttl_seconds=30, monotonic=ticks, sleep=sleep)
    partner_id, _secret = fake.partner()
    await cache.get(partner_id)

    waiting = [asyncio.create_task(cache.refreshed(partner_id)) for _ in range(5)]
    await asyncio.sleep(0)
    opened.set()
    answers = await asyncio.gather(*waiting)

    assert [answer and answer.partner_id for answer in answers] == [partner_id] * 5
    assert len(fake.requests) == 2


async def test_refreshed_after_forget_asks_at_once_and_without_a_ttl_not_at_all(
    http: tuple[FakeRegistry, httpx.AsyncClient],
) -> None:
    fake, client = http
    partner_id, _secret = fake.partner()
    cache = WebhookSecretCache(RegistryClient(client), ttl_seconds=30, monotonic=Ticks())
    uncached = WebhookSecretCache(RegistryClient(client), ttl_seconds=0, monotonic=Ticks())
    await cache.get(partner_id)
    cache.forget(partner_id)  # the secrets changed while a delivery was being checked

    after_forget = await cache.refreshed(partner_id)
    without_ttl = await uncached.refreshed(partner_id)

    assert after_forget is not None
    assert without_ttl is None  # what the caller verified with was fetched for it
    assert len(fake.requests) == 2
