"""Partners' webhook secrets, fetched from the registry and kept briefly, so a stream of deliveries does not
ask the registry each time.

`app.state.webhook_secrets` is a `WebhookSecretCache` for the app's lifetime (built with the registry client
in `registry_clients`). Its `forget(partner_id)` drops a partner's secrets at once; the consumer of
`partner.webhook_secrets_changed` calls it, so a rotation or a revocation takes effect before the cache
would expire. Each secret's validity window is kept too: one rotated out while cached stops verifying at
its `valid_until`, whatever the cache holds.

The event arrives a moment after the rotation (or, with several analytics processes, at one of them only), so a
partner that signs with its new secret at once would meet kept secrets that do not know it yet: a signature
no kept secret verifies asks the registry again (`refreshed`). At most once a second per partner, so that
forged signatures cannot make each delivery a registry request: a mismatch on secrets fetched less than a
second ago waits until the second is over (deliveries waiting together share one request), rather than
refusing a secret issued just after the kept ones were fetched.

A revoked secret stops verifying when the event reaches analytics (about a second), and at the latest when
the kept secrets expire (`PRM_ANALYTICS_WEBHOOK_SECRET_CACHE_SECONDS`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, TypeVar
from uuid import UUID

from fastapi import Depends, FastAPI, Request
from prm_contracts.clients.registry import RegistryClient
from prm_contracts.problem import AppError
from prm_contracts.webhook_secrets import PartnerWebhookSecrets, WebhookSigningSecret
from prm_kit.http_clients import cannot_ask, client_on_app_state

from analytics.config import Settings

SERVICE_NAME = "analytics"
_Fetched = TypeVar("_Fetched")


def valid_secrets(secrets: PartnerWebhookSecrets, *, at: datetime) -> list[str]:
    """The secrets valid at `at` (the time the delivery arrives): each counts from its `valid_from` until its
    `valid_until` (exclusive)."""
    return [secret.secret for secret in secrets.secrets if _valid(secret, at)]


def _valid(secret: WebhookSigningSecret, at: datetime) -> bool:
    return secret.valid_from <= at and (secret.valid_until is None or at < secret.valid_until)


# A kept answer younger than this is not fetched again on a signature mismatch.
REFETCH_AFTER_SECONDS = 1.0


class WebhookSecretCache:
    """The registry's answer per partner, reused for `ttl_seconds`; concurrent misses for one partner share
    one request to the registry. Errors (unknown partner, registry down) are not kept."""

    def __init__(
        self,
        registry: RegistryClient,
        *,
        ttl_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._registry = registry
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._sleep = sleep
        # partner -> (fetched at, secrets), by the monotonic clock
        self._entries: dict[UUID, tuple[float, PartnerWebhookSecrets]] = {}
        self._pending: dict[UUID, asyncio.Future[PartnerWebhookSecrets]] = {}
        self._generation: dict[UUID, int] = {}

    async def get(self, partner_id: UUID) -> PartnerWebhookSecrets:
        """The partner's secrets (raises the registry's NotFound for an unknown partner, ServiceUnavailable
        when the registry cannot be reached)."""
        entry = self._entries.get(partner_id)
        if entry is not None and entry[0] + self._ttl > self._monotonic():
            return entry[1]
        pending = self._pending.get(partner_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[PartnerWebhookSecrets] = asyncio.get_running_loop().create_future()
        self._pending[partner_id] = future
        generation = self._generation.get(partner_id, 0)
        try:
            secrets = await self._registry.webhook_secrets(partner_id)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: a miss nobody else waited on must not log "never retrieved"
            raise
        else:
            future.set_result(secrets)
            # a forget() while the answer was on its way: the answer may predate the change, so keep it not
            if self._ttl > 0 and self._generation.get(partner_id, 0) == generation:
                self._entries[partner_id] = (self._monotonic(), secrets)
            return secrets
        finally:
            self._pending.pop(partner_id, None)

    async def refreshed(self, partner_id: UUID) -> PartnerWebhookSecrets | None:
        """The partner's secrets fetched again (one issued since the kept ones may verify), no sooner than
        `REFETCH_AFTER_SECONDS` after the kept ones were fetched; None when nothing is kept (`ttl_seconds` 0:
        what the caller verified with was fetched for it)."""
        if self._ttl <= 0:
            return None
        entry = self._entries.get(partner_id)
        if entry is None:
            # forgotten since the caller's get (the secrets changed): what the registry says now
            return await self.get(partner_id)
        wait = entry[0] + REFETCH_AFTER_SECONDS - self._monotonic()
        if wait > 0:
            await self._sleep(wait)
        if self._entries.get(partner_id) is entry:
            self.forget(partner_id)
        # else renewed (or being renewed) by another delivery meanwhile, after this one's mismatch: use that
        return await self.get(partner_id)

    def forget(self, partner_id: UUID) -> None:
        """Drop what is kept for the partner: the next delivery asks the registry."""
        self._entries.pop(partner_id, None)
        self._generation[partner_id] = self._generation.get(partner_id, 0) + 1

    def clear(self) -> None:
        self._entries.clear()


@asynccontextmanager
async def registry_clients(app: FastAPI) -> AsyncIterator[None]:
    """`app.state.registry` (a pooled, signed registry client) and `app.state.webhook_secrets` for the app's
    lifetime. A test sets `app.state.registry_transport` to stand in for the registry."""
    settings: Settings = app.state.settings
    async with client_on_app_state(
        app, "registry", base_url=settings.registry_url, caller=SERVICE_NAME, make=RegistryClient
    ) as registry:
        app.state.webhook_secrets = WebhookSecretCache(
            registry, ttl_seconds=settings.webhook_secret_cache_seconds
        )
        try:
            yield
        finally:
            app.state.webhook_secrets = None


def webhook_secret_cache(request: Request) -> WebhookSecretCache:
    cache: WebhookSecretCache = request.app.state.webhook_secrets
    return cache


WebhookSecretsDep = Annotated[WebhookSecretCache, Depends(webhook_secret_cache)]


async def from_registry(fetch: Awaitable[_Fetched], what: str) -> _Fetched:
    """The registry's answer; its refusal as it is (an unknown partner: 404), and 503 (retry later, nothing
    stored) when it cannot be had."""
    try:
        return await fetch
    except AppError as error:
        if error.status < 500:
            raise
        raise cannot_ask("registry", what) from error
