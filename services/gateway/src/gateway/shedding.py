"""Load shedding: a bound on the requests in flight to each service, with a short, bounded queue.

A saturated service answers everything late; letting callers queue behind it turns seconds of service
time into half a minute of waiting and then a 504. Past the bound a request waits briefly for a slot
(the queue as long as the bound itself), and otherwise is answered 503 with Retry-After at once, so
callers back off and the requests admitted keep a service time close to normal. The gateway's own
endpoints (health, readiness, status, admin) never pass through here.
"""

from __future__ import annotations

import asyncio

from prm_contracts.problem import ServiceUnavailable

SHED_RETRY_AFTER_SECONDS = 1


def saturated(service: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"the {service} service is at capacity; retry shortly",
        headers={"Retry-After": str(SHED_RETRY_AFTER_SECONDS)},
    )


class ServiceCapacity:
    """At most `limit` requests in flight to one service; `acquire` then `release` around each."""

    __slots__ = ("_free", "_limit", "_queue_wait", "_service", "_waiting")

    def __init__(self, service: str, *, limit: int, queue_wait_seconds: float) -> None:
        self._service = service
        self._limit = limit
        self._queue_wait = queue_wait_seconds
        self._free = asyncio.Semaphore(limit)
        self._waiting = 0

    async def acquire(self) -> None:
        """A slot at once, or after a short wait in a bounded queue; else 503 with Retry-After."""
        if not self._free.locked():
            await self._free.acquire()  # free: returns without suspending
            return
        if self._waiting >= self._limit or self._queue_wait <= 0:
            raise saturated(self._service)
        self._waiting += 1
        try:
            async with asyncio.timeout(self._queue_wait):
                await self._free.acquire()
        except TimeoutError:
            raise saturated(self._service) from None
        finally:
            self._waiting -= 1

    def release(self) -> None:
        self._free.release()


def service_capacities(
    services: list[str], *, limit: int, queue_wait_seconds: float
) -> dict[str, ServiceCapacity]:
    """One bound per service; none at all when `limit` is 0 (shedding off)."""
    if limit <= 0:
        return {}
    return {
        service: ServiceCapacity(service, limit=limit, queue_wait_seconds=queue_wait_seconds)
        for service in services
    }
