"""Token-bucket rate limits per caller: in this process by default, shared through Redis when configured.

Each caller (an API key, or the source IP of a webhook) has a bucket of `burst` tokens refilled at `rate`
per second; a request takes one. `acquire` answers the bucket's `Quota` after the request: allowed or, when
empty, the seconds until a token is back (the 429's `Retry-After`); and what every answer tells the caller
in its `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` headers (draft-ietf-httpapi-ratelimit-
headers), so that a client can pace itself before it is refused.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Protocol

import structlog
from prm_contracts.problem import RateLimited
from redis.asyncio import Redis
from redis.exceptions import RedisError

_log = structlog.get_logger("rate_limit")


@dataclass(slots=True)  # not frozen: a frozen dataclass sets each field through object.__setattr__
class Quota:
    """A caller's bucket after one request."""

    limit: int  # the burst: requests that may be made at once
    remaining: int  # whole requests left now
    reset_seconds: int  # until the bucket is full again
    retry_after_seconds: float | None  # None: this request was allowed

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """`headers()` as an ASGI answer's start message carries them (made on every proxied answer)."""
        return [
            (b"ratelimit-limit", b"%d" % self.limit),
            (b"ratelimit-remaining", b"%d" % self.remaining),
            (b"ratelimit-reset", b"%d" % self.reset_seconds),
        ]


def quota_of(tokens: float, *, rate: float, burst: float, retry_after_seconds: float | None) -> Quota:
    """The quota of a bucket holding `tokens` (0 <= tokens <= burst)."""
    return Quota(
        limit=int(burst),
        remaining=int(tokens),
        reset_seconds=math.ceil(max(burst - tokens, 0.0) / rate),
        retry_after_seconds=retry_after_seconds,
    )


class RateLimiter(Protocol):
    async def acquire(self, key: str) -> Quota:
        """The bucket after taking a token for this request."""
        ...

    async def aclose(self) -> None: ...


def rate_limited(quota: Quota) -> RateLimited:
    assert quota.retry_after_seconds is not None
    seconds = max(1, math.ceil(quota.retry_after_seconds))
    return RateLimited(
        f"rate limit exceeded; retry in {seconds} s", headers={"Retry-After": str(seconds), **quota.headers()}
    )


async def admit(limiter: RateLimiter, key: str) -> Quota:
    """The caller's quota after this request; 429 with `Retry-After` when its bucket is empty."""
    quota = await limiter.acquire(key)
    if quota.retry_after_seconds is not None:
        raise rate_limited(quota)
    return quota


class MemoryRateLimiter:
    """Buckets in a dict: exact and nearly free, but each gateway process limits on its own."""

    def __init__(self, *, rate: float, burst: int, max_keys: int = 100_000) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._buckets: dict[str, list[float]] = {}  # key -> [tokens, at]
        self._max_keys = max_keys

    async def acquire(self, key: str) -> Quota:
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._forget_full(now)
            bucket = self._buckets[key] = [self._burst, now]
        tokens = bucket[0] + (now - bucket[1]) * self._rate
        if tokens > self._burst:
            tokens = self._burst
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return quota_of(bucket[0], rate=self._rate, burst=self._burst, retry_after_seconds=None)
        bucket[0] = tokens
        wait = (1.0 - tokens) / self._rate
        return quota_of(tokens, rate=self._rate, burst=self._burst, retry_after_seconds=wait)

    async def aclose(self) -> None:
        self._buckets.clear()

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled completely: forgetting them changes no answer."""
        full_after = self._burst / self._rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b[1] < full_after}
        if len(self._buckets) >= self._max_keys:
            self._buckets.clear()


# KEYS[1] bucket; ARGV rate, burst. Redis' own clock, so replicas with skewed clocks agree.
# Returns {allowed (1 or 0), milliseconds until a token (0 when allowed), thousandths of the tokens left}.
_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
local elapsed = now - at
if elapsed < 0 then elapsed = 0 end
tokens = math.min(burst, tokens + elapsed * rate)
local allowed = 0
local wait_ms = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait_ms = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, wait_ms, math.floor(tokens * 1000)}
"""


class RedisRateLimiter:
    """Buckets in Redis, updated atomically by one Lua script: one limit across every gateway replica.

    If Redis cannot be reached, this process limits on its own (`MemoryRateLimiter`, the same rate and burst)
    for the next `REDIS_RETRY_SECONDS`, and logs a warning at most every 10 s: an outage of the limiter
    should neither become an outage of the API nor lift every limit, and requests should not each wait for
    a Redis that does not answer.
    """

    REDIS_RETRY_SECONDS = 5.0

    def __init__(self, url: str, *, rate: float, burst: int, namespace: str = "prm:rate:") -> None:
        self._redis: Redis = Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=1.0)
        self._script = self._redis.register_script(_BUCKET_SCRIPT)
        self._rate = rate
        self._burst = burst
        self._namespace = namespace
        self._warned_at = 0.0
        self._local = MemoryRateLimiter(rate=rate, burst=burst)
        self._local_until = 0.0

    async def acquire(self, key: str) -> Quota:
        now = time.monotonic()
        if now < self._local_until:
            return await self._local.acquire(key)
        try:
            allowed, wait_ms, thousandths = await self._script(
                keys=[self._namespace + key], args=[self._rate, self._burst]
            )
        except (RedisError, OSError) as exc:
            self._local_until = now + self.REDIS_RETRY_SECONDS
            if now - self._warned_at > 10:
                self._warned_at = now
                _log.warning("rate_limiter_unavailable", error=type(exc).__name__, limiting="per_process")
            return await self._local.acquire(key)
        return quota_of(
            int(thousandths) / 1000,
            rate=self._rate,
            burst=self._burst,
            retry_after_seconds=None if allowed else int(wait_ms) / 1000,
        )

    async def aclose(self) -> None:
        await self._redis.aclose()


def make_rate_limiter(
    *,
    redis_url: str | None,
    rate: float,
    burst: int,
    prefix: str = "prm:rate:",
    namespace: str | None = None,
) -> RateLimiter:
    """`prefix` starts every Redis key (one per deployment sharing a Redis); `namespace` keeps a second
    limiter's buckets apart from the main one's (same caller keys)."""
    if redis_url:
        keys = prefix + (f"{namespace}:" if namespace else "")
        return RedisRateLimiter(redis_url, rate=rate, burst=burst, namespace=keys)
    return MemoryRateLimiter(rate=rate, burst=burst)
