"""The proxy path: a raw ASGI handler from the caller's first header to the service's last byte.

No FastAPI route, response model or BaseHTTPMiddleware on this path: it is the gateway's hot loop. The
request headers are read in one pass (credentials, request id, body framing), the caller is verified
from the in-memory key cache, rate-limited, its body read whole (bounded in size and time: no pooled
connection waits on a slow client; file imports alone are streamed, see `gateway.uploads`), a slot taken under the service's in-flight bound (else a fast 503,
see `gateway.shedding`), and the request sent to the owning service over a pooled keep-alive
connection, whose answer is streamed back (a HEAD is asked as a GET: its status and headers come back, its
body is not read). Every failure is a problem+json answer with the request id; nothing a client sends leads
to a 500.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import structlog
from prm_contracts.problem import AppError, BadRequest, Forbidden, NotFound, PayloadTooLarge
from prm_kit.access_log import AccessLog
from prm_kit.internal_auth import INTERNAL_HEADER
from prm_kit.metrics import LATENCY, REQUESTS
from prm_kit.request_id import accept_request_id
from starlette.types import Message, Receive, Scope, Send
from yarl import URL

from gateway.auth import Authenticator, Verified, missing_key
from gateway.callers import TrustedProxies, repeated_authorization
from gateway.problems import send_problem
from gateway.rate_limit import Quota, RateLimiter, admit
from gateway.receipt import RequestTimeout
from gateway.routing import OPEN_TO_APPLICANTS, Route, match
from gateway.shedding import ServiceCapacity
from gateway.uploads import streams_body
from gateway.upstream import HOP_BY_HOP, upstream_error

SERVICE_LABEL = "gateway"
# An answer this small is read whole and sent in one message; larger ones stream chunk by chunk.
_WHOLE_BODY_LIMIT = 64 * 1024
_STREAM_CHUNK = 64 * 1024
_NO_BODY_STATUSES = frozenset({204, 304})
# Request headers looked at (and maybe dropped) rather than passed on as they are.
_REQUEST_SPECIAL = HOP_BY_HOP | {
    b"authorization",
    b"content-length",
    b"expect",  # the gateway has answered any 100-continue itself by reading the body
    b"host",
    b"x-request-id",
    b"x-forwarded-for",
    INTERNAL_HEADER.encode(),
}
# Response headers not passed back: hop-by-hop ones, the id (set here) and what uvicorn adds itself.
_RESPONSE_DROPPED = HOP_BY_HOP | {b"x-request-id", b"date", b"server"}


class _ClientGone(Exception):
    pass


class _RequestHead:
    """The request headers, read in one pass: what the gateway needs, and the list to pass on."""

    __slots__ = (
        "answered",
        "arrived",
        "authorization",
        "authorization_repeated",
        "body_pending",
        "chunked",
        "content_length",
        "forwarded",
        "forwarded_for",
        "quota",
        "request_id",
    )

    def __init__(self, raw: list[tuple[bytes, bytes]], arrived: float) -> None:
        self.arrived = arrived  # time.perf_counter() when the request reached the gateway
        self.authorization: bytes | None = None
        self.authorization_repeated = False
        self.request_id: bytes | None = None
        self.content_length: bytes | None = None
        self.forwarded_for: bytes | None = None
        self.chunked = False
        self.answered = False  # set once the response has started: no problem answer after that
        self.body_pending = False  # a body was announced and not (yet) read whole
        self.quota: Quota | None = None  # the caller's rate limit once admitted: its answer's RateLimit-*
        self.forwarded: list[tuple[str, str]] = []
        for name, value in raw:
            if name in _REQUEST_SPECIAL:
                if name == b"authorization":
                    self.authorization_repeated = self.authorization is not None
                    self.authorization = value
                elif name == b"x-request-id":
                    self.request_id = value
                elif name == b"content-length":
                    self.content_length = value
                elif name == b"transfer-encoding":
                    self.chunked = b"chunked" in value.lower()
                elif name == b"x-forwarded-for":  # several headers are one list, in order
                    prior: bytes | None = self.forwarded_for
                    self.forwarded_for = value if prior is None else prior + b", " + value
                # host, hop-by-hop headers and any caller-supplied internal credential are dropped
            else:
                self.forwarded.append((name.decode("latin-1"), value.decode("latin-1")))


async def _as_chunked(body: bytes) -> AsyncIterator[bytes]:
    yield body


def _upstream_method(method: str) -> str:
    """The method the service is asked with: a HEAD as a GET (FastAPI's routes serve no HEAD), whose status
    and headers are then relayed without its body (RFC 9110 §9.3.2)."""
    return "GET" if method == "HEAD" else method


def _contained_path(scope: Scope, method: str) -> str:
    """The request's path, refused (404) unless it stays within the service its prefix names: no dot
    segments, no empty ones."""
    path: str = scope["path"]
    if "/." in path or "//" in path:
        raise NotFound(f"no resource at {method} {path}")
    return path


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body may have at most {limit} bytes")


class _StreamedUpload:
    """An import's body, passed to the service piece by piece as the caller sends it (`gateway.uploads`):
    at most `limit` bytes (413), each piece within `idle_seconds` of the one before (408). A failure of the
    caller's is kept in `failure`, as the HTTP client sending the pieces reports it as its own."""

    def __init__(self, head: _RequestHead, receive: Receive, *, limit: int, idle_seconds: float) -> None:
        self._head, self._receive = head, receive
        self._limit, self._idle = limit, idle_seconds
        self.failure: AppError | None = None
        self.caller_gone = False

    async def pieces(self) -> AsyncIterator[bytes]:
        received = 0
        while True:
            try:
                async with asyncio.timeout(self._idle):
                    message = await self._receive()
            except TimeoutError:
                self.failure = RequestTimeout(f"no part of the request body arrived for {self._idle:g} s")
                raise self.failure from None
            if message["type"] == "http.disconnect":
                self.caller_gone = True
                raise _ClientGone
            piece: bytes = message.get("body", b"")
            received += len(piece)
            if received > self._limit:
                self.failure = _too_large(self._limit)
                raise self.failure
            if piece:
                yield piece
            if not message.get("more_body", False):
                self._head.body_pending = False
                return


class Proxy:
    """Forwards requests for routed paths (see `gateway.routing`) to the owning service."""

    def __init__(
        self,
        *,
        authenticator: Authenticator,
        limiter: RateLimiter,
        applicant_limiter: RateLimiter,
        base_urls: dict[str, str],
        max_body_bytes: int,
        body_timeout_seconds: float,
        max_import_body_bytes: int | None = None,
        capacities: dict[str, ServiceCapacity],
        access_log: AccessLog | None,
        trusted_proxies: TrustedProxies | None = None,
    ) -> None:
        self._auth = authenticator
        self._trusted_proxies = trusted_proxies or TrustedProxies()
        self._limiter = limiter
        self._applicant_limiter = applicant_limiter
        self._base_urls = base_urls
        self._max_body = max_body_bytes
        self._max_import_body = max_body_bytes if max_import_body_bytes is None else max_import_body_bytes
        self._body_timeout = body_timeout_seconds
        self._capacities = capacities
        self._access_log = access_log
        self._log = structlog.get_logger("proxy")
        self._metrics: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self.session: aiohttp.ClientSession | None = None  # set by the app's lifespan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        route = match(scope["path"])
        assert route is not None  # the app only sends routed paths here
        method: str = scope["method"]
        head = _RequestHead(scope["headers"], started)
        request_id = accept_request_id(None if head.request_id is None else head.request_id.decode("latin-1"))
        status = 500
        try:
            status = await self._forward(scope, receive, send, route, method, request_id, head)
        except AppError as error:
            status = error.status
            if head.quota is not None:  # an answer of its own after admitting the caller (413, 502-504)
                for name, value in head.quota.headers().items():
                    error.headers.setdefault(name, value)
            if head.body_pending:
                # The rest of the body may never come (or come slowly): answer, then close the connection.
                error.headers["Connection"] = "close"
            await send_problem(scope, receive, send, error, request_id)
        except _ClientGone:
            status = 499  # the caller went away, or the answer broke off midway: nobody to tell
        except Exception as exc:
            self._log.error("proxy_failed", request_id=request_id, path=scope["path"], exc_info=exc)
            if head.answered:
                raise
            unexpected = AppError(
                f"an unexpected error occurred; quote request id {request_id} when reporting it"
            )
            await send_problem(scope, receive, send, unexpected, request_id)
        finally:
            self._observe(route, method, status, started, scope, request_id)

    async def _forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        route: Route,
        method: str,
        request_id: str,
        head: _RequestHead,
    ) -> int:
        """Admit the caller, pass the request on to the route's service and relay its answer."""
        path = _contained_path(scope, method)
        client = scope.get("client")
        peer: str = client[0] if client else "unknown"
        forwarded_for = None if head.forwarded_for is None else head.forwarded_for.decode("latin-1")
        client_host, trail = self._trusted_proxies.resolve(peer, forwarded_for)
        if client_host != peer:
            scope["client"] = (client_host, 0)  # what the server's access log shows
        head.body_pending = head.content_length is not None or head.chunked
        verified = await self._admitted(route, method, path, head, client_host)
        headers = self._upstream_headers(scope, head, verified, request_id, trail)
        body: bytes | AsyncIterator[bytes] | None = None
        upload: _StreamedUpload | None = None
        if head.body_pending and streams_body(method, path):
            self._declared_length(head, headers, self._max_import_body)
            upload = _StreamedUpload(
                head, receive, limit=self._max_import_body, idle_seconds=self._body_timeout
            )
            body = upload.pieces()
        elif head.body_pending:
            whole = await self._request_body(head, receive, headers)
            head.body_pending = False
            body = _as_chunked(whole) if head.chunked else whole  # the framing the caller chose
        url = URL(self._target(route, scope), encoded=True)
        session = self.session
        assert session is not None, "the gateway's lifespan has not started"
        capacity = self._capacities.get(route.service)
        if capacity is not None:
            await capacity.acquire()
        # aiohttp itself retries an idempotent request once when a pooled connection turns out closed.
        try:
            async with session.request(
                _upstream_method(method), url, headers=headers, data=body, allow_redirects=False
            ) as upstream:
                return await self._relay(upstream, send, method, request_id, head)
        except Exception as exc:
            if upload is not None and upload.caller_gone:
                raise _ClientGone from exc
            if upload is not None and upload.failure is not None:
                raise upload.failure from exc  # the caller's body failed, not the service
            if isinstance(exc, aiohttp.ClientError | TimeoutError):
                raise upstream_error(route.service, exc) from exc
            raise
        finally:
            if capacity is not None:
                capacity.release()

    async def _admitted(
        self, route: Route, method: str, path: str, head: _RequestHead, client_host: str
    ) -> Verified:
        """The caller, authenticated, allowed this operation and within its rate limit (401, 403, 429);
        400 with several Authorization headers, whichever of them a service would read."""
        if head.authorization_repeated:
            raise repeated_authorization()
        now = time.monotonic()
        limiter = self._limiter
        needed = None  # the scope a key needs; keyless callers are let through by the route itself
        if route.public:
            verified = self._auth.webhook(now)
        elif head.authorization is None and (method, path) in OPEN_TO_APPLICANTS:
            verified = self._auth.applicant(now)
            limiter = self._applicant_limiter
        else:
            if head.authorization is None:
                raise missing_key()
            verified = self._auth.cached(head.authorization, now) or await self._auth.verify(
                head.authorization, client_host
            )
            needed = route.scope_for(method)
        # admitted before the scope is checked: a refusal counts against the caller's limit (a key cannot
        # probe operations for free) and carries the RateLimit headers, as every answer but a 401 does
        head.quota = await admit(limiter, verified.limit_key or f"ip:{client_host}")
        if needed is not None and not verified.principal.has_scope(needed):
            raise Forbidden(f"this operation needs the scope '{needed}'")
        return verified

    @staticmethod
    def _upstream_headers(
        scope: Scope, head: _RequestHead, verified: Verified, request_id: str, forwarded_for: str
    ) -> list[tuple[str, str]]:
        """The caller's headers to pass on, with the gateway's own added: its signed principal, the request
        id and the forwarding trail (only its trusted part: see `gateway.callers.TrustedProxies`)."""
        headers = head.forwarded
        headers.append((INTERNAL_HEADER, verified.credential))
        headers.append(("x-request-id", request_id))
        headers.append(("x-forwarded-for", forwarded_for))
        headers.append(("x-forwarded-proto", scope.get("scheme", "http")))
        return headers

    async def _request_body(
        self, head: _RequestHead, receive: Receive, headers: list[tuple[str, str]]
    ) -> bytes:
        """The whole body, read before any service is called, so that no pooled connection waits on a
        slow client: at most `max_body_bytes` (413; a declared Content-Length over it is refused before
        reading anything) within the body deadline of the request's arrival (408)."""
        self._declared_length(head, headers, self._max_body)
        remaining = self._body_timeout - (time.perf_counter() - head.arrived)
        try:
            async with asyncio.timeout(max(remaining, 0.0)):
                return await self._read_body(receive)
        except TimeoutError:
            raise RequestTimeout(f"the request body did not arrive within {self._body_timeout:g} s") from None

    async def _read_body(self, receive: Receive) -> bytes:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        first: bytes = message.get("body", b"")
        if not message.get("more_body", False):
            if len(first) > self._max_body:
                raise self._too_large()
            return first
        parts = [first]
        received = len(first)
        while True:
            if received > self._max_body:
                raise self._too_large()
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone
            chunk: bytes = message.get("body", b"")
            received += len(chunk)
            parts.append(chunk)
            if not message.get("more_body", False):
                if received > self._max_body:
                    raise self._too_large()
                return b"".join(parts)

    @staticmethod
    def _declared_length(head: _RequestHead, headers: list[tuple[str, str]], limit: int) -> None:
        """A declared Content-Length, checked against `limit` before anything is read, passed on."""
        if head.content_length is None:
            return
        try:
            length = int(head.content_length)
        except ValueError:
            length = -1
        if length < 0:
            raise BadRequest("Content-Length is not a valid length")
        if length > limit:
            raise _too_large(limit)
        headers.append(("content-length", str(length)))

    def _too_large(self) -> PayloadTooLarge:
        return _too_large(self._max_body)

    def _target(self, route: Route, scope: Scope) -> str:
        raw_path: bytes | None = scope.get("raw_path")
        if raw_path:
            question = raw_path.find(b"?")  # some servers (and test transports) leave the query in it
            path = (raw_path if question == -1 else raw_path[:question]).decode("latin-1")
        else:
            path = scope["path"]
        query: bytes = scope.get("query_string", b"")
        base = self._base_urls[route.service]
        return f"{base}{path}?{query.decode('latin-1')}" if query else base + path

    async def _relay(
        self,
        upstream: aiohttp.ClientResponse,
        send: Send,
        method: str,
        request_id: str,
        head: _RequestHead,
    ) -> int:
        """Send the service's answer on: its status and headers, then its body, streamed if large."""
        status = upstream.status
        headers = [
            (name, value) for name, value in upstream.raw_headers if name.lower() not in _RESPONSE_DROPPED
        ]
        headers.append((b"x-request-id", request_id.encode("latin-1")))
        if head.quota is not None:
            headers += head.quota.raw_headers()
        start: Message = {"type": "http.response.start", "status": status, "headers": headers}
        length = upstream.content_length
        if method == "HEAD" or status in _NO_BODY_STATUSES:
            if length is not None and length <= _WHOLE_BODY_LIMIT:
                # A HEAD's GET body, when small, is read and dropped: its connection goes back to the pool.
                await upstream.read()
            head.answered = True
            await send(start)
            await send({"type": "http.response.body", "body": b""})
            if not upstream.content.is_eof():
                upstream.close()  # a larger one (an export) is not read to be dropped: its connection is closed
            return status
        if length is not None and length <= _WHOLE_BODY_LIMIT:
            body = await upstream.read()  # before the start line: a failure here can still be a 502/504
            head.answered = True
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return status
        first = await upstream.content.read(_STREAM_CHUNK)
        head.answered = True
        await send(start)
        try:
            await send({"type": "http.response.body", "body": first, "more_body": True})
            async for chunk in upstream.content.iter_chunked(_STREAM_CHUNK):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except (aiohttp.ClientError, TimeoutError) as exc:
            # Too late for a problem answer: end the response short so the caller sees it is incomplete.
            self._log.warning("upstream_body_failed", request_id=request_id, error=type(exc).__name__)
            raise _ClientGone from exc
        await send({"type": "http.response.body", "body": b""})
        return status

    def _observe(
        self, route: Route, method: str, status: int, started: float, scope: Scope, request_id: str
    ) -> None:
        elapsed = time.perf_counter() - started
        key = (route.prefix, method, status)
        children = self._metrics.get(key)
        if children is None:
            children = (
                REQUESTS.labels(SERVICE_LABEL, method, route.metrics_route, str(status)),
                LATENCY.labels(SERVICE_LABEL, method, route.metrics_route),
            )
            self._metrics[key] = children
        children[0].inc()
        children[1].observe(elapsed)
        if self._access_log is not None:
            self._access_log.request(
                method=method,
                path=scope["path"],
                status=status,
                duration_ms=round(elapsed * 1000, 2),
                request_id=request_id,
                upstream=route.service,
            )
