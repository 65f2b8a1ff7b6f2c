"""Bearer JWTs from the deployment's identity provider, beside API keys (ARCHITECTURE §5).

A portal that signs its users in with an OpenID Connect provider passes the user's access token on; the
gateway accepts it when it is signed by the configured issuer (a JWKS URL, fetched and cached, or a
fixed public key), meant for our audience, unexpired, and carries a subject. What the token may do:
its `scope` claim (space-separated, or the `scp` list), keeping only scopes the gateway knows; which
partner it acts for: the `prm_partner_id` claim (configurable), as with a partner-bound API key.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import jwt
from prm_contracts.principal import Principal
from prm_contracts.problem import ServiceUnavailable

from gateway.scopes import KNOWN_SCOPES

_KNOWN = frozenset(KNOWN_SCOPES)


@dataclass(frozen=True, slots=True)
class TokenCaller:
    principal: Principal
    expires_at: float  # the token's `exp`, seconds since the epoch


class BearerTokenVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        algorithms: list[str],
        public_key: str | None = None,
        jwks_url: str | None = None,
        partner_claim: str = "prm_partner_id",
        leeway_seconds: float = 30.0,
    ) -> None:
        if (public_key is None) == (jwks_url is None):
            raise ValueError("give exactly one of public_key and jwks_url")
        self._issuer = issuer
        self._audience = audience
        self._algorithms = algorithms
        self._public_key = public_key
        self._jwks = (
            jwt.PyJWKClient(jwks_url, cache_jwk_set=True, lifespan=300, timeout=5) if jwks_url else None
        )
        self._partner_claim = partner_claim
        self._leeway = leeway_seconds

    @staticmethod
    def looks_like_jwt(token: str) -> bool:
        return token.count(".") == 2  # header.payload.signature; an API key has no dots

    async def caller(self, token: str) -> TokenCaller | None:
        """The caller a token stands for, or None when it is not one of our issuer's valid tokens (a 401).

        ServiceUnavailable when the issuer's keys cannot be fetched: the token may well be good.
        """
        try:
            key: Any = self._public_key if self._jwks is None else await self._signing_key(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWKClientConnectionError as exc:
            raise ServiceUnavailable(
                "the identity provider's signing keys cannot be fetched right now; retry shortly",
                headers={"Retry-After": "5"},
            ) from exc
        except jwt.PyJWTError:
            return None
        partner = claims.get(self._partner_claim)
        try:
            partner_id = None if partner is None else UUID(str(partner))
        except ValueError:
            return None  # a token bound to something that is not a partner id binds to nothing we know
        principal = Principal(subject=f"jwt:{claims['sub']}", scopes=_scopes(claims), partner_id=partner_id)
        return TokenCaller(principal=principal, expires_at=float(claims["exp"]))

    async def _signing_key(self, token: str) -> Any:
        assert self._jwks is not None
        # PyJWKClient fetches with urllib (blocking); it caches the key set, so this is rarely a fetch
        signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
        return signing_key.key


def _scopes(claims: dict[str, Any]) -> frozenset[str]:
    raw = claims.get("scope", claims.get("scp", []))
    names = raw.split() if isinstance(raw, str) else [s for s in raw if isinstance(s, str)]
    return frozenset(name for name in names if name in _KNOWN)
