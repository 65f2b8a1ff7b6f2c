"""The gateway on a migrated database (each test rolled back), in front of four echoing fake services."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from gateway.config import Settings
from gateway.main import MIGRATIONS_DIR, create_app
from prm_kit.testing import TEST_SECRET, rolled_back_app

from .fakes import EchoService, ServerThread, free_port
from .harness import GatewayUnderTest

SERVICES = ("registry", "scoring", "incentives", "analytics")
GatewayFactory = Callable[..., AbstractAsyncContextManager[GatewayUnderTest]]


@pytest.fixture(scope="session")
def upstreams() -> Iterator[dict[str, str]]:
    """Service name -> base URL of a running fake of it."""
    servers = {name: ServerThread(EchoService(name)).start() for name in SERVICES}
    yield {name: server.url for name, server in servers.items()}
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def dead_url() -> str:
    """A local address where nothing listens: connecting is refused at once."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def database_url(migrated_database: Callable[[str, Path], str]) -> str:
    return migrated_database("gateway", MIGRATIONS_DIR)


@pytest.fixture
def make_settings(upstreams: dict[str, str], database_url: str, tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "internal_secret": TEST_SECRET,
            "database_url": database_url,
            "data_dir": tmp_path,
            "access_log": False,
            "upstream_read_timeout_seconds": 1.0,
            **{f"{name}_url": url for name, url in upstreams.items()},
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def gateway_with(make_settings: Callable[..., Settings], database_url: str) -> GatewayFactory:
    """`async with gateway_with(**settings) as gw:` a gateway configured for one test; `registry_transport`
    stands in for the registry the gateway asks itself (whether a partner exists), not the proxied one."""

    @asynccontextmanager
    async def start(
        registry_transport: httpx.AsyncBaseTransport | None = None, **overrides: Any
    ) -> AsyncIterator[GatewayUnderTest]:
        app = create_app(make_settings(**overrides))
        app.state.registry_transport = registry_transport
        async with rolled_back_app(app, database_url, principal=None) as (client, session):
            yield GatewayUnderTest(client=client, session=session, app=app)

    return start


@pytest_asyncio.fixture
async def gw(gateway_with: GatewayFactory) -> AsyncIterator[GatewayUnderTest]:
    async with gateway_with() as gateway:
        yield gateway
