"""Token-bucket rate limits per caller: in this process by default, shared through Redis when configured.

Each caller (an API key, or the source IP of a webhook) has a bucket of `burst` tokens refilled at `rate`
per second; a request takes one. `acquire` answers None when allowed, else the seconds until a token is
back, which becomes the 429's `Retry-After`.
"""

from __future__ import annotations

import math
import time
from typing import Protocol

import structlog
from prm_contracts.problem import RateLimited
from redis.asyncio import Redis
from redis.exceptions import RedisError

_log = structlog.get_logger("rate_limit")


class RateLimiter(Protocol):
    async def acquire(self, key: str) -> float | None: ...

    async def aclose(self) -> None: ...


def rate_limited(retry_after_seconds: float) -> RateLimited:
    seconds = max(1, math.ceil(retry_after_seconds))
    return RateLimited(f"rate limit exceeded; retry in {seconds} s", headers={"Retry-After": str(seconds)})


class MemoryRateLimiter:
    """Buckets in a dict: exact and nearly free, but each gateway process limits on its own."""

    def __init__(self, *, rate: float, burst: int, max_keys: int = 100_000) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._buckets: dict[str, list[float]] = {}  # key -> [tokens, at]
        self._max_keys = max_keys

    async def acquire(self, key: str) -> float | None:
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._forget_full(now)
            self._buckets[key] = [self._burst - 1.0, now]
            return None
        tokens = bucket[0] + (now - bucket[1]) * self._rate
        if tokens > self._burst:
            tokens = self._burst
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return None
        bucket[0] = tokens
        return (1.0 - tokens) / self._rate

    async def aclose(self) -> None:
        self._buckets.clear()

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled completely: forgetting them changes no answer."""
        full_after = self._burst / self._rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b[1] < full_after}
        if len(self._buckets) >= self._max_keys:
            self._buckets.clear()


# KEYS[1] bucket; ARGV rate, burst. Redis' own clock, so replicas with skewed clocks agree.
# Returns {1, 0} when allowed, else {0, milliseconds until a token}.
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
return {allowed, wait_ms}
"""


class RedisRateLimiter:
    """Buckets in Redis, updated atomically by one Lua script: one limit across every gateway replica.

    If Redis cannot be reached the request is let through (and a warning logged, at most every 10 s):
    an outage of the limiter should not become an outage of the API.
    """

    def __init__(self, url: str, *, rate: float, burst: int, namespace: str = "prm:rate:") -> None:
        self._redis: Redis = Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=1.0)
        self._script = self._redis.register_script(_BUCKET_SCRIPT)
        self._rate = rate
        self._burst = burst
        self._namespace = namespace
        self._warned_at = 0.0

    async def acquire(self, key: str) -> float | None:
        try:
            allowed, wait_ms = await self._script(
                keys=[self._namespace + key], args=[self._rate, self._burst]
            )
        except (RedisError, OSError) as exc:
            now = time.monotonic()
            if now - self._warned_at > 10:
                self._warned_at = now
                _log.warning("rate_limiter_unavailable", error=type(exc).__name__)
            return None
        return None if allowed else int(wait_ms) / 1000

    async def aclose(self) -> None:
        await self._redis.aclose()


def make_rate_limiter(
    *, redis_url: str | None, rate: float, burst: int, namespace: str | None = None
) -> RateLimiter:
    """`namespace` keeps a second limiter's Redis buckets apart from the main one's (same caller keys)."""
    if redis_url:
        prefix = "prm:rate:" + (f"{namespace}:" if namespace else "")
        return RedisRateLimiter(redis_url, rate=rate, burst=burst, namespace=prefix)
    return MemoryRateLimiter(rate=rate, burst=burst)
