"""The front door under load, with real processes: the partner registry on a fresh database, and the gateway
started by its launcher (`python -m gateway.serve`) as `prm up` and the manifests start it.

Many concurrent callers of one list: each gets its answer or a fast 503 with Retry-After (load shedding),
never a long wait ending in a 504; the gateway's health and readiness answer throughout; a client that
trickles its request line is cut off at the head deadline.

Honours PRM_TEST_DB like every suite (fresh databases, dropped afterwards).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import httpx
import pytest
from gateway.main import MIGRATIONS_DIR as GATEWAY_MIGRATIONS
from partner_registry.main import MIGRATIONS_DIR as REGISTRY_MIGRATIONS
from prm_kit.testing import (
    TEST_SECRET,
    drop_database,
    free_ports,
    fresh_database_url,
    migrate_fresh,
    run_blocking,
    served_on_fresh_database,
)

pytestmark = pytest.mark.e2e

ADMIN_KEY = "prm_frontdr1_" + "f" * 43
START_SECONDS = 120
CLIENTS = 100
LOAD_SECONDS = 4.0
HEAD_DEADLINE_SECONDS = 2
IN_FLIGHT = 4
QUEUE_WAIT_SECONDS = 0.2


@contextmanager
def launched_gateway(folder: Path, registry_url: str, settings: dict[str, str]) -> Iterator[str]:
    """`python -m gateway.serve` on a fresh key store, with a bootstrap admin key; yields its base URL."""
    database_url = fresh_database_url("gateway", folder)
    run_blocking(migrate_fresh(database_url, GATEWAY_MIGRATIONS))
    ports = free_ports(2)
    nowhere = f"http://127.0.0.1:{ports[1]}"  # the other services are not needed here
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PRM_")} | {
        "PRM_INTERNAL_SECRET": TEST_SECRET,
        "PRM_GATEWAY_DATABASE_URL": database_url,
        "PRM_DATA_DIR": str(folder / "gateway-data"),
        "PRM_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "PRM_LOG_FORMAT": "console",
        "PRM_ACCESS_LOG": "false",
        "PRM_RATE_LIMIT_PER_SECOND": "100000",
        "PRM_RATE_LIMIT_BURST": "100000",
        "PRM_REGISTRY_URL": registry_url,
        "PRM_SCORING_URL": nowhere,
        "PRM_INCENTIVES_URL": nowhere,
        "PRM_ANALYTICS_URL": nowhere,
        **settings,
    }
    command = [sys.executable, "-m", "gateway.serve", "--host", "127.0.0.1", "--port", str(ports[0])]
    log = folder / "gateway.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*command, "--log-level", "warning"],
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{ports[0]}"
    try:
        deadline = time.monotonic() + START_SECONDS
        with httpx.Client(timeout=2.0) as client:
            while True:
                assert process.poll() is None, (
                    f"the gateway exited at start:\n{log.read_text(errors='replace')}"
                )
                assert time.monotonic() < deadline, (
                    f"the gateway did not start:\n{log.read_text(errors='replace')}"
                )
                try:
                    if client.get(f"{url}/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.3)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        run_blocking(drop_database(database_url))


@pytest.fixture(scope="module")
def front_door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("front-door")
    with served_on_fresh_database(
        "registry", "partner_registry.main:create_app", REGISTRY_MIGRATIONS, folder, {}
    ) as registry_url:
        settings = {
            "PRM_UPSTREAM_MAX_IN_FLIGHT": str(IN_FLIGHT),
            "PRM_UPSTREAM_QUEUE_WAIT_SECONDS": str(QUEUE_WAIT_SECONDS),
            "PRM_REQUEST_HEAD_TIMEOUT_SECONDS": str(HEAD_DEADLINE_SECONDS),
        }
        with launched_gateway(folder, registry_url, settings) as url:
            yield url


async def _caller(
    session: aiohttp.ClientSession, url: str, until: float, outcomes: list[tuple[int, float, bool]]
) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    while time.monotonic() < until:
        started = time.monotonic()
        async with session.get(f"{url}/v1/tiers", headers=headers) as answer:
            await answer.read()
            well_formed = answer.status != 503 or (
                "retry-after" in answer.headers
                and answer.headers.get("content-type") == "application/problem+json"
            )
            outcomes.append((answer.status, time.monotonic() - started, well_formed))
        if answer.status == 503:
            await asyncio.sleep(0.2)  # a polite caller backs off a little


async def _probe(url: str, until: float, probes: list[tuple[int, float]]) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        while time.monotonic() < until:
            for path in ("/healthz", "/readyz"):
                started = time.monotonic()
                async with session.get(f"{url}{path}") as answer:
                    probes.append((answer.status, time.monotonic() - started))
            await asyncio.sleep(0.3)


async def _load(url: str) -> tuple[list[tuple[int, float, bool]], list[tuple[int, float]]]:
    outcomes: list[tuple[int, float, bool]] = []
    probes: list[tuple[int, float]] = []
    until = time.monotonic() + LOAD_SECONDS
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        await asyncio.gather(
            *(_caller(session, url, until, outcomes) for _ in range(CLIENTS)), _probe(url, until, probes)
        )
    return outcomes, probes


def test_under_load_callers_get_an_answer_or_a_fast_503_and_health_stays_answerable(front_door: str) -> None:
    outcomes, probes = asyncio.run(_load(front_door))

    statuses = {status for status, _took, _ok in outcomes}
    assert statuses <= {200, 503}, f"unexpected statuses {statuses}"
    served = [took for status, took, _ok in outcomes if status == 200]
    shed = [took for status, took, _ok in outcomes if status == 503]
    assert served, "nobody was served"
    assert shed, f"{CLIENTS} callers against {IN_FLIGHT} in flight were never shed"
    assert all(ok for _status, _took, ok in outcomes), "a 503 without Retry-After or problem+json"
    assert max(shed) < 3.0  # fast: the queue wait is 0.2 s
    assert max(served) < 15.0  # nothing near the 30 s read timeout
    assert probes
    assert all(status == 200 for status, _took in probes)
    assert max(took for _status, took in probes) < 3.0


def test_a_request_line_trickled_a_byte_a_second_is_cut_off(front_door: str) -> None:
    host, port = front_door.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.settimeout(1.0)
        received = b""
        for byte in b"GET /v1/tiers HTTP/1.1\r\nHost: gateway\r\n":
            try:
                sock.sendall(bytes([byte]))
                received += sock.recv(4096)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            if received or time.monotonic() - started > HEAD_DEADLINE_SECONDS + 5:
                break
    took = time.monotonic() - started

    assert received.startswith(b"HTTP/1.1 408")
    assert took < HEAD_DEADLINE_SECONDS + 5
