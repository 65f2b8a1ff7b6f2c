"""The PRM gateway: routing, API-key authentication, rate limits, request ids, the merged OpenAPI document.

`create_app(settings)` for uvicorn's factory mode and for tests. Routed `/v1/...` paths are proxied to
the owning service (see `gateway.routing`); the gateway itself serves the API-key admin API, `/v1/status`,
`/openapi.json` (the committed merged document, see `gateway.docs`), `/docs`, `/redoc`, `/healthz`,
`/readyz` and `/metrics`. Its own document (`app.openapi()`) is one input of that merge (`prm openapi`).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from fastapi import Depends, FastAPI
from prm_contracts.clients.registry import RegistryClient
from prm_contracts.problem import DEFAULT_PROBLEM_BASE_URI
from prm_kit.access_log import AccessLog
from prm_kit.app import NO_TELEMETRY
from prm_kit.clock import utc_now
from prm_kit.db.engine import make_engine, make_session_factory
from prm_kit.errors import UnexpectedErrorMiddleware, install_problem_handlers
from prm_kit.head_requests import HeadAsGetMiddleware
from prm_kit.health import router as health_router
from prm_kit.http_clients import client_on_app_state
from prm_kit.logs import configure_logging
from prm_kit.metrics import MetricsMiddleware, metrics_endpoint
from prm_kit.migrations import ensure_database, head_revision, known_revisions
from prm_kit.openapi import build_openapi, check_unique_operation_ids, operation_id
from prm_kit.query_guard import refuse_unknown_query_parameters
from prm_kit.request_id import RequestIdMiddleware
from prm_kit.text_guard import TextGuardMiddleware
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.api_keys import service as api_keys
from gateway.api_keys.router import router as api_keys_router
from gateway.app import GatewayApp
from gateway.auth import Authenticator
from gateway.bearer_tokens import BearerTokenVerifier
from gateway.callers import RateLimitHeaders, TrustedProxies, caller_first
from gateway.config import Settings
from gateway.cors import ProblemCORSMiddleware, cors_options
from gateway.docs import read_openapi_document
from gateway.docs import router as docs_router
from gateway.internal_credentials import InternalCredentials
from gateway.problem_pages import router as problem_pages_router
from gateway.proxy import Proxy
from gateway.rate_limit import make_rate_limiter
from gateway.shedding import service_capacities
from gateway.status import router as status_router
from gateway.upstream import base_urls, new_session

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
KEY_USE_RECORDING_SECONDS = 60.0
TAGS = [
    {"name": "api-keys", "description": "API keys of callers: created, listed and revoked by admins."},
    {"name": "status", "description": "Readiness of the platform's services, for operators."},
]
_log = structlog.get_logger("gateway")


def bearer_token_verifier(settings: Settings) -> BearerTokenVerifier | None:
    """The verifier of the identity provider's JWTs, when one is configured."""
    if not settings.jwt_issuer:
        return None
    return BearerTokenVerifier(
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        algorithms=settings.jwt_algorithms,
        public_key=settings.jwt_public_key,
        jwks_url=settings.jwt_jwks_url,
        partner_claim=settings.jwt_partner_claim,
    )


