"""Whether the registry knows a partner, before anything is stored for it: asked through the webhook secrets'
cache (`analytics.sales.secrets`), so sales, imports and a partner's inputs are taken for the same partners."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from uuid import UUID

from prm_contracts.problem import NotFound

from analytics.sales.secrets import WebhookSecretCache, from_registry

# A survey batch may name hundreds of partners: asked side by side, a few at a time (each answer is then kept).
REGISTRY_LOOKUPS_AT_ONCE = 8


async def ensure_partner_known(secrets: WebhookSecretCache, partner_id: UUID) -> None:
    """404 for a partner the registry does not know, 503 when it cannot be asked."""
    await from_registry(secrets.get(partner_id), f"partner {partner_id}")


async def unknown_partners(secrets: WebhookSecretCache, partner_ids: Iterable[UUID]) -> set[UUID]:
    """Those of the partners the registry does not know (503 when it cannot be asked about one)."""
    at_once = asyncio.Semaphore(REGISTRY_LOOKUPS_AT_ONCE)

    async def known(partner_id: UUID) -> None:
        async with at_once:
            await ensure_partner_known(secrets, partner_id)

    distinct = sorted(set(partner_ids), key=str)
    answers = await asyncio.gather(*(known(partner_id) for partner_id in distinct), return_exceptions=True)
    for answer in answers:
        if isinstance(answer, BaseException) and not isinstance(answer, NotFound):
            raise answer
    return {partner_id for partner_id, answer in zip(distinct, answers, strict=True) if answer is not None}
