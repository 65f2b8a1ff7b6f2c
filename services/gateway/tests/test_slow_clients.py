"""Slow clients: a trickling body holds no upstream connection, the wait for one is bounded, and a request
that does not arrive in time is answered 408 and its connection closed.

The first cases run the gateway in process; those about the server itself (deadlines for a request's
head and body, the connection cap) run it as a real process started by its launcher, `gateway.serve`,
against the echoing stand-ins, and talk to it over raw sockets.
"""

from __future__ import annotations

import asyncio
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway.main import MIGRATIONS_DIR
from prm_kit.testing import (
    TEST_SECRET,
    drop_database,
    free_ports,
    fresh_database_url,
    migrate_fresh,
    run_blocking,
)

pytestmark = pytest.mark.backend_independent

PROBLEM = "application/problem+json"
ADMIN_KEY = "prm_slowcli1_" + "s" * 43
START_SECONDS = 90
# The strict gateway's deadlines: short, since what is tested is that they are enforced, not their length.
HEAD_SECONDS = 0.5
BODY_SECONDS = 0.75


async def _trickled(first: bytes, pause: float, rest: bytes) -> AsyncIterator[bytes]:
    yield first
    await asyncio.sleep(pause)
    yield rest


# --- in process -------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_trickling_body_holds_no_upstream_connection(gateway_with: Any) -> None:
    # One pooled connection: before, the slow body held it and the other request queued behind it.
    async with gateway_with(upstream_pool_size=1, request_body_timeout_seconds=10) as gw:
        slow_key, other_key = await gw.key("partners:write"), await gw.key("tiers:read")
        slow = asyncio.create_task(
            gw.client.post("/v1/partners", headers=gw.bearer(slow_key), content=_trickled(b"{", 3.0, b"}"))
        )
        await asyncio.sleep(0.2)  # the slow body has started

        started = time.monotonic()
        other = await gw.client.get("/v1/tiers", headers=gw.bearer(other_key))
        waited = time.monotonic() - started

        assert other.status_code == 200
        assert waited < 1.5, f"the other key waited {waited:.1f} s behind a slow body"
        assert not slow.done()
        finished = await slow
        assert finished.status_code == 201
        assert finished.json()["body"] == "{}"


@pytest.mark.asyncio
async def test_a_body_not_in_by_the_deadline_is_a_408_problem_that_closes_the_connection(
    gateway_with: Any,
) -> None:
    async with gateway_with(request_body_timeout_seconds=0.5) as gw:
        key = await gw.key("partners:write")

        answer = await gw.client.post(
            "/v1/partners",
            headers={**gw.bearer(key), "X-Request-ID": "r-408"},
            content=_trickled(b"{", 5.0, b"}"),
        )

        assert answer.status_code == 408
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["status"] == 408
        assert answer.headers["x-request-id"] == "r-408"
        assert answer.headers["connection"] == "close"


@pytest.mark.asyncio
async def test_an_early_refusal_of_a_request_with_a_body_closes_the_connection(gateway_with: Any) -> None:
    async with gateway_with(max_body_bytes=100) as gw:
        key = await gw.key("partners:write")

        answer = await gw.client.post("/v1/partners", headers=gw.bearer(key), content=b"x" * 101)

        assert answer.status_code == 413
        assert answer.headers["connection"] == "close"  # the unread body is never waited for


@pytest.mark.asyncio
async def test_the_wait_for_a_pooled_connection_is_bounded_by_a_503(gateway_with: Any) -> None:
    # Shedding off, one pooled connection held by a slow answer (3 s): before, the next request queued.
    async with gateway_with(
        upstream_pool_size=1,
        upstream_max_in_flight=0,
        upstream_pool_wait_seconds=0.2,
        upstream_connect_timeout_seconds=0.3,  # the bound covers the wait and the connecting: 0.5 s
        upstream_read_timeout_seconds=10,
    ) as gw:
        key = await gw.key("admin")
        held = asyncio.create_task(gw.client.get("/v1/partners/slow", headers=gw.bearer(key)))
        await asyncio.sleep(0.3)

        started = time.monotonic()
        answer = await gw.client.get("/v1/tiers", headers=gw.bearer(key))
        waited = time.monotonic() - started

        assert answer.status_code == 503
        assert answer.headers["content-type"] == PROBLEM
        assert int(answer.headers["retry-after"]) > 0
        assert waited < 2.0
        assert (await held).status_code == 200


# --- a real gateway process, started by its launcher ------------------------------------------------