def create_app(settings: Settings | None = None) -> GatewayApp:
    settings = settings or Settings()
    credentials = InternalCredentials(settings.internal_secret.get_secret_value())
    app = GatewayApp(
        title="PRM gateway",
        description=__doc__ or "",
        version="0.1.0",
        lifespan=_lifespan,
        openapi_tags=TAGS,
        generate_unique_id_function=operation_id,
        openapi_url=None,  # /openapi.json is the committed merged document (gateway.docs)
        docs_url=None,
        redoc_url=None,
        telemetry=NO_TELEMETRY,
        dependencies=[Depends(caller_first), Depends(refuse_unknown_query_parameters)],
    )
    upstream_urls = base_urls(settings)
    limiter = make_rate_limiter(
        redis_url=settings.redis_url,
        rate=settings.rate_limit_per_second,
        burst=settings.rate_limit_burst,
        prefix=settings.redis_key_prefix,
    )
    applicant_limiter = make_rate_limiter(
        redis_url=settings.redis_url,
        rate=settings.public_applications_per_hour / 3600,
        burst=settings.public_applications_burst,
        prefix=settings.redis_key_prefix,
        namespace="applicants",
    )
    authenticator = Authenticator(
        credentials=credentials,
        session_factory=lambda: app.state.session_factory,  # looked up late: tests swap it
        ttl_seconds=settings.key_cache_ttl_seconds,
        lookup_limiter=limiter,
        tokens=bearer_token_verifier(settings),
        revocation_check_seconds=settings.key_revocation_check_seconds,
    )
    access_log = AccessLog.configured(
        service=settings.service_name,
        enabled=settings.access_log,
        log_level=settings.log_level,
        log_format=settings.log_format,
    )
    proxy = Proxy(
        authenticator=authenticator,
        limiter=limiter,
        applicant_limiter=applicant_limiter,
        base_urls=upstream_urls,
        max_body_bytes=settings.max_body_bytes,
        max_import_body_bytes=settings.max_import_body_bytes,
        body_timeout_seconds=settings.request_body_timeout_seconds,
        capacities=service_capacities(
            list(upstream_urls),
            limit=settings.upstream_max_in_flight,
            queue_wait_seconds=settings.upstream_queue_wait_seconds,
        ),
        access_log=access_log,
        trusted_proxies=TrustedProxies(settings.trusted_proxies),
    )
    app.state.settings = settings
    app.state.engine = None
    app.state.head_revision = head_revision(MIGRATIONS_DIR)
    app.state.known_revisions = known_revisions(MIGRATIONS_DIR)
    app.state.authenticator = authenticator
    app.state.rate_limiter = limiter
    app.state.applicant_rate_limiter = applicant_limiter
    app.state.proxy = proxy
    app.state.access_log = access_log
    app.state.base_urls = upstream_urls

    install_problem_handlers(app)
    app.include_router(health_router)
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    app.include_router(api_keys_router)
    app.include_router(status_router)
    app.include_router(docs_router)
    app.include_router(problem_pages_router)
    check_unique_operation_ids(app)
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]

    # The gateway's own endpoints get the kit's stack (innermost first); proxied paths skip it (the services
    # guard their own text; the proxy answers a HEAD as a GET itself).
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(TextGuardMiddleware)
    app.add_middleware(RateLimitHeaders)
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(MetricsMiddleware, service=settings.service_name)
    app.add_middleware(RequestIdMiddleware, access_log=access_log)
    if settings.cors_origins:
        options = cors_options(settings.cors_origins)
        app.add_middleware(ProblemCORSMiddleware, access_log=access_log, **options)
        app.proxied = ProblemCORSMiddleware(proxy, access_log=access_log, **options)
    else:
        app.proxied = proxy
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Reads the OpenAPI document; owns the database engine (unless a test set one), the upstream pool and
    the rate limiter."""
    settings: Settings = app.state.settings
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    # Read here, not in create_app: `prm openapi` builds this app to produce the document in the first place.
    document = read_openapi_document(settings.openapi_document)
    # The committed document names problem types under the default base; this deployment's base replaces it.
    app.state.openapi_document = document.replace(
        DEFAULT_PROBLEM_BASE_URI.encode(), settings.problem_base_uri.encode()
    )
    owns_engine = app.state.engine is None
    if owns_engine:
        await ensure_database(settings.effective_database_url)
        app.state.engine = make_engine(settings.effective_database_url, pool_size=settings.db_pool_size)
    app.state.session_factory = make_session_factory(app.state.engine)
    proxy: Proxy = app.state.proxy
    authenticator: Authenticator = app.state.authenticator
    try:
        if settings.bootstrap_admin_key is not None:
            await _ensure_bootstrap_key(
                app.state.session_factory, settings.bootstrap_admin_key.get_secret_value()
            )
        proxy.session = new_session(settings)
        background = [asyncio.create_task(_record_key_use(authenticator))]
        if app.state.access_log is not None:
            background.append(asyncio.create_task(app.state.access_log.run()))
        # What start-up built (app, models, pools) lives as long as the process: frozen, the garbage
        # collector stops re-scanning it in every full collection, which measurably cheapens requests.
        gc.freeze()
        try:
            # asked whether a partner exists before a key is bound to it (gateway.api_keys.partners)
            async with client_on_app_state(
                app,
                "registry",
                base_url=settings.registry_url,
                caller=settings.service_name,
                make=RegistryClient,
            ):
                yield
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await authenticator.record_uses()
            await proxy.session.close()
            await app.state.rate_limiter.aclose()
            await app.state.applicant_rate_limiter.aclose()
    finally:
        if owns_engine:
            await app.state.engine.dispose()
            app.state.engine = None


async def _ensure_bootstrap_key(factory: async_sessionmaker[AsyncSession], plaintext: str) -> None:
    for attempt in range(2):
        try:
            async with factory() as session:
                await api_keys.ensure_bootstrap_key(session, plaintext, now=utc_now())
                await session.commit()
            return
        except IntegrityError:
            # another replica created it at the same moment: the second pass finds it
            if attempt:
                raise


async def _record_key_use(authenticator: Authenticator) -> None:
    while True:
        await asyncio.sleep(KEY_USE_RECORDING_SECONDS)
        await authenticator.record_uses()
