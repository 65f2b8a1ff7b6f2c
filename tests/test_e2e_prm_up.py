"""`prm up` as a user runs it: real processes on free ports, called through the gateway, stopped by a signal.

One platform serves the whole module (`prm up --demo`, started once): the tests that only read it come first,
then the one that kills a service, then the one that stops it, in file order.

Honours PRM_TEST_DB: with `postgresql`, every service gets a fresh database from one PRM_DATABASE_URL template
(dropped afterwards); with `sqlite`, the SQLite files live in the test's data folder.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import stat
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from prm_cli import demo
from prm_kit.testing import drop_database, free_ports, postgres_admin_url, run_blocking
from prm_kit.testing import test_backend as chosen_backend  # aliased: pytest would collect test_*
from sqlalchemy import make_url

pytestmark = pytest.mark.e2e

SERVICES = ("registry", "scoring", "incentives", "analytics", "gateway")
# Five Python processes importing FastAPI and SQLAlchemy on a 2-core machine, plus migrations and the demo:
# about a minute on a quiet day; 180 s was outlasted at load 9-13 (2026-12-01), so the bound allows a slow day.
START_SECONDS = 360
STOP_SECONDS = 60
FIRST_KEY_FILE = "first-admin-key.txt"


def new_admin_key() -> str:
    """A key in the gateway's format: prm_ + 8 lowercase letters or digits + _ + a long URL-safe secret."""
    return f"prm_e2e{secrets.token_hex(3)[:5]}_{secrets.token_urlsafe(32)}"


