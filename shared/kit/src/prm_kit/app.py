"""`create_service_app`: the one way a PRM service is assembled, so each service stays thin."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.telemetry import TelemetryConfig
from sqlalchemy.exc import SQLAlchemyError

from prm_kit.access_log import AccessLog
from prm_kit.db.engine import make_engine, make_session_factory
from prm_kit.dead_letters import OPENAPI_TAG as DEAD_LETTERS_TAG
from prm_kit.dead_letters import dead_letters_router
from prm_kit.errors import UnexpectedErrorMiddleware, install_problem_handlers
from prm_kit.health import router as health_router
from prm_kit.housekeeping import KeptFor, housekeeping_while_running
from prm_kit.idempotency import install_replay_handler
from prm_kit.internal_auth import InternalCredentialMiddleware, PrincipalVerifier
from prm_kit.logs import configure_logging, get_logger
from prm_kit.metrics import MetricsMiddleware, metrics_endpoint
from prm_kit.migrations import ensure_database, head_revision, known_revisions
from prm_kit.openapi import build_openapi, check_unique_operation_ids, operation_id
from prm_kit.query_guard import refuse_unknown_query_parameters
from prm_kit.relay import relay_while_running
from prm_kit.request_id import RequestIdMiddleware
from prm_kit.settings import BaseServiceSettings
from prm_kit.text_guard import TextGuardMiddleware

ExtraLifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
# PRM exports Prometheus metrics itself (prm_kit.metrics) and configures no OpenTelemetry. Left on, FastAPI's
# bridge to it looks for configured providers (three environment lookups) on every request.
NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}

# A young collection promotes whatever the requests in flight hold at that moment, and once promoted objects
# reach a quarter of the old generation a full collection follows. At Python's default (every 700
# allocations) the registry under the bench's load ran one every 8-10 s, each stopping every request for
# 90-120 ms (measured with gc.callbacks): the p99 of a list. Every 50,000 allocations promotes far fewer.
YOUNG_COLLECTION_EVERY = 50_000


def create_service_app(
    settings: BaseServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    migrations_dir: Path,
    openapi_tags: list[dict[str, Any]] | None = None,
    extra_lifespan: ExtraLifespan | None = None,
    kept_for: Sequence[KeptFor] = (),
) -> FastAPI:
    """A FastAPI app with problem+json errors, request ids, logs, metrics, health and the internal check.
    `kept_for`: the service's own tables whose rows housekeeping deletes once old enough.

    The lifespan owns the database engine; a test may set `app.state.engine` beforehand to share one.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, settings.log_level, settings.log_format)
        owns_engine = getattr(app.state, "engine", None) is None
        if owns_engine:
            try:
                await ensure_database(settings.effective_database_url)
            except (OSError, SQLAlchemyError) as exc:
                # Start anyway: /readyz answers "unreachable" until the database does, instead of a crash loop.
                get_logger("app").warning("database_not_reachable_at_start", error=type(exc).__name__)
            app.state.engine = make_engine(settings.effective_database_url, pool_size=settings.db_pool_size)
        app.state.session_factory = make_session_factory(app.state.engine)
        collection_thresholds = gc.get_threshold()
        try:
            async with AsyncExitStack() as stack:
                if access_log is not None:
                    await stack.enter_async_context(_flushing(access_log))
                await stack.enter_async_context(relay_while_running(app))
                await stack.enter_async_context(housekeeping_while_running(app, kept_for=kept_for))
                if extra_lifespan is not None:
                    await stack.enter_async_context(extra_lifespan(app))
                # What start-up built (app, models, pools) lives as long as the process: frozen, a full
                # collection stops re-scanning it (about 180,000 objects, 0.2 s of CPU each in analytics,
                # measured; a large request allocates enough to set one off), a latency spike gone from p99.
                gc.freeze()
                gc.set_threshold(YOUNG_COLLECTION_EVERY, *collection_thresholds[1:])
                yield
        finally:
            gc.set_threshold(*collection_thresholds)
            if owns_engine:
                await app.state.engine.dispose()
                app.state.engine = None

    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        openapi_tags=[*(openapi_tags or []), DEAD_LETTERS_TAG],
        generate_unique_id_function=operation_id,
        docs_url=None,
        redoc_url=None,
        telemetry=NO_TELEMETRY,
        # A slash redirect would carry this service's internal address to a client behind the gateway.
        redirect_slashes=False,
        dependencies=[Depends(refuse_unknown_query_parameters)],
    )
    access_log = AccessLog.configured(
        service=settings.service_name,
        enabled=settings.access_log,
        log_level=settings.log_level,
        log_format=settings.log_format,
    )
    app.state.settings = settings
    app.state.engine = None
    app.state.access_log = access_log
    app.state.head_revision = head_revision(migrations_dir)
    app.state.known_revisions = known_revisions(migrations_dir)
    install_problem_handlers(app)
    install_replay_handler(app)
    app.include_router(health_router)
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    for router in routers:
        app.include_router(router)
    app.include_router(dead_letters_router(settings.service_name))
    check_unique_operation_ids(app)
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]

    # Added innermost first: the request id wraps everything, so even a 500 carries it.
    app.add_middleware(TextGuardMiddleware)
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(
        InternalCredentialMiddleware, verifier=PrincipalVerifier(settings.internal_secret.get_secret_value())
    )
    app.add_middleware(MetricsMiddleware, service=settings.service_name)
    app.add_middleware(RequestIdMiddleware, access_log=access_log)
    return app


@asynccontextmanager
async def _flushing(access_log: AccessLog) -> AsyncIterator[None]:
    """The access log's flushing task, for as long as the app runs (it flushes the last lines as it ends)."""
    task = asyncio.create_task(access_log.run())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)  # a last flush failing (stdout gone) is no news
