"""`prm keys`: API keys managed directly on the gateway's database, through the gateway's own functions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

from gateway.api_keys import service
from gateway.api_keys.models import ApiKey
from prm_contracts.principal import ADMIN_SCOPE
from prm_kit.db.engine import make_engine, make_session_factory
from sqlalchemy.ext.asyncio import AsyncSession

from prm_cli.config import CliSettings, service_settings
from prm_cli.migrations import require_head
from prm_cli.services import GATEWAY

ADMIN_KEY_NAME = "admin"


@asynccontextmanager
async def gateway_session(settings: CliSettings) -> AsyncIterator[AsyncSession]:
    """A session on the gateway's database, committed once when the block succeeds."""
    engine = make_engine(service_settings(GATEWAY, settings).effective_database_url)
    try:
        await require_head(engine, GATEWAY.name, GATEWAY.migrations_dir())
        async with make_session_factory(engine)() as session:
            yield session
            await session.commit()
    finally:
        await engine.dispose()


async def create(
    settings: CliSettings, *, name: str, scopes: list[str], partner_id: UUID | None = None
) -> tuple[ApiKey, str]:
    async with gateway_session(settings) as session:
        return await service.create_key(session, name=name, scopes=scopes, partner_id=partner_id)


async def list_all(settings: CliSettings) -> list[ApiKey]:
    async with gateway_session(settings) as session:
        return await service.list_keys(session)


async def revoke(settings: CliSettings, key_id: UUID) -> ApiKey:
    async with gateway_session(settings) as session:
        return await service.revoke_key(session, key_id)


async def first_admin_key(settings: CliSettings) -> str | None:
    """An admin key's plaintext if the gateway has no usable key at all yet (first start), else None."""
    async with gateway_session(settings) as session:
        if any(key.revoked_at is None for key in await service.list_keys(session)):
            return None
        _key, plaintext = await service.create_key(session, name=ADMIN_KEY_NAME, scopes=[ADMIN_SCOPE])
        return plaintext


@asynccontextmanager
async def temporary_admin_key(settings: CliSettings, *, name: str) -> AsyncIterator[str]:
    """An admin key that is revoked again when the block ends, for a one-off job such as loading demo data."""
    key, plaintext = await create(settings, name=name, scopes=[ADMIN_SCOPE])
    try:
        yield plaintext
    finally:
        await revoke(settings, key.id)