@dataclass
class RunningPrm:
    process: subprocess.Popen[bytes]
    log: Path
    gateway_url: str
    service_urls: dict[str, str]
    admin_key: str
    data_dir: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def children(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def wait_running(self) -> None:
        """Poll (bounded) until every process answers /readyz and `prm up` says it is running."""
        deadline = time.monotonic() + START_SECONDS
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, f"prm up exited early:\n{self.output()}"
                if "PRM is running" in self.output() and all(
                    _ready(client, url) for url in [self.gateway_url, *self.service_urls.values()]
                ):
                    return
                time.sleep(0.5)
        raise AssertionError(f"prm up was not running after {START_SECONDS} s:\n{self.output()}")


def _ready(client: httpx.Client, base_url: str) -> bool:
    try:
        return client.get(f"{base_url}/readyz").status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def database_env() -> Iterator[dict[str, str]]:
    """PRM_DATABASE_URL for PostgreSQL runs (fresh databases, dropped afterwards); nothing for SQLite."""
    if chosen_backend() == "sqlite":
        yield {}
        return
    name = f"prm_e2e_{uuid.uuid4().hex[:10]}_SERVICE"
    template = make_url(postgres_admin_url()).set(database=name).render_as_string(hide_password=False)
    template = template.replace("SERVICE", "{service}")
    yield {"PRM_DATABASE_URL": template}
    for service in SERVICES:
        run_blocking(drop_database(template.replace("{service}", service)))


@pytest.fixture(scope="module")
def prm_up(tmp_path_factory: pytest.TempPathFactory, database_env: dict[str, str]) -> Iterator[RunningPrm]:
    """One `prm up --demo` for the whole module (started once: five processes, migrations and the demo
    set cost more than everything the tests do with them), on free ports, with no PRM_BOOTSTRAP_ADMIN_KEY:
    the admin key is the first key `prm up` creates itself (read from its file once running). The tests
    below only read, except the last two, which kill a service and then stop the platform; whatever a test
    leaves running is killed, with its children, at the end."""
    folder = tmp_path_factory.mktemp("prm-up")
    gateway_port, *service_ports = free_ports(5)
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PRM_")}
    environment |= {"PRM_DATA_DIR": str(folder / "data"), "PRM_LOG_FORMAT": "console", **database_env}
    log = folder / "prm-up.log"
    command = [sys.executable, "-m", "prm_cli", "up", "--host", "127.0.0.1", "--demo"]
    command += ["--gateway-port", str(gateway_port), "--base-port", str(service_ports[0])]
    command += ["--start-timeout", str(START_SECONDS)]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            env=environment,
            cwd=folder,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = RunningPrm(
        process=process,
        log=log,
        gateway_url=f"http://127.0.0.1:{gateway_port}",
        service_urls={
            name: f"http://127.0.0.1:{port}" for name, port in zip(SERVICES[:4], service_ports, strict=True)
        },
        admin_key="",
        data_dir=folder / "data",
    )
    try:
        running.wait_running()
        running.admin_key = (running.data_dir / FIRST_KEY_FILE).read_text(encoding="utf-8").strip()
        yield running
    finally:
        if process.poll() is None:
            leftovers = running.children()
            os.killpg(process.pid, signal.SIGKILL)
            for child in leftovers:
                child.kill()
            process.wait(timeout=STOP_SECONDS)


def stop_with(running: RunningPrm, signum: int) -> list[psutil.Process]:
    """Signal `prm up`, wait for it to exit, and return the children it had (to check they are gone)."""
    children = running.children()
    running.process.send_signal(signum)
    running.process.wait(timeout=STOP_SECONDS)
    return children


def test_prm_up_runs_every_process_and_shows_its_first_admin_key_before_starting_them(
    prm_up: RunningPrm,
) -> None:
    output = prm_up.output()
    assert sorted(_service_of(child) for child in prm_up.children()) == sorted(SERVICES), output
    # The first admin key is kept privately and was printed before any process started.
    key_file = prm_up.data_dir / FIRST_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first_child_line = re.search(r"^registry +\|", output, re.MULTILINE)
    assert first_child_line is not None, output
    assert output.index(prm_up.admin_key) < first_child_line.start() < output.index("PRM is up")


def test_prm_up_serves_the_platform_through_the_gateway(
    prm_up: RunningPrm, merged_openapi: Callable[[], dict[str, Any]]
) -> None:
    admin = {"Authorization": f"Bearer {prm_up.admin_key}"}
    with httpx.Client(base_url=prm_up.gateway_url, timeout=10.0) as client:
        anonymous = client.get("/v1/status")
        wrong_key = client.get("/v1/status", headers={"Authorization": f"Bearer {new_admin_key()}"})
        status = client.get("/v1/status", headers=admin)
        partners = client.get("/v1/partners", params={"limit": 1}, headers=admin)  # routed to the registry
        document = client.get("/openapi.json").json()

    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    assert wrong_key.status_code == 401
    assert status.status_code == 200, status.text
    assert status.json()["status"] == "ready"
    assert {service["service"] for service in status.json()["services"]} == set(SERVICES[:4])
    assert partners.status_code == 200, partners.text
    assert len(partners.json()["items"]) == 1  # the demo set holds 36: the registry's page of `limit`
    assert partners.json()["next_cursor"]
    assert partners.headers["x-request-id"]
    _assert_is_the_merged_document(document, merged_openapi())


def test_prm_up_demo_loads_the_registry_demo_and_opens_the_public_application_form(
    prm_up: RunningPrm,
) -> None:
    admin = {"Authorization": f"Bearer {prm_up.admin_key}"}
    with httpx.Client(base_url=prm_up.gateway_url, timeout=10.0) as client:
        partners = _all_items(client, "/v1/partners", admin)
        registrations = _all_items(client, "/v1/deal-registrations", admin)
        cases = _all_items(client, "/v1/conflict-cases", admin)
        application = client.post(
            "/v1/applications",  # no key: the public form
            json={
                "company": {
                    "legal_name": "Brightwave Solutions Ltd",
                    "partner_type": "reseller",
                    "country": "GB",
                }
            },
        )
        peek = client.get("/v1/applications")  # and nothing else without a key

    output = prm_up.output()
    # every loader, not the registry's alone: one refused by a rule of its service fails the demo there
    names = [loader.name for loader in demo.LOADERS]
    assert [name for name in names if f"demo data {name}: loaded" not in output] == [], output
    assert len(partners) == 36
    assert {p["partner_type"] for p in partners} == {
        "distributor",
        "reseller",
        "var",
        "system_integrator",
        "msp",
        "referral",
        "agent",
    }
    assert {"prospect", "applied", "onboarding", "active", "suspended", "terminated"} <= {
        p["status"] for p in partners
    }
    assert len(registrations) == 60
    assert {"approved", "pending_review", "won", "lost", "rejected"} <= {r["status"] for r in registrations}
    assert len(cases) >= 4
    assert application.status_code == 201, application.text
    assert application.json()["submitted_by"] == "public:applicant"
    assert application.json()["evaluation"] is None
    assert peek.status_code == 401


def _all_items(client: httpx.Client, path: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        page = client.get(path, params=params, headers=headers)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


# Kills a service: after the tests that only read, before the one that stops the platform.
def test_a_killed_service_is_restarted_while_the_platform_keeps_running(prm_up: RunningPrm) -> None:
    admin = {"Authorization": f"Bearer {prm_up.admin_key}"}
    registry = next(child for child in prm_up.children() if _service_of(child) == "registry")

    with httpx.Client(base_url=prm_up.gateway_url, timeout=10.0) as client:
        assert client.get("/v1/partners", params={"limit": 1}, headers=admin).status_code == 200
        registry.kill()
        registry.wait(timeout=10)
        while_down = client.get("/v1/partners", params={"limit": 1}, headers=admin)
        healed = _poll(
            lambda: client.get("/v1/partners", params={"limit": 1}, headers=admin).status_code == 200
        )
        other_service = client.get("/v1/status", headers=admin)

    assert while_down.status_code == 503, while_down.text  # the gateway's answer for a service that is down
    assert healed, f"the registry did not come back:\n{prm_up.output()}"
    assert other_service.status_code == 200, other_service.text
    assert prm_up.process.poll() is None, prm_up.output()
    assert "registry was killed by SIGKILL; restart 1 in 0.5 s" in prm_up.output()
    assert _poll(lambda: _supervised(prm_up)["registry"]["state"] == "ready"), _supervised(prm_up)
    assert _supervised(prm_up)["registry"]["restarts"] == 1
    assert _supervised(prm_up)["gateway"]["restarts"] == 0


# Stops the platform: the module's last test.
def test_prm_up_stops_cleanly_on_sigterm(prm_up: RunningPrm) -> None:
    assert sorted(_service_of(child) for child in prm_up.children()) == sorted(SERVICES), prm_up.output()

    children = stop_with(prm_up, signal.SIGTERM)

    assert prm_up.process.returncode == 0, prm_up.output()
    _gone, alive = psutil.wait_procs(children, timeout=10)
    assert alive == [], f"children outlived prm up: {alive}"
    assert "PRM stopped." in prm_up.output()
    assert json.loads((prm_up.data_dir / "supervisor.json").read_text())["state"] == "stopped"


def _poll(condition: Callable[[], bool]) -> bool:
    """Whether `condition` holds within START_SECONDS (checked every half second)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def _supervised(running: RunningPrm) -> dict[str, dict[str, Any]]:
    """`prm up`'s supervisor.json, child by child."""
    view = json.loads((running.data_dir / "supervisor.json").read_text(encoding="utf-8"))
    return {child["name"]: child for child in view["children"]}


def _service_of(process: psutil.Process) -> str:
    """Which service a child of `prm up` runs, from its uvicorn command line."""
    factory = next(part for part in process.cmdline() if part.endswith(".main:create_app"))
    package = factory.removesuffix(".main:create_app")
    return {"partner_registry": "registry"}.get(package, package)


def _assert_is_the_merged_document(document: dict[str, Any], merged: dict[str, Any]) -> None:
    assert sorted(document["paths"]) == sorted(merged["paths"]), "the gateway serves another document"
    assert "/v1/admin/api-keys" in document["paths"]  # the gateway's own
    assert "/v1/partners" in document["paths"]  # the registry's
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    operation_ids = [
        operation["operationId"]
        for path_item in document["paths"].values()
        for method, operation in path_item.items()
        if method in {"get", "put", "post", "patch", "delete"}
    ]
    duplicates = [name for name, count in Counter(operation_ids).items() if count > 1]
    assert duplicates == [], f"operationIds used twice: {duplicates}"
