"""The internal credential: the gateway's verified principal, signed so services need not trust the network."""

from __future__ import annotations

import time
from typing import Annotated, Any
from uuid import UUID

import jwt
from fastapi import Depends, Request
from prm_contracts.principal import Principal
from prm_contracts.problem import Forbidden, Unauthorized
from starlette.types import ASGIApp, Receive, Scope, Send

from prm_kit.errors import problem_response

INTERNAL_HEADER = "x-prm-principal"
_ISSUER = "prm-gateway"
_AUDIENCE = "prm-services"
_ALGORITHM = "HS256"
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
REQUIRED_SCOPES_ATTRIBUTE = "required_scopes"


def sign_principal(principal: Principal, secret: str, *, ttl_seconds: int = 300) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": _ISSUER,
        "aud": _AUDIENCE,
        "sub": principal.subject,
        "scp": sorted(principal.scopes),
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if principal.partner_id is not None:
        claims["pid"] = str(principal.partner_id)
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


class PrincipalVerifier:
    """Verifies credentials, remembering recent ones: the gateway reuses a token for its lifetime."""

    def __init__(self, secret: str, *, cache_size: int = 4096) -> None:
        self._secret = secret
        self._cache: dict[str, tuple[Principal, int]] = {}
        self._cache_size = cache_size

    def verify(self, token: str) -> Principal:
        cached = self._cache.get(token)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                audience=_AUDIENCE,
                issuer=_ISSUER,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
            pid = claims.get("pid")
            principal = Principal(
                subject=claims["sub"],
                scopes=frozenset(claims.get("scp", [])),
                partner_id=UUID(pid) if pid else None,
            )
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            raise Unauthorized(
                "the internal credential is missing, expired or not signed by the gateway"
            ) from exc
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[token] = (principal, int(claims["exp"]))
        return principal


class InternalCredentialMiddleware:
    """Refuses every request without a valid gateway credential, except health and metrics."""

    def __init__(self, app: ASGIApp, *, verifier: PrincipalVerifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        token = None
        for name, value in scope["headers"]:
            if name == b"x-prm-principal":
                token = value.decode("latin-1")
                break
        try:
            if token is None:
                raise Unauthorized("this service accepts only requests forwarded by the PRM gateway")
            principal = self.verifier.verify(token)
        except Unauthorized as error:
            response = problem_response(error)
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


# The dependencies here are `async def` although they never wait: FastAPI runs a plain `def` dependency in its
# thread pool, and that hand-off to a worker thread and back cost more CPU than all else a small request does.
async def current_principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise Unauthorized("no principal on this request")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(scope_name: str, *alternatives: str) -> Any:
    """A route dependency: `dependencies=[require("partners:write")]`; with alternatives, any one will do."""
    accepted = (scope_name, *alternatives)
    needed = (
        f"the scope '{scope_name}'"
        if not alternatives
        else "one of the scopes " + ", ".join(map(repr, accepted))
    )

    async def check(principal: PrincipalDep) -> None:
        if not any(principal.has_scope(scope) for scope in accepted):
            raise Forbidden(f"this operation needs {needed}")

    # Read by the OpenAPI builder (prm_kit.openapi), which states each operation's scopes.
    setattr(check, REQUIRED_SCOPES_ATTRIBUTE, accepted)
    return Depends(check)
