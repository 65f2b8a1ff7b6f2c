"""Who calls the gateway: the client address behind trusted proxies, and the verified caller of the
gateway's own endpoints (admin API, status), with the same API keys and limits as the proxy.

`X-Forwarded-For` is written by whoever sends the request, so it is believed only from a socket peer named
in `trusted_proxies`, and then only up to the first address that is not a trusted proxy itself, read from
the right (each proxy appends the address it saw): that address is the client. Every per-address limit
(the public application form, look-ups of unknown keys) and the access log use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from prm_contracts.principal import ADMIN_SCOPE, Principal
from prm_contracts.problem import BadRequest, Forbidden
from prm_kit.networks import address_within, parse_networks
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.auth import Authenticator, missing_key
from gateway.rate_limit import Quota, RateLimiter, admit

# An address a trusted proxy reported that is not an IP address ("unknown", a name) is kept, but bounded.
_MAX_ADDRESS_LENGTH = 64


class TrustedProxies:
    """The proxies in front of the gateway (`PRM_TRUSTED_PROXIES`), and what they may tell about a client."""

    def __init__(self, networks: Iterable[str] = ()) -> None:
        self._networks = parse_networks(networks)
        self.trusts = lru_cache(maxsize=4096)(self._trusts)

    def resolve(self, peer: str, forwarded_for: str | None) -> tuple[str, str]:
        """The client's address and the `X-Forwarded-For` trail to pass on (the trusted part of the
        chain, ending with the peer). From an untrusted peer, both are the peer alone."""
        if not self._networks or not forwarded_for or not self.trusts(peer):
            return peer, peer
        hops = [hop.strip() for hop in forwarded_for.split(",")]
        for position in range(len(hops) - 1, -1, -1):
            address = _address_of(hops[position])
            if not address:
                break  # an empty or blank entry: nothing to the left of it can be placed
            if position == 0 or not self.trusts(address):
                trail = [_address_of(hop) for hop in hops[position + 1 :]]
                return address, ", ".join([address, *trail, peer])
        return peer, peer

    def client_address(self, scope: Scope) -> str:
        """The client of a request (see the module's docstring); also set as the scope's client, so that
        the server's access log names it."""
        client = scope.get("client")
        peer: str = client[0] if client else "unknown"
        if not self._networks:
            return peer
        forwarded = [value for name, value in scope["headers"] if name == b"x-forwarded-for"]
        address, _trail = self.resolve(peer, b", ".join(forwarded).decode("latin-1") or None)
        if address != peer:
            scope["client"] = (address, 0)
        return address

    def _trusts(self, address: str) -> bool:
        return address_within(address, self._networks)


def _address_of(hop: str) -> str:
    """`203.0.113.7`, `203.0.113.7:5000`, `[2001:db8::7]:443` or `2001:db8::7` → the bare address."""
    if hop.startswith("["):
        hop = hop[1 : hop.find("]")] if "]" in hop else hop[1:]
    elif hop.count(":") == 1:
        hop = hop.split(":", 1)[0]
    return hop[:_MAX_ADDRESS_LENGTH]


def repeated_authorization() -> BadRequest:
    return BadRequest("send one Authorization header, not several")


async def api_caller(request: Request) -> Principal:
    """The verified, rate-limited caller of this request; 401 without a valid key, 429 over the limit,
    400 with more than one Authorization header (which one would count is anybody's guess). Verified once
    per request (`caller_first` may have done it); its quota is kept for `RateLimitHeaders`."""
    known: Principal | None = getattr(request.state, "caller", None)
    if known is not None:
        return known
    values = request.headers.getlist("authorization")
    if len(values) > 1:
        raise repeated_authorization()
    if not values or not values[0]:
        raise missing_key()
    authenticator: Authenticator = request.app.state.authenticator
    limiter: RateLimiter = request.app.state.rate_limiter
    client_host = trusted_proxies(request.app.state.settings.trusted_proxies).client_address(request.scope)
    verified = await authenticator.verify(values[0].encode("latin-1"), client_host)
    request.state.quota = await admit(limiter, verified.limit_key)
    request.state.caller = verified.principal
    return verified.principal


async def caller_first(request: Request) -> None:
    """The app's first dependency: an operation that needs a key checks it before anything else about the
    request, so a caller without one gets the 401 whatever its query holds."""
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and _needs_caller(route):
        await api_caller(request)


def _needs_caller(route: APIRoute) -> bool:
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if dependency.call is api_caller:
            return True
        pending.extend(dependency.dependencies)
    return False


class RateLimitHeaders:
    """Puts the caller's `RateLimit-*` headers on every answer of the gateway's own operations once
    `api_caller` admitted it, problems included (FastAPI drops a dependency's response headers when the
    operation then fails: a 403, 404 or 422 would go without)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})  # the dict request.state writes to, shared with any copy

        async def with_quota(message: Message) -> None:
            quota: Quota | None = state.get("quota")
            if message["type"] == "http.response.start" and quota is not None:
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in quota.raw_headers() if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_quota)


@lru_cache(maxsize=8)
def _trusted_proxies(networks: tuple[str, ...]) -> TrustedProxies:
    return TrustedProxies(networks)


def trusted_proxies(networks: Iterable[str]) -> TrustedProxies:
    """The `TrustedProxies` of a setting's value, built once per distinct value."""
    return _trusted_proxies(tuple(networks))


CallerDep = Annotated[Principal, Depends(api_caller)]


async def admin_caller(caller: CallerDep) -> Principal:
    """An admin not bound to a partner: only such a key may manage keys (a bound one could escape its partner)."""
    if ADMIN_SCOPE not in caller.scopes:
        raise Forbidden(f"this operation needs the scope '{ADMIN_SCOPE}'")
    if caller.partner_id is not None:
        raise Forbidden("a key bound to a partner cannot manage API keys")
    return caller


AdminDep = Annotated[Principal, Depends(admin_caller)]