@contextmanager
def launched_gateway(folder: Path, upstreams: dict[str, str], settings: dict[str, str]) -> Iterator[str]:
    """`python -m gateway.serve` on a fresh migrated key store, with a bootstrap admin key; its base URL."""
    folder.mkdir(parents=True, exist_ok=True)
    database_url = fresh_database_url("gateway", folder)
    run_blocking(migrate_fresh(database_url, MIGRATIONS_DIR))
    (port,) = free_ports(1)
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PRM_")} | {
        "PRM_INTERNAL_SECRET": TEST_SECRET,
        "PRM_GATEWAY_DATABASE_URL": database_url,
        "PRM_DATA_DIR": str(folder / "data"),
        "PRM_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "PRM_LOG_FORMAT": "console",
        "PRM_ACCESS_LOG": "false",
        **{f"PRM_{name.upper()}_URL": url for name, url in upstreams.items()},
        **settings,
    }
    command = [sys.executable, "-m", "gateway.serve", "--host", "127.0.0.1", "--port", str(port)]
    log = folder / "gateway.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*command, "--log-level", "warning"],
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        run_blocking(drop_database(database_url))


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"the gateway exited at start:\n{log.read_text(errors='replace')}")
            try:
                if client.get(f"{url}/healthz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
    raise AssertionError(
        f"the gateway was not up after {START_SECONDS} s:\n{log.read_text(errors='replace')}"
    )


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Whether the server closes the connection within `seconds` (reading all it sends), and what it sent."""
    sock.settimeout(0.2)
    received = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return True, received
        if not chunk:
            return True, received
        received += chunk
    return False, received


def _closed_count(sockets: list[socket.socket], seconds: float) -> int:
    """How many of `sockets` the server closes within `seconds`, all watched at once (reading what they
    are sent): one wait for the lot, not one per socket."""
    closed = 0
    with selectors.DefaultSelector() as selector:
        for sock in sockets:
            selector.register(sock, selectors.EVENT_READ)
        deadline = time.monotonic() + seconds
        while selector.get_map() and (remaining := deadline - time.monotonic()) > 0:
            for key, _events in selector.select(timeout=remaining):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    ended = sock.recv(65536) == b""
                except ConnectionResetError:
                    ended = True
                if ended:
                    closed += 1
                    selector.unregister(sock)
    return closed


def _body_head(path: str, length: int, key: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


@pytest.fixture(scope="module")
def strict_gateway(upstreams: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Short deadlines for a request's head and its body (HEAD_SECONDS, BODY_SECONDS)."""
    folder = tmp_path_factory.mktemp("strict-gateway")
    settings = {
        "PRM_REQUEST_HEAD_TIMEOUT_SECONDS": str(HEAD_SECONDS),
        "PRM_REQUEST_BODY_TIMEOUT_SECONDS": str(BODY_SECONDS),
    }
    with launched_gateway(folder, upstreams, settings) as url:
        yield url


@pytest.fixture(scope="module")
def small_gateway(upstreams: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Long deadlines, but 4 pooled upstream connections and at most 80 client connections."""
    folder = tmp_path_factory.mktemp("small-gateway")
    settings = {
        "PRM_REQUEST_HEAD_TIMEOUT_SECONDS": "30",
        "PRM_REQUEST_BODY_TIMEOUT_SECONDS": "30",
        "PRM_UPSTREAM_POOL_SIZE": "4",
        "PRM_MAX_CONNECTIONS": "80",
    }
    with launched_gateway(folder, upstreams, settings) as url:
        yield url


@pytest.mark.e2e
def test_a_connection_that_never_sends_is_closed_after_the_head_deadline(strict_gateway: str) -> None:
    with _connect(strict_gateway) as sock:
        closed, received = _closed_within(sock, HEAD_SECONDS + 5)

    assert closed
    assert received == b""  # nothing was asked: nothing to answer


@pytest.mark.e2e
def test_headers_trickled_a_byte_a_second_get_a_408_and_the_connection_closed(strict_gateway: str) -> None:
    with _connect(strict_gateway) as sock:
        sock.sendall(b"GET /v1/tiers HTTP/1.1\r\nHost: gateway\r\n")
        started = time.monotonic()
        closed = False
        received = b""
        for byte in b"X-Slow: " + b"a" * 20:
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            closed, part = _closed_within(sock, HEAD_SECONDS / 2)
            received += part
            if closed:
                break
        elapsed = time.monotonic() - started

    assert closed, "the trickling connection was still open"
    assert elapsed < HEAD_SECONDS + 5
    assert received.startswith(b"HTTP/1.1 408")
    assert b"\r\nx-request-id: " in received  # as every answer has one


@pytest.mark.e2e
def test_a_trickled_body_gets_a_408_problem_and_the_connection_closed(strict_gateway: str) -> None:
    with _connect(strict_gateway) as sock:
        sock.sendall(_body_head("/v1/partners", 1_000_000, ADMIN_KEY) + b"x" * 70_000)
        started = time.monotonic()
        closed = False
        received = b""
        while not closed and time.monotonic() - started < BODY_SECONDS + 5:
            try:
                sock.sendall(b"x")
            except (BrokenPipeError, ConnectionResetError):
                break
            closed, part = _closed_within(sock, BODY_SECONDS / 3)
            received += part

    assert received.startswith(b"HTTP/1.1 408"), received[:200]
    assert PROBLEM.encode() in received
    assert b"x-request-id" in received.lower()
    assert time.monotonic() - started < BODY_SECONDS + 5


@pytest.mark.e2e
def test_slow_bodies_do_not_stall_another_keys_requests(small_gateway: str) -> None:
    with httpx.Client(base_url=small_gateway, timeout=10) as client:
        created = client.post(
            "/v1/admin/api-keys",
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
            json={"name": "tiers-reader", "scopes": ["tiers:read"]},
        )
        assert created.status_code == 201
        other_key = created.json()["key"]
        with ExitStack() as stack:
            # 50 bodies of a declared megabyte, 70 KB sent, the rest never: more than 12 times the pool.
            for _ in range(50):
                sock = stack.enter_context(_connect(small_gateway))
                sock.sendall(_body_head("/v1/partners", 1_000_000, ADMIN_KEY) + b"x" * 70_000)
            time.sleep(0.5)

            started = time.monotonic()
            answer = client.get("/v1/tiers", headers={"Authorization": f"Bearer {other_key}"}, timeout=5)
            waited = time.monotonic() - started

    assert answer.status_code == 200
    assert waited < 5


@pytest.mark.e2e
def test_connections_past_the_cap_are_closed_at_once(small_gateway: str) -> None:
    with ExitStack() as stack:
        sockets = [stack.enter_context(_connect(small_gateway)) for _ in range(120)]
        closed = _closed_count(sockets, 1.0)
    # 80 allowed; the head deadline (30 s) is far off, so only the cap closes any
    assert closed >= 120 - 80
    assert closed < 120

    with httpx.Client(base_url=small_gateway, timeout=5) as client:
        assert client.get("/healthz").status_code == 200  # once they are gone, the gateway serves again


@pytest.mark.e2e
def test_a_head_past_its_byte_cap_gets_a_431_problem_and_the_connection_closed(strict_gateway: str) -> None:
    # 32 KiB by default; the head sent is 64 KiB of header lines and never finished
    with _connect(strict_gateway) as sock:
        sock.sendall(b"GET /v1/tiers HTTP/1.1\r\nHost: gateway\r\n")
        try:
            for _ in range(8):
                sock.sendall(b"X-Pad: " + b"a" * 8_000 + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed while sending: what was answered is read below
        closed, received = _closed_within(sock, 5)

    assert closed, "the connection was still open"
    assert received.startswith(b"HTTP/1.1 431"), received[:200]
    assert PROBLEM.encode() in received
    assert b"request-head-too-large" in received
    assert b"\r\nx-request-id: " in received


@pytest.mark.e2e
def test_a_head_past_its_byte_cap_is_refused_though_it_arrives_whole_in_one_write(
    strict_gateway: str,
) -> None:
    # a finished 40 KB head sent at once: the parser would take it whole before any count after it
    head = f"GET /v1/tiers HTTP/1.1\r\nHost: gateway\r\nX-Pad: {'a' * 40_000}\r\n\r\n".encode()
    with _connect(strict_gateway) as sock:
        sock.sendall(head)
        closed, received = _closed_within(sock, 5)

    assert closed, "the connection was still open"
    assert received.startswith(b"HTTP/1.1 431"), received[:200]
    assert b"request-head-too-large" in received


@pytest.mark.e2e
def test_bytes_that_are_not_http_get_a_400_problem_with_a_request_id(strict_gateway: str) -> None:
    with _connect(strict_gateway) as sock:
        sock.sendall(b"GET /v1/tiers HTTP/1.1\r\nHost gateway without a colon\r\n\r\n")
        closed, received = _closed_within(sock, 5)

    assert closed, "the connection was still open"
    assert received.startswith(b"HTTP/1.1 400"), received[:200]
    assert PROBLEM.encode() in received
    assert b"\r\nx-request-id: " in received


@pytest.mark.e2e
def test_a_large_head_within_the_cap_and_a_body_in_the_same_packets_are_served(strict_gateway: str) -> None:
    # a 20 KiB head (a long bearer token, say) followed at once by a 100 KB body: only the head counts
    body = b'{"pad": "' + b"b" * 100_000 + b'"}'
    head = (
        f"POST /v1/partners HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {ADMIN_KEY}\r\n"
        f"X-Pad: {'a' * 20_000}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with _connect(strict_gateway) as sock:
        sock.sendall(head + body)
        closed, received = _closed_within(sock, 10)

    assert closed
    assert received.startswith(b"HTTP/1.1 201"), received[:300]
