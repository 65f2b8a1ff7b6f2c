"""Who calls the gateway's own endpoints (admin API, status): the same API keys and limits as the proxy."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from prm_contracts.principal import ADMIN_SCOPE, Principal
from prm_contracts.problem import Forbidden

from gateway.auth import Authenticator, missing_key
from gateway.rate_limit import RateLimiter, rate_limited


async def api_caller(request: Request) -> Principal:
    """The verified, rate-limited caller of this request; 401 without a valid key, 429 over the limit."""
    authorization = request.headers.get("authorization")
    if not authorization:
        raise missing_key()
    authenticator: Authenticator = request.app.state.authenticator
    limiter: RateLimiter = request.app.state.rate_limiter
    client_host = request.client.host if request.client else "unknown"
    verified = await authenticator.verify(authorization.encode("latin-1"), client_host)
    retry_after = await limiter.acquire(verified.limit_key)
    if retry_after is not None:
        raise rate_limited(retry_after)
    return verified.principal


CallerDep = Annotated[Principal, Depends(api_caller)]


async def admin_caller(caller: CallerDep) -> Principal:
    """An admin not bound to a partner: only such a key may manage keys (a bound one could escape its partner)."""
    if ADMIN_SCOPE not in caller.scopes:
        raise Forbidden(f"this operation needs the scope '{ADMIN_SCOPE}'")
    if caller.partner_id is not None:
        raise Forbidden("a key bound to a partner cannot manage API keys")
    return caller


AdminDep = Annotated[Principal, Depends(admin_caller)]
