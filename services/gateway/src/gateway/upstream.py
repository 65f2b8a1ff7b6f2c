"""The connection pool to the services (one aiohttp session) and how its failures read to a caller.

aiohttp rather than httpx: measured on the target machines, an aiohttp client forwards at about half of
direct throughput where an httpx one managed a small fraction. The pool keeps connections alive, but
closes idle ones before the services' own keep-alive timeout would, so a request never meets a
connection the other side is closing. The wait for a free pooled connection is bounded
(`upstream_pool_wait_seconds`): a full pool is a fast 503 with Retry-After, not a queue without end.
"""

from __future__ import annotations

import aiohttp
from prm_contracts.problem import AppError, BadGateway, GatewayTimeout, ServiceUnavailable

from gateway.config import Settings
from gateway.routing import ANALYTICS, INCENTIVES, REGISTRY, SCORING

RETRY_AFTER_SECONDS = 5
# Dropped in both directions (RFC 9110 §7.6.1), plus what the gateway replaces or the server adds itself.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
    }
)


def base_urls(settings: Settings) -> dict[str, str]:
    """Each service's base URL, without a trailing slash."""
    return {
        REGISTRY: settings.registry_url.rstrip("/"),
        SCORING: settings.scoring_url.rstrip("/"),
        INCENTIVES: settings.incentives_url.rstrip("/"),
        ANALYTICS: settings.analytics_url.rstrip("/"),
    }


def new_session(settings: Settings) -> aiohttp.ClientSession:
    """The pooled session; created inside the running event loop (the app's lifespan)."""
    connector = aiohttp.TCPConnector(
        limit=settings.upstream_pool_size,
        limit_per_host=0,
        keepalive_timeout=settings.upstream_keepalive_seconds,
        ttl_dns_cache=300,
        enable_cleanup_closed=False,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(
            total=None,
            # `connect` spans the wait for a pool slot and the connecting itself, `sock_connect` the latter
            connect=settings.upstream_pool_wait_seconds + settings.upstream_connect_timeout_seconds,
            sock_connect=settings.upstream_connect_timeout_seconds,
            sock_read=settings.upstream_read_timeout_seconds,
        ),
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,  # bodies pass through as the service encoded them
        skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
        raise_for_status=False,
        trust_env=False,
    )


def upstream_error(service: str, exc: BaseException) -> AppError:
    """What a caller is told when a service cannot be reached or does not answer properly."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ServiceUnavailable(
            f"the {service} service cannot be reached; retry later",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, aiohttp.ConnectionTimeoutError):  # no free pooled connection in time, or no connect
        return ServiceUnavailable(
            f"the {service} service is busy or cannot be reached; retry later",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, TimeoutError):  # asyncio's and aiohttp's timeouts are TimeoutErrors
        return GatewayTimeout(f"the {service} service did not answer in time")
    return BadGateway(f"the {service} service failed to answer properly")
