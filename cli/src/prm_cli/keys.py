"""`prm keys`: API keys managed directly on the gateway's database, through the gateway's own functions.

The first admin key `prm up` creates is also written to `<data_dir>/first-admin-key.txt` (mode 0600,
like the internal secret beside it) before anything else happens, so a start that fails or scrolls
away cannot lock a newcomer out. Each later `prm up` shows it again until `prm keys forget-first`
deletes the file, or until that key is revoked (the next `prm up` then deletes it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from uuid import UUID

from gateway.api_keys import service
from gateway.api_keys.models import ApiKey
from gateway.config import Settings as GatewaySettings
from prm_contracts.principal import ADMIN_SCOPE
from prm_kit.clock import utc_now
from prm_kit.db.engine import make_engine, make_session_factory
from sqlalchemy.ext.asyncio import AsyncSession

from prm_cli.config import CliSettings, service_settings
from prm_cli.errors import UserFixable
from prm_cli.migrations import NotMigrated, require_head
from prm_cli.services import GATEWAY

ADMIN_KEY_NAME = "admin"
FIRST_ADMIN_KEY_FILE = "first-admin-key.txt"


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
        return await service.create_key(
            session, name=name, scopes=scopes, partner_id=partner_id, now=utc_now()
        )


async def list_all(settings: CliSettings) -> list[ApiKey]:
    async with gateway_session(settings) as session:
        return await service.list_keys(session)


async def revoke(settings: CliSettings, key_id: UUID) -> ApiKey:
    """Revoke a key, returning once no gateway honours it any more: each gateway process looks for
    revocations every `key_revocation_check_seconds` before it uses a cached key, so that long after the
    commit every one of them has seen it."""
    async with gateway_session(settings) as session:
        key = await service.revoke_key(session, key_id, now=utc_now())
    gateway = service_settings(GATEWAY, settings)
    assert isinstance(gateway, GatewaySettings)
    await asyncio.sleep(gateway.key_revocation_check_seconds)
    return key


async def first_admin_key(settings: CliSettings) -> str | None:
    """An admin key's plaintext if the gateway has no usable key at all yet (first start), else None.

    The key is in the first-admin-key file before it is committed: a key that exists is never lost.
    """
    async with gateway_session(settings) as session:
        if any(key.revoked_at is None for key in await service.list_keys(session)):
            return None
        _key, plaintext = await service.create_key(
            session, name=ADMIN_KEY_NAME, scopes=[ADMIN_SCOPE], now=utc_now()
        )
        _write_private(first_admin_key_path(settings), plaintext + "\n")
        return plaintext


def first_admin_key_path(settings: CliSettings) -> Path:
    return settings.data_path / FIRST_ADMIN_KEY_FILE


async def remembered_first_admin_key(settings: CliSettings) -> str | None:
    """The key in the first-admin-key file while it still works; a file whose key was revoked is deleted."""
    path = first_admin_key_path(settings)
    try:
        plaintext = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    async with gateway_session(settings) as session:
        if await service.verified_key(session, plaintext) is not None:
            return plaintext
    path.unlink(missing_ok=True)
    return None


def forget_first_admin_key(settings: CliSettings) -> bool:
    """Delete the first-admin-key file; False if there was none."""
    path = first_admin_key_path(settings)
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed


def _write_private(path: Path, text: str) -> None:
    """Write `text` to a file only its owner can read, created so from the first byte (never briefly 0644)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # a stale file may have looser permissions: O_CREAT would keep them
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())


class NoLocalGateway(UserFixable):
    def __init__(self, data_path: Path) -> None:
        super().__init__(
            f"no --key given (or PRM_API_KEY), and no migrated gateway database in {data_path} to make a "
            "temporary admin key in: pass --key, or run this where PRM runs (its data folder, PRM_DATA_DIR)"
        )


@asynccontextmanager
async def temporary_admin_key(settings: CliSettings, *, name: str) -> AsyncIterator[str]:
    """An admin key that is revoked again when the block ends, for a one-off job such as loading demo data."""
    try:
        key, plaintext = await create(settings, name=name, scopes=[ADMIN_SCOPE])
    except NotMigrated as error:
        raise NoLocalGateway(settings.data_path) from error
    try:
        yield plaintext
    finally:
        await revoke(settings, key.id)
