"""API keys: create (plaintext returned once), list, revoke, verify, and the bootstrap admin key.

Plain functions over a session; the caller commits (the request's session dependency, or the CLI).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

import structlog
from prm_contracts.pagination import Page
from prm_contracts.principal import ADMIN_SCOPE
from prm_contracts.problem import Conflict, NotFound, UnprocessableContent, ValidationIssue
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.api_keys import repository
from gateway.api_keys.key_format import (
    KEY_FORMAT_DESCRIPTION,
    new_key,
    parse_key,
    secret_digest,
    secret_matches,
)
from gateway.api_keys.models import ApiKey
from gateway.api_keys.schemas import NAME_MAX_LENGTH, ApiKeyOut
from gateway.scopes import checked_scopes

BOOTSTRAP_KEY_NAME = "bootstrap-admin"
ORDER = "created_at"
# last_used_at is informative (which keys are still in use), so one write a minute per key is plenty.
_USE_RECORDING_INTERVAL = timedelta(minutes=1)
_log = structlog.get_logger("api_keys")


async def create_key(
    session: AsyncSession, *, name: str, scopes: list[str], now: datetime, partner_id: UUID | None = None
) -> tuple[ApiKey, str]:
    """A new key and its plaintext, which is not stored and so can be shown only this once. A key bound to
    a partner cannot be an admin key: a partner never acts vendor-wide (422)."""
    if partner_id is not None and ADMIN_SCOPE in scopes:
        raise UnprocessableContent(
            "a key bound to a partner cannot have the admin scope: give it the resource scopes it needs",
            errors=[
                ValidationIssue(
                    loc=["body", "scopes"], msg="admin is not allowed with partner_id", type="admin_bound"
                )
            ],
        )
    plaintext, parsed = new_key()
    key = ApiKey(
        id=uuid4(),
        prefix=parsed.prefix,
        secret_digest=secret_digest(parsed.secret),
        name=_checked_name(name),
        scopes=checked_scopes(scopes),
        partner_id=partner_id,
        created_at=now,
    )
    await repository.add(session, key)
    _log.info("api_key_created", key_id=str(key.id), scopes=key.scopes, partner_id=partner_id)
    return key, plaintext


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    """Every key, revoked ones too, oldest first."""
    return await repository.all_keys(session)


async def page_of_keys(session: AsyncSession, *, limit: int, cursor: str | None) -> Page[ApiKeyOut]:
    """One page of keys in creation order, with the cursor of the next page (None on the last)."""
    after = keyset_position(cursor, ORDER, datetime)
    keys = await repository.page(session, limit=limit + 1, after=after)
    return page_of(
        keys,
        limit,
        out=ApiKeyOut.model_validate,
        cursor_of=lambda key: keyset_cursor(ORDER, key.created_at, key.id),
    )


async def get_key(session: AsyncSession, key_id: UUID) -> ApiKey:
    key = await repository.by_id(session, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id}")
    return key


async def revoke_key(session: AsyncSession, key_id: UUID, *, now: datetime) -> ApiKey:
    """Revoke a key for good; revoking one already revoked changes nothing (its revoked_at stays)."""
    key = await get_key(session, key_id)
    if key.revoked_at is None:
        key.revoked_at = now
        await session.flush()
        _log.info("api_key_revoked", key_id=str(key.id))
    return key


async def ensure_bootstrap_key(session: AsyncSession, plaintext: str, *, now: datetime) -> None:
    """Make `plaintext` (PRM_BOOTSTRAP_ADMIN_KEY) an admin key if it is not one yet; idempotent.

    The value must be a full key in the normal format, so it is verified exactly like any other key.
    A bootstrap key that was revoked stays revoked: an operator's revocation wins over the environment.
    """
    parsed = parse_key(plaintext)
    if parsed is None:
        raise UnprocessableContent(f"the bootstrap admin key must be {KEY_FORMAT_DESCRIPTION}")
    existing = await repository.by_prefix(session, parsed.prefix)
    if existing is not None:
        if not secret_matches(parsed.secret, existing.secret_digest):
            raise Conflict(
                f"another API key already uses the id {parsed.prefix}; choose a different bootstrap key"
            )
        if existing.revoked_at is not None:
            _log.warning("bootstrap_key_revoked", key_id=str(existing.id))
        return
    key = ApiKey(
        id=uuid4(),
        prefix=parsed.prefix,
        secret_digest=secret_digest(parsed.secret),
        name=BOOTSTRAP_KEY_NAME,
        scopes=[ADMIN_SCOPE],
        partner_id=None,
        created_at=now,
    )
    await repository.add(session, key)
    _log.info("bootstrap_key_created", key_id=str(key.id))


async def verified_key(session: AsyncSession, plaintext: str) -> ApiKey | None:
    """The active key `plaintext` is, or None (malformed, unknown, wrong secret or revoked)."""
    parsed = parse_key(plaintext)
    if parsed is None:
        return None
    key = await repository.by_prefix(session, parsed.prefix)
    if key is None or not secret_matches(parsed.secret, key.secret_digest) or key.revoked_at is not None:
        return None
    return key


async def revoked_since(session: AsyncSession, since: datetime) -> list[UUID]:
    """The keys revoked at or after `since`, wherever that was done: each gateway process evicts them from
    its cache (see `gateway.auth`)."""
    return await repository.revoked_since(session, since)


def use_worth_recording(key: ApiKey, now: datetime) -> bool:
    """Whether `key`'s stored last_used_at is old enough to be worth a write (at most one a minute)."""
    return key.last_used_at is None or now - key.last_used_at >= _USE_RECORDING_INTERVAL


async def record_uses(session: AsyncSession, used: dict[UUID, datetime]) -> None:
    """Store when each key was last seen in use."""
    for key_id, at in used.items():
        await repository.mark_used(session, key_id, at)


def _checked_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > NAME_MAX_LENGTH:
        issue = ValidationIssue(
            loc=["body", "name"], msg=f"1 to {NAME_MAX_LENGTH} characters", type="string_length"
        )
        raise UnprocessableContent(f"name must have 1 to {NAME_MAX_LENGTH} characters", errors=[issue])
    return cleaned
