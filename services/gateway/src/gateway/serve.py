"""`python -m gateway.serve`: the gateway's launcher, uvicorn with request-receipt deadlines.

uvicorn's command line cannot take a protocol class, and its own timeouts do not bound how long a
request may take to arrive (see `gateway.receipt`), so the gateway is started through this module,
by `prm up` and by the deployment manifests alike:

    python -m gateway.serve --host 0.0.0.0 --port 8000 --timeout-graceful-shutdown 20

The app is `gateway.main:create_app` in uvicorn's factory mode, or another factory named as the first
argument (as uvicorn's command line names it; `prm up` names it, so each process says what it runs). The
deadlines, the connection cap and the client keep-alive come from the gateway's settings
(`PRM_REQUEST_HEAD_TIMEOUT_SECONDS`, `PRM_REQUEST_BODY_TIMEOUT_SECONDS`, `PRM_MAX_CONNECTIONS`,
`PRM_CLIENT_KEEPALIVE_SECONDS`).
"""

from __future__ import annotations

import argparse
import resource
from collections.abc import Sequence

import uvicorn

from gateway.config import Settings
from gateway.receipt import HTTP_PROTOCOLS, ReceiptLimits, protocol_class

APP_FACTORY = "gateway.main:create_app"
# Descriptors kept for what is not a client connection: the upstream pool is added to this.
RESERVED_DESCRIPTORS = 128
MIN_CONNECTIONS = 16


def connection_cap(wanted: int, settings: Settings) -> int:
    """`max_connections`, lowered to what the process's descriptor limit leaves after the upstream pool
    and the rest; the soft limit is first raised to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return wanted
    spare = soft - settings.upstream_pool_size - settings.db_pool_size - RESERVED_DESCRIPTORS
    return max(MIN_CONNECTIONS, min(wanted, spare))


def server_config(
    settings: Settings,
    *,
    app: str = APP_FACTORY,
    host: str,
    port: int,
    http: str = "httptools",
    loop: str = "auto",
    graceful_shutdown_seconds: int | None = None,
    access_log: bool = True,
    log_level: str = "info",
) -> uvicorn.Config:
    """uvicorn's configuration for the gateway: its protocol with deadlines, and the limits as set."""
    limits = ReceiptLimits(
        head_seconds=settings.request_head_timeout_seconds,
        body_seconds=settings.request_body_timeout_seconds,
        max_connections=connection_cap(settings.max_connections, settings),
        head_bytes=settings.max_request_head_bytes,
    )
    return uvicorn.Config(
        app,
        factory=True,
        host=host,
        port=port,
        http=protocol_class(http, limits),
        loop=loop,
        # the protocol closes connections past the cap; this bounds the requests being served as well
        limit_concurrency=limits.max_connections + 1,
        timeout_keep_alive=settings.client_keepalive_seconds,
        # X-Forwarded-For is the gateway's to judge (PRM_TRUSTED_PROXIES): uvicorn's own handling would
        # believe it from any local peer and rewrite the client address first
        proxy_headers=False,
        timeout_graceful_shutdown=graceful_shutdown_seconds,
        access_log=access_log,
        log_level=log_level,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m gateway.serve", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument(
        "app", nargs="?", default=APP_FACTORY, help=f"the app factory (default {APP_FACTORY})"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--http", choices=HTTP_PROTOCOLS, default="httptools")
    parser.add_argument("--loop", choices=("auto", "asyncio", "uvloop"), default="auto")
    parser.add_argument(
        "--timeout-graceful-shutdown",
        type=int,
        default=None,
        help="seconds to let requests in progress finish on SIGTERM before closing them",
    )
    parser.add_argument("--no-access-log", action="store_true", help="uvicorn's own access lines off")
    parser.add_argument(
        "--log-level", default="info", choices=("critical", "error", "warning", "info", "debug")
    )
    options = parser.parse_args(argv)
    config = server_config(
        Settings(),
        app=options.app,
        host=options.host,
        port=options.port,
        http=options.http,
        loop=options.loop,
        graceful_shutdown_seconds=options.timeout_graceful_shutdown,
        access_log=not options.no_access_log,
        log_level=options.log_level,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
