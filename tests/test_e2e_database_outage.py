"""When the registry's PostgreSQL goes away, callers get 503 problem+json with Retry-After, never a 500; when
it comes back, the same process serves again within seconds, nothing restarted.

The registry runs as its own process and reaches PostgreSQL through a TCP forwarder this test owns, so
"the database is down" is real (connections reset, new ones refused) without stopping the machine's shared
server. PostgreSQL only: an SQLite file cannot become unreachable.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from partner_registry.main import MIGRATIONS_DIR
from prm_contracts.principal import APPLICATION_SUBMIT_SCOPE, Principal
from prm_kit.testing import (
    TEST_SECRET,
    drop_database,
    free_ports,
    fresh_database_url,
    internal_headers,
    migrate_fresh,
    run_blocking,
    served_in_subprocess,
)
from prm_kit.testing import test_backend as backend_under_test
from sqlalchemy import make_url

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        backend_under_test() != "postgresql", reason="an SQLite file cannot become unreachable"
    ),
]

RECOVERY_SECONDS = 20
APPLICANT = Principal(subject="public:applicant", scopes=frozenset({APPLICATION_SUBMIT_SCOPE}))


class Forwarder:
    """A TCP forwarder from a local port to PostgreSQL that can be cut (every connection reset, new ones
    refused) and restored on the same port."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port = port
        self.target = target
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        if self._listener is not None:
            # shutdown wakes the thread blocked in accept(); close alone would leave it accepting
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update({client, upstream})
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@pytest.fixture
def registry_behind_forwarder(tmp_path: Path) -> Iterator[tuple[str, Forwarder]]:
    database_url = fresh_database_url("registry", tmp_path)
    run_blocking(migrate_fresh(database_url, MIGRATIONS_DIR))
    parsed = make_url(database_url)
    (port,) = free_ports(1)
    forwarder = Forwarder(port, (parsed.host or "127.0.0.1", parsed.port or 5432))
    forwarder.start()
    through_forwarder = parsed.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    environment = {
        "PRM_INTERNAL_SECRET": TEST_SECRET,
        "PRM_REGISTRY_DATABASE_URL": through_forwarder,
        "PRM_DATA_DIR": str(tmp_path / "data"),
        "PRM_LOG_FORMAT": "console",
        "PRM_ACCESS_LOG": "false",
        "PRM_SCORING_URL": "http://127.0.0.1:9",
    }
    try:
        with served_in_subprocess(
            "partner_registry.main:create_app", environment, tmp_path / "registry.log"
        ) as url:
            yield url, forwarder
    finally:
        forwarder.cut()
        run_blocking(drop_database(database_url))


APPLICATION = {
    "company": {
        "legal_name": "Outage Test GmbH",
        "partner_type": "reseller",
        "country": "DE",
        "registration_number": "HRB 424242",
        "employee_count": 12,
        "annual_revenue": {"amount": "900000.00", "currency": "EUR"},
        "specialisations": {"product_lines": ["networking"], "industries": []},
    },
    "questionnaire": {"certified_engineers": 1},
}


def test_a_lost_database_is_503_and_the_service_heals_when_it_returns(
    registry_behind_forwarder: tuple[str, Forwarder],
) -> None:
    url, forwarder = registry_behind_forwarder
    admin = internal_headers()
    with httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/v1/tiers", headers=admin).status_code == 200

        forwarder.cut()
        answers = [
            client.get("/v1/tiers", headers=admin),
            client.get("/v1/partners", headers=admin),
            client.post("/v1/applications", json=APPLICATION, headers=internal_headers(APPLICANT)),
        ]

        for answer in answers:
            assert answer.status_code == 503, (answer.request.url, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            assert int(answer.headers["retry-after"]) > 0
            assert "database" in answer.json()["detail"]
        assert client.get("/readyz").status_code == 503

        forwarder.start()
        deadline = time.monotonic() + RECOVERY_SECONDS
        while (status := client.get("/v1/tiers", headers=admin).status_code) != 200:
            assert status == 503
            assert time.monotonic() < deadline, (
                f"still {status} {RECOVERY_SECONDS} s after the database returned"
            )
            time.sleep(0.2)
        assert client.get("/readyz").status_code == 200
