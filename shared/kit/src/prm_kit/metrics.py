"""Prometheus metrics: request counts and latencies by route template, served at `/metrics`.

`/metrics` tells how busy each route is and which fail, so it is not public: it answers a direct request
from `metrics_allowed_networks` (loopback by default; in a cluster, the scraper's network), or a request
carrying a PRM service's own internal credential; anyone else gets a 403.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from prm_contracts.principal import INTERNAL_SCOPE
from prm_contracts.problem import Forbidden, Unauthorized
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prm_kit.internal_auth import INTERNAL_HEADER, PrincipalVerifier
from prm_kit.networks import Network, address_within, parse_networks

REQUESTS = Counter(
    "prm_http_requests_total", "HTTP requests served", ["service", "method", "route", "status"]
)
LATENCY = Histogram(
    "prm_http_request_duration_seconds",
    "HTTP request duration",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service
        # Each (method, route template, status)'s labelled counter and histogram, looked up once: `labels()`
        # builds and locks its way to the same child on every call. Bounded as the labels themselves are.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            route = scope.get("route")
            # the template, never the raw path: ids in paths would explode label cardinality
            template = getattr(route, "path_format", None) or "unmatched"
            method = scope["method"]
            key = (method, template, status)
            children = self._children.get(key)
            if children is None:
                children = (
                    REQUESTS.labels(self.service, method, template, str(status)),
                    LATENCY.labels(self.service, method, template),
                )
                self._children[key] = children
            children[0].inc()
            children[1].observe(time.perf_counter() - started)


async def metrics_endpoint(request: Request) -> Response:
    """The metrics, to whom `may_read_metrics` allows (the app's `state.settings` say who); else 403."""
    if not may_read_metrics(request):
        raise Forbidden(
            "metrics are served only to direct requests from metrics_allowed_networks "
            "(PRM_METRICS_ALLOWED_NETWORKS) or with a PRM service's internal credential"
        )
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def may_read_metrics(request: Request) -> bool:
    settings = request.app.state.settings
    credential = request.headers.get(INTERNAL_HEADER)
    if credential is not None:
        try:
            principal = _verifier(settings.internal_secret.get_secret_value()).verify(credential)
        except Unauthorized:
            principal = None
        if principal is not None and INTERNAL_SCOPE in principal.scopes:
            return True
    if "x-forwarded-for" in request.headers or "forwarded" in request.headers:
        return False  # relayed by a proxy: whoever sent it is not the peer we see
    if request.client is None:
        return False
    return address_within(request.client.host, _networks(tuple(settings.metrics_allowed_networks)))


@lru_cache(maxsize=4)
def _verifier(secret: str) -> PrincipalVerifier:
    return PrincipalVerifier(secret)


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(entries)
