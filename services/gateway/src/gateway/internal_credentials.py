"""The signed `x-prm-principal` credential the gateway adds to each forwarded request, reused per principal.

Signing (HMAC over a small JWT) costs tens of microseconds, so each principal's token is kept and reused
until it nears its expiry; the services' verifiers also cache by token, so reuse saves work there too.
"""

from __future__ import annotations

import time

from prm_contracts.principal import Principal
from prm_kit.internal_auth import sign_principal

TOKEN_TTL_SECONDS = 300
# A token is renewed once it is this old, so one handed out (and perhaps cached for up to a minute by the
# authenticator) still has at least two minutes of validity when it reaches a service.
RENEW_AFTER_SECONDS = 120


class InternalCredentials:
    def __init__(self, secret: str, *, max_entries: int = 10_000) -> None:
        self._secret = secret
        self._tokens: dict[Principal, tuple[str, float]] = {}
        self._max_entries = max_entries

    def token(self, principal: Principal) -> str:
        """The header value for `principal`: the cached token, or a fresh one when it has aged."""
        now = time.time()
        cached = self._tokens.get(principal)
        if cached is not None and now - cached[1] < RENEW_AFTER_SECONDS:
            return cached[0]
        token = sign_principal(principal, self._secret, ttl_seconds=TOKEN_TTL_SECONDS)
        if len(self._tokens) >= self._max_entries:
            self._tokens.clear()
        self._tokens[principal] = (token, now)
        return token
