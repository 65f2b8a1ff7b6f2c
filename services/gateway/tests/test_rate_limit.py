"""Rate limits per caller: 429 problems with Retry-After, in memory and through Redis."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis
from gateway.rate_limit import MemoryRateLimiter, RedisRateLimiter

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


needs_redis = pytest.mark.skipif(not _redis_reachable(), reason=f"Redis is not reachable at {REDIS_URL}")


def _redis(backend: str) -> dict[str, Any]:
    """The gateway's Redis settings for the backend: buckets outlive a run in Redis and other test processes
    share it, so each gateway under test keeps its keys apart (the key lookups' bucket per address too)."""
    if backend != "redis":
        return {}
    return {"redis_url": REDIS_URL, "redis_key_prefix": f"prm-test:{uuid.uuid4().hex}:"}


@pytest.mark.asyncio
@pytest.mark.parametrize("backend", ["memory", pytest.param("redis", marks=needs_redis)])
async def test_a_caller_over_its_burst_gets_429_with_retry_after(gateway_with: Any, backend: str) -> None:
    # 1 token per 100 s, burst 3: three requests pass at once; the fourth, some milliseconds e later,
    # must wait 100 - e seconds, which Retry-After rounds up to 100 (as long as e < 1 s).
    async with gateway_with(rate_limit_per_second=0.01, rate_limit_burst=3, **_redis(backend)) as gw:
        key = await gw.key("admin")
        other = await gw.key("admin")

        statuses = [
            (await gw.client.get("/v1/partners", headers=gw.bearer(key))).status_code for _ in range(3)
        ]
        limited = await gw.client.get("/v1/partners", headers=gw.bearer(key))
        someone_else = await gw.client.get("/v1/partners", headers=gw.bearer(other))

        assert statuses == [200, 200, 200]
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "application/problem+json"
        assert limited.headers["retry-after"] == "100"
        assert limited.json()["title"] == "Too many requests"
        assert someone_else.status_code == 200  # limits are per caller


@pytest.mark.asyncio
@pytest.mark.parametrize("backend", ["memory", pytest.param("redis", marks=needs_redis)])
async def test_every_answer_past_the_key_check_tells_the_callers_quota(
    gateway_with: Any, backend: str
) -> None:
    # burst 3, 1 token per 100 s: after n requests, 3 - n left and n * 100 s until the bucket is full again
    # (less the few milliseconds the requests took, rounded up to whole seconds)
    async with gateway_with(rate_limit_per_second=0.01, rate_limit_burst=3, **_redis(backend)) as gw:
        key = await gw.key("admin")

        proxied = await gw.client.get("/v1/partners", headers=gw.bearer(key))
        own = await gw.client.get("/v1/admin/api-keys", headers=gw.bearer(key))
        conflict = await gw.client.get("/v1/partners/p/conflict", headers=gw.bearer(key))  # the service's 409
        refused = await gw.client.get("/v1/partners", headers=gw.bearer(key))
        unauthenticated = await gw.client.get("/v1/partners")

    def quota(answer: Any) -> tuple[str, str, str]:
        return tuple(answer.headers[f"ratelimit-{name}"] for name in ("limit", "remaining", "reset"))

    assert [answer.status_code for answer in (proxied, own, conflict, refused)] == [200, 200, 409, 429]
    assert [quota(answer) for answer in (proxied, own, conflict, refused)] == [
        ("3", "2", "100"),
        ("3", "1", "200"),
        ("3", "0", "300"),
        ("3", "0", "300"),
    ]
    assert refused.headers["retry-after"] == "100"
    assert "ratelimit-limit" not in unauthenticated.headers  # 401: not counted against anyone's quota


@pytest.mark.asyncio
async def test_the_gateways_own_endpoints_count_against_the_same_limit(gateway_with: Any) -> None:
    async with gateway_with(rate_limit_per_second=0.01, rate_limit_burst=2) as gw:
        key = await gw.key("admin")

        first = await gw.client.get("/v1/partners", headers=gw.bearer(key))
        second = await gw.client.get("/v1/admin/api-keys", headers=gw.bearer(key))
        third = await gw.client.get("/v1/status", headers=gw.bearer(key))

        assert [first.status_code, second.status_code, third.status_code] == [200, 200, 429]
        assert third.headers["retry-after"] == "100"


@pytest.mark.asyncio
async def test_webhooks_are_limited_per_source_address(gateway_with: Any) -> None:
    async with gateway_with(rate_limit_per_second=0.01, rate_limit_burst=2) as gw:
        statuses = [(await gw.client.post("/v1/webhooks/sales", content=b"{}")).status_code for _ in range(3)]

        assert statuses == [201, 201, 429]


@pytest.mark.asyncio
async def test_refusals_past_the_key_check_count_and_tell_the_quota_too(gateway_with: Any) -> None:
    async with gateway_with(rate_limit_per_second=0.01, rate_limit_burst=5) as gw:
        reader = await gw.key("partners:read")
        admin = await gw.key("admin")

        scope_refused = await gw.client.get("/v1/programmes", headers=gw.bearer(reader))  # proxied: 403
        own_refused = await gw.client.get("/v1/admin/api-keys", headers=gw.bearer(reader))  # own: 403
        own_missing = await gw.client.get(f"/v1/admin/api-keys/{uuid.uuid4()}", headers=gw.bearer(admin))
        own_bad_query = await gw.client.get("/v1/status?zzz=1", headers=gw.bearer(admin))
        keyless_bad_query = await gw.client.get("/v1/status?zzz=1")

    answers = (scope_refused, own_refused, own_missing, own_bad_query)
    assert [answer.status_code for answer in answers] == [403, 403, 404, 422]
    # each counted: the reader's 5 tokens went 4, 3; the admin's 4, 3
    assert [answer.headers["ratelimit-remaining"] for answer in answers] == ["4", "3", "4", "3"]
    assert all(answer.headers["content-type"] == "application/problem+json" for answer in answers)
    # without a key, the 401 comes before anything about the query
    assert keyless_bad_query.status_code == 401
    assert "ratelimit-limit" not in keyless_bad_query.headers


@pytest.mark.asyncio
async def test_an_empty_memory_bucket_says_how_long_until_the_next_token() -> None:
    limiter = MemoryRateLimiter(rate=0.001, burst=2)

    first, second, third = [await limiter.acquire("a") for _ in range(3)]

    assert (first.retry_after_seconds, first.remaining, second.retry_after_seconds, second.remaining) == (
        None,
        1,
        None,
        0,
    )
    # empty after two, refilled e*0.001 tokens e seconds later: 1000 - e seconds until the next (e < 1 s)
    assert third.retry_after_seconds is not None
    assert 999 < third.retry_after_seconds <= 1000
    assert (third.limit, third.remaining) == (2, 0)
    assert 1999 < third.reset_seconds <= 2000  # two tokens to refill at one per 1000 s


@needs_redis
@pytest.mark.asyncio
async def test_redis_buckets_are_shared_by_every_limiter_on_the_same_redis() -> None:
    namespace = f"prm-test:{uuid.uuid4().hex}:"
    first = RedisRateLimiter(REDIS_URL, rate=0.001, burst=2, namespace=namespace)
    second = RedisRateLimiter(REDIS_URL, rate=0.001, burst=2, namespace=namespace)
    try:
        answers = [await first.acquire("k"), await second.acquire("k"), await first.acquire("k")]
    finally:
        await first.aclose()
        await second.aclose()

    assert [(a.retry_after_seconds, a.remaining) for a in answers[:2]] == [(None, 1), (None, 0)]
    # the second limiter saw the first one's take: empty, 1000 - e seconds until the next token (e < 1 s)
    assert answers[2].retry_after_seconds is not None
    assert 999 < answers[2].retry_after_seconds <= 1000
    assert (answers[2].limit, answers[2].remaining) == (2, 0)
    assert 1999 < answers[2].reset_seconds <= 2000


@pytest.mark.asyncio
async def test_an_unreachable_redis_leaves_each_process_limiting_on_its_own() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", rate=0.001, burst=2)
    asked: list[str] = []
    script = limiter._script

    async def counted(**arguments: Any) -> Any:
        asked.append(arguments["keys"][0])
        return await script(**arguments)

    limiter._script = counted  # type: ignore[assignment]
    try:
        answers = [await limiter.acquire("k") for _ in range(3)]
    finally:
        await limiter.aclose()

    # burst 2: two requests pass, the third waits ~1000 s for a token (rate 0.001/s), as in memory
    assert [(a.retry_after_seconds, a.remaining) for a in answers[:2]] == [(None, 1), (None, 0)]
    assert answers[2].retry_after_seconds is not None
    assert 999 < answers[2].retry_after_seconds <= 1000
    assert asked == ["prm:rate:k"]  # after one failure, Redis is not asked again for a while


@pytest.mark.asyncio
async def test_key_lookups_are_limited_per_address_so_made_up_keys_cannot_flood_the_database(
    gateway_with: Any,
) -> None:
    async with gateway_with(rate_limit_per_second=0.01, rate_limit_burst=2) as gw:
        made_up = [f"prm_abcdefg{n}_" + "Q" * 40 for n in range(3)]

        statuses = [
            (await gw.client.get("/v1/partners", headers=gw.bearer(key))).status_code for key in made_up
        ]
        repeated = await gw.client.get("/v1/partners", headers=gw.bearer(made_up[0]))

        assert statuses == [401, 401, 429]
        assert repeated.status_code == 401  # a refused key is remembered: no new look-up needed


@pytest.mark.asyncio
@pytest.mark.parametrize("backend", ["memory", pytest.param("redis", marks=needs_redis)])
async def test_public_applications_have_their_own_limit_per_address(gateway_with: Any, backend: str) -> None:
    async with gateway_with(
        public_applications_per_hour=1, public_applications_burst=2, rate_limit_burst=100, **_redis(backend)
    ) as gw:
        key = await gw.key("admin")
        public = [(await gw.client.post("/v1/applications", content=b"{}")).status_code for _ in range(3)]
        with_key = await gw.client.post("/v1/applications", content=b"{}", headers=gw.bearer(key))
        webhook = await gw.client.post("/v1/webhooks/sales", content=b"{}")

        assert public[:2] == [201, 201]
        assert public[2] == 429
        # one an hour: the next token is about an hour away (rounded up to whole seconds)
        assert (
            3590
            <= int((await gw.client.post("/v1/applications", content=b"{}")).headers["retry-after"])
            <= 3600
        )
        assert with_key.status_code == 201  # callers with keys are limited by their key's bucket
        assert webhook.status_code == 201  # and the address' other traffic by the general limit
