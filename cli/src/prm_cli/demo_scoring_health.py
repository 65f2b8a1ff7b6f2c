"""The `scoring-health` demo loader: health signals and tier recommendations, from the demo data itself.

It runs after analytics' demo year of sales (whose suspended partners fall quiet, miss targets and lose NPS),
so nothing here is invented: it asks scoring, through the public API, to recompute every demo partner's
standing (`POST /v1/tier-recommendations/runs`), then waits, bounded, until the refresh worker has stored a
score with health and tier standing for each (read with the batch score call). A newcomer then finds the
partners at risk at `GET /v1/health-signals` and open recommendations to apply from `/docs` at
`GET /v1/tier-recommendations?status=open` → `POST /v1/tier-recommendations/applications`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx

from prm_cli.demo_data.api import Api, Json
from prm_cli.demo_scoring import demo_partners

WAIT_SECONDS = 120.0  # the worker refreshes ~50 partners a second; a busy first start is slower
POLL_SECONDS = 0.5


class ScoresNotReady(TimeoutError):
    """The worker did not store every demo partner's standing in time (the loader runs again next start)."""


async def load(
    client: httpx.AsyncClient,
    *,
    wait_seconds: float = WAIT_SECONDS,
    poll_seconds: float = POLL_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Queue every demo partner's refresh, then wait until each has health and a tier standing."""
    api = Api(client)
    ids = [partner["id"] for partner in await demo_partners(api)]
    if not ids:
        return
    await api.post("/v1/tier-recommendations/runs", {"partner_ids": ids}, step="tier recommendation run")
    deadline = clock() + wait_seconds
    while True:
        waiting = not_ready(await api.post("/v1/scores/batch", {"partner_ids": ids}, step="scores"))
        if not waiting:
            return
        if clock() >= deadline:
            raise ScoresNotReady(
                f"scoring stored no health and tier standing for {len(waiting)} of {len(ids)} demo partners "
                f"within {wait_seconds:.0f} s (e.g. {waiting[0]}); is its refresh worker running?"
            )
        await sleep(poll_seconds)


def not_ready(batch: Json) -> list[str]:
    """The ids of the batch whose score lacks health or a tier standing (or is missing)."""
    return [
        item["partner_id"]
        for item in batch["items"]
        if not item["found"] or item["score"]["health"] is None or item["score"]["tier_action"] is None
    ]
