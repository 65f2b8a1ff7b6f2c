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


async def test_refreshed_asks_again_only_what_was_fetched_a_second_ago_or_more(
    http: tuple[FakeRegistry, httpx.AsyncClient],
) -> None:
    fake, client = http
    ticks = Ticks()
    cache = WebhookSecretCache(RegistryClient(client), ttl_seconds=30, monotonic=ticks)
    partner_id, _secret = fake.partner()
    never_fetched = await cache.refreshed(partner_id)
    await cache.get(partner_id)
    issued = "whsec_" + "A" * 32
    fake.add_secret(partner_id, issued)

    too_soon = await cache.refreshed(partner_id)
    ticks.now += REFETCH_AFTER_SECONDS
    renewed = await cache.refreshed(partner_id)
    kept = await cache.get(partner_id)

    assert (never_fetched, too_soon) == (None, None)
    assert renewed is not None
    assert renewed.secrets[0].secret == issued
    assert kept is renewed  # the renewed answer is kept for the ttl
    assert len(fake.requests) == 2
