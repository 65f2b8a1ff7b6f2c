"""Authentication: `Authorization: Bearer prm_…` (an API key) or a bearer JWT of the configured identity
provider (gateway.bearer_tokens) → a verified principal and its signed credential.

Verified keys are cached in memory for `key_cache_ttl_seconds`, keyed by the raw header value, so the hot
path is one dictionary lookup; concurrent misses for one key share a single database lookup. Refused
values are remembered as long, so a flood of bad keys cannot turn into a flood of queries. Revocation
through this process's admin API evicts the key at once (and keeps it out). A revocation made anywhere else
(another replica, `prm keys revoke` writing the database directly) is found by one cheap query of the keys
revoked lately, made at most every `key_revocation_check_seconds` and awaited by the first request that
uses the cache after that time: a cached key is never honoured on a check older than that.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from uuid import UUID

import structlog
from prm_contracts.principal import APPLICATION_SUBMIT_SCOPE, Principal
from prm_contracts.problem import ServiceUnavailable, Unauthorized
from prm_kit.clock import utc_now
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.api_keys import service as api_keys
from gateway.bearer_tokens import BearerTokenVerifier
from gateway.internal_credentials import InternalCredentials
from gateway.rate_limit import RateLimiter, admit

WEBHOOK_PRINCIPAL = Principal(subject="webhook:anonymous", scopes=frozenset())
APPLICANT_PRINCIPAL = Principal(subject="public:applicant", scopes=frozenset({APPLICATION_SUBMIT_SCOPE}))
_ANONYMOUS_ENTRY_SECONDS = 60.0
# Revocations are looked for this far back beyond the cache lifetime: the clocks of the machines writing
# revoked_at (another replica, an operator's laptop running `prm keys revoke`) may differ from ours.
_CLOCK_SKEW_ALLOWANCE = timedelta(minutes=5)
_MAX_ENTRIES = 50_000
_log = structlog.get_logger("auth")
_V = TypeVar("_V")

SessionFactorySource = Callable[[], async_sessionmaker[AsyncSession]]


def missing_key() -> Unauthorized:
    return Unauthorized(
        "send an API key: 'Authorization: Bearer prm_…'", headers={"WWW-Authenticate": "Bearer"}
    )


def refused_key() -> Unauthorized:
    return Unauthorized(
        "the API key is unknown, malformed or revoked",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


@dataclass(frozen=True, slots=True)
class Verified:
    """A caller the gateway has authenticated, with what the proxy needs precomputed."""

    principal: Principal
    key_id: UUID | None
    credential: str  # the signed x-prm-principal header value
    limit_key: str  # the rate limiter's bucket for this caller
    expires_at: float  # time.monotonic() after which the database is asked again


class Authenticator:
    def __init__(
        self,
        *,
        credentials: InternalCredentials,
        session_factory: SessionFactorySource,
        ttl_seconds: float,
        lookup_limiter: RateLimiter,
        tokens: BearerTokenVerifier | None = None,
        revocation_check_seconds: float = 1.0,
    ) -> None:
        self._credentials = credentials
        self._tokens = tokens
        self._lookup_limiter = lookup_limiter
        self._session_factory = session_factory
        self._ttl = ttl_seconds
        self._verified: dict[bytes, Verified] = {}
        self._refused: dict[bytes, float] = {}
        self._pending: dict[bytes, asyncio.Task[Verified | None]] = {}
        self._revoked: set[UUID] = set()
        self._anonymous_entries: dict[str, Verified] = {}
        self._used: dict[UUID, datetime] = {}
        self._revocation_check_seconds = revocation_check_seconds
        self._revocations_checked_until = 0.0  # time.monotonic() after which the cache needs a new check
        self._revocation_check: asyncio.Task[None] | None = None

    def cached(self, authorization: bytes, now: float) -> Verified | None:
        """The hot path: the verified caller for this exact header value, if still fresh and the revocations
        were checked recently enough (else `verify` checks them first)."""
        entry = self._verified.get(authorization)
        if entry is not None and entry.expires_at > now and now < self._revocations_checked_until:
            return entry
        return None

    async def verify(self, authorization: bytes, client_host: str) -> Verified:
        """The caller behind an `Authorization` header value, or Unauthorized (503 if keys cannot be read).

        Database look-ups are rate-limited per client address, so that a stream of made-up keys (each
        one new, so never cached) cannot become a stream of queries.
        """
        now = time.monotonic()
        if now >= self._revocations_checked_until and self._verified:
            await self._checked_revocations()
            now = time.monotonic()
        entry = self.cached(authorization, now)
        if entry is not None:
            return entry
        refused_until = self._refused.get(authorization)
        if refused_until is not None and refused_until > now:
            raise refused_key()
        task = self._pending.get(authorization)
        if task is None:
            await admit(self._lookup_limiter, f"key-lookup:{client_host}")
            task = asyncio.create_task(self._load(authorization))
            self._pending[authorization] = task
            task.add_done_callback(lambda done: self._settled(authorization, done))
        verified = await asyncio.shield(task)
        if verified is None:
            raise refused_key()
        return verified

    def webhook(self, now: float) -> Verified:
        """The anonymous principal of inbound webhooks (they are authenticated by signature downstream)."""
        return self._anonymous(WEBHOOK_PRINCIPAL, now)

    def applicant(self, now: float) -> Verified:
        """The principal of a prospective partner on the public application form: it may submit, nothing else."""
        return self._anonymous(APPLICANT_PRINCIPAL, now)

    def _anonymous(self, principal: Principal, now: float) -> Verified:
        entry = self._anonymous_entries.get(principal.subject)
        if entry is None or entry.expires_at <= now:
            entry = Verified(
                principal=principal,
                key_id=None,
                credential=self._credentials.token(principal),
                limit_key="",
                expires_at=now + _ANONYMOUS_ENTRY_SECONDS,
            )
            self._anonymous_entries[principal.subject] = entry
        return entry

    def revoked(self, key_id: UUID) -> None:
        """Stop honouring `key_id` in this process at once (called by the admin API's revoke)."""
        self._revoked.add(key_id)
        for header, entry in list(self._verified.items()):
            if entry.key_id == key_id:
                del self._verified[header]

    async def _checked_revocations(self) -> None:
        """Evict the keys revoked lately; concurrent callers share one query."""
        task = self._revocation_check
        if task is None:
            task = asyncio.create_task(self._check_revocations())
            self._revocation_check = task
            task.add_done_callback(self._revocation_check_done)
        await asyncio.shield(task)

    async def _check_revocations(self) -> None:
        started = time.monotonic()
        # A cached entry is at most one cache lifetime old, and a key revoked before it was loaded was never
        # cached: only revocations since then matter.
        since = utc_now() - timedelta(seconds=self._ttl) - _CLOCK_SKEW_ALLOWANCE
        try:
            async with self._session_factory()() as session:
                revoked = await api_keys.revoked_since(session, since)
        except (SQLAlchemyError, OSError) as exc:
            # Cached keys keep working for their short lifetime; then they are verified (or refused) anew.
            _log.warning("api_key_revocations_not_checked", error=type(exc).__name__)
            revoked = []
        for key_id in revoked:
            self.revoked(key_id)
        self._revocations_checked_until = started + self._revocation_check_seconds

    def _revocation_check_done(self, task: asyncio.Task[None]) -> None:
        self._revocation_check = None
        if not task.cancelled():
            task.exception()

    async def record_uses(self) -> None:
        """Write the pending last_used_at times (called every minute by the app, and at shutdown)."""
        used, self._used = self._used, {}
        if not used:
            return
        try:
            async with self._session_factory()() as session:
                await api_keys.record_uses(session, used)
                await session.commit()
        except (SQLAlchemyError, OSError) as exc:
            _log.warning("api_key_use_not_recorded", keys=len(used), error=type(exc).__name__)

    async def _load(self, authorization: bytes) -> Verified | None:
        plaintext = _bearer_token(authorization)
        if plaintext is not None and self._tokens is not None and self._tokens.looks_like_jwt(plaintext):
            caller = await self._tokens.caller(plaintext)
            if caller is None:
                self._refuse(authorization)
                return None
            # trusted until the token expires, and re-checked at least as often as keys are
            lifetime = min(self._ttl, caller.expires_at - time.time())
            return self._accept(authorization, caller.principal, key_id=None, lifetime=lifetime)
        key = None
        if plaintext is not None:
            try:
                async with self._session_factory()() as session:
                    key = await api_keys.verified_key(session, plaintext)
            except (SQLAlchemyError, OSError) as exc:
                _log.error("api_key_lookup_failed", error=type(exc).__name__)
                raise ServiceUnavailable(
                    "API keys cannot be verified right now; retry shortly", headers={"Retry-After": "1"}
                ) from exc
        if key is None or key.id in self._revoked:
            self._refuse(authorization)
            return None
        now = utc_now()
        if api_keys.use_worth_recording(key, now):
            # written in batches by record_uses(): authentication never waits for a write
            self._used[key.id] = now
        principal = Principal(
            subject=f"key:{key.id}", scopes=frozenset(key.scopes), partner_id=key.partner_id
        )
        return self._accept(authorization, principal, key_id=key.id, lifetime=self._ttl)

    def _accept(
        self, authorization: bytes, principal: Principal, *, key_id: UUID | None, lifetime: float
    ) -> Verified:
        verified = Verified(
            principal=principal,
            key_id=key_id,
            credential=self._credentials.token(principal),
            limit_key=principal.subject,
            expires_at=time.monotonic() + lifetime,
        )
        if lifetime > 0:
            self._remember(self._verified, authorization, verified)
        return verified

    def _refuse(self, authorization: bytes) -> None:
        self._remember(self._refused, authorization, time.monotonic() + self._ttl)

    def _settled(self, authorization: bytes, task: asyncio.Task[Verified | None]) -> None:
        self._pending.pop(authorization, None)
        if not task.cancelled():
            task.exception()  # retrieved here, so an error nobody awaited any more is not reported twice

    @staticmethod
    def _remember(table: dict[bytes, _V], authorization: bytes, value: _V) -> None:
        if len(table) >= _MAX_ENTRIES:
            table.clear()  # bounded memory; the next requests simply re-verify
        table[authorization] = value


def _bearer_token(authorization: bytes) -> str | None:
    scheme, _, token = authorization.partition(b" ")
    if scheme.lower() != b"bearer":
        return None
    try:
        return token.strip().decode("ascii")
    except UnicodeDecodeError:
        return None
