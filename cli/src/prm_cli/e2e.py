"""The platform of the end-to-end tests: real service processes and the gateway (`python -m gateway.serve`),
each on a fresh database of the test backend (PRM_TEST_DB), started in parallel, with the event
subscriptions wired as `prm up` wires them; partner systems that sign with the independent
`standardwebhooks` package; bounded polling.

It lives in an installed package, not beside the tests: test folders are not packages (pytest's importlib
mode), so `tests/` cannot hold a module its tests import.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
from prm_kit.testing import (
    TEST_SECRET,
    drop_database,
    free_ports,
    fresh_database_url,
    migrate_fresh,
    run_blocking,
)
from standardwebhooks.webhooks import Webhook

from prm_cli.services import BACKENDS, by_name, event_subscriptions

START_SECONDS = 90.0  # several Python processes importing FastAPI and SQLAlchemy on a busy 2-core machine
WAIT_SECONDS = 60.0  # the deadline of every poll: generous for a slow day, never a fixed sleep
NOWHERE = "http://127.0.0.1:9"  # the URL of a service not started: connections are refused at once

T = TypeVar("T")


def new_admin_key() -> str:
    """A key in the gateway's format, unknown until it is given to `PRM_BOOTSTRAP_ADMIN_KEY`."""
    return f"prm_e2e{secrets.token_hex(3)[:5]}_{secrets.token_urlsafe(32)}"


def uvicorn(factory: str) -> list[str]:
    return [sys.executable, "-m", "uvicorn", factory, "--factory"]


GATEWAY_COMMAND = [sys.executable, "-m", "gateway.serve"]


@dataclass
class Service:
    """One service process on a fixed port, so it can be killed and started again where the gateway expects
    it, on the same database. It sees no PRM_* variable of the test's environment but its own."""

    name: str
    command: list[str]
    environment: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {n: v for n, v in os.environ.items() if not n.startswith("PRM_")} | self.environment
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(  # noqa: S603 - our own service commands
                [*self.command, "--host", "127.0.0.1", "--port", str(self.port)],
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise AssertionError(
                        f"{self.name} exited at start:\n{self.log.read_text(errors='replace')}"
                    )
                try:
                    if client.get(f"{self.url}/readyz").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        raise AssertionError(
            f"{self.name} not ready in {START_SECONDS} s:\n{self.log.read_text(errors='replace')}"
        )

    def signal(self, number: signal.Signals, *, wait: bool = True) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, number)
            if wait:
                self.process.wait(timeout=30)


@contextmanager
def started(services: Sequence[Service]) -> Iterator[None]:
    """The processes started together and ready; stopped (SIGTERM, then waited for) afterwards."""
    try:
        for service in services:
            service.start()
        with ThreadPoolExecutor(max_workers=len(services)) as pool:
            list(pool.map(Service.wait_ready, services))
        yield
    finally:
        for service in services:
            service.signal(signal.SIGTERM, wait=False)
        for service in services:
            if service.process is not None:
                try:
                    service.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    service.signal(signal.SIGKILL)


def subscriptions_env(
    urls: Mapping[str, str], subscriptions: Mapping[str, Sequence[str]] | None = None
) -> dict[str, str]:
    """`PRM_<PUBLISHER>_EVENT_SUBSCRIBERS` of `subscriptions` (publisher -> subscribers; by default as `prm up`
    wires them), restricted to the services in `urls`."""
    wiring = {}
    for publisher, subscribers in (event_subscriptions() if subscriptions is None else subscriptions).items():
        taking = [urls[name] for name in subscribers if name in urls]
        if publisher in urls and taking:
            wiring[by_name(publisher).event_subscribers_env] = ",".join(taking)
    return wiring


@dataclass
class Platform:
    gateway: httpx.Client  # with the admin key
    anonymous: httpx.Client  # of the gateway, without any key: the public forms, signed webhooks
    services: dict[str, Service]


@contextmanager
def running_platform(
    folder: Path,
    backends: Sequence[str],
    environments: Mapping[str, Mapping[str, str]] | None = None,
    *,
    subscriptions: Mapping[str, Sequence[str]] | None = None,
) -> Iterator[Platform]:
    """`backends` (names of `prm_cli.services.BACKENDS`) and the gateway, each on a fresh database dropped
    afterwards, every one given the URLs of the others (those not started point `NOWHERE`) and the event
    subscriptions among them (`subscriptions`, by default as `prm up` wires them); `environments[name]` adds
    to or overrides one process's settings."""
    names = [*backends, "gateway"]
    migrations = {name: by_name(name).migrations_dir() for name in names}
    databases = {name: fresh_database_url(name, folder) for name in names}
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    urls = {name: f"http://127.0.0.1:{ports[name]}" for name in backends}
    admin_key = new_admin_key()
    common = {
        "PRM_INTERNAL_SECRET": TEST_SECRET,
        "PRM_DATA_DIR": str(folder / "data"),
        "PRM_LOG_FORMAT": "console",
        "PRM_OUTBOX_POLL_SECONDS": "0.1",
        **{f"PRM_{service.name.upper()}_URL": urls.get(service.name, NOWHERE) for service in BACKENDS},
        **subscriptions_env(urls, subscriptions),
    }
    gateway = {
        "PRM_BOOTSTRAP_ADMIN_KEY": admin_key,
        "PRM_RATE_LIMIT_PER_SECOND": "10000",
        "PRM_RATE_LIMIT_BURST": "10000",
    }
    services = [
        Service(
            name,
            GATEWAY_COMMAND if name == "gateway" else uvicorn(by_name(name).app_factory),
            common
            | {f"PRM_{name.upper()}_DATABASE_URL": databases[name]}
            | (gateway if name == "gateway" else {})
            | dict((environments or {}).get(name, {})),
            ports[name],
            folder / f"{name}.log",
        )
        for name in names
    ]
    try:
        # one after the other: Alembic's `context` is global to the process, so migrations cannot share it
        # from threads; the processes, which cost the most, start together
        for name, database in databases.items():
            run_blocking(migrate_fresh(database, migrations[name]))
        with (
            started(services),
            httpx.Client(
                base_url=services[-1].url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=30.0
            ) as admin,
            httpx.Client(base_url=services[-1].url, timeout=30.0) as anonymous,
        ):
            yield Platform(admin, anonymous, {service.name: service for service in services})
    finally:
        for database in databases.values():
            run_blocking(drop_database(database))


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The answer's JSON, once its status is the expected one (the message names the request)."""
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url}: {response.text}"
    )
    return response.json()


def wait_for(condition: Callable[[], T], what: str, seconds: float = WAIT_SECONDS) -> T:
    """The first truthy value of `condition`, polled every 0.1 s until the deadline."""
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.1)
    return found


def sales_body(lines: list[dict[str, Any]]) -> str:
    return json.dumps({"type": "sales.reported", "data": {"transactions": lines}})


@dataclass
class PartnerSystem:
    """A partner's ERP: its partner id and webhook secret."""

    partner_id: str
    secret: str

    def post(self, client: httpx.Client, webhook_id: str, body: str) -> httpx.Response:
        """One delivery signed per Standard Webhooks with a fresh timestamp, without any API key (webhooks
        are authenticated by signature only)."""
        now = datetime.now(UTC)
        request = client.build_request(
            "POST",
            f"/v1/webhooks/partners/{self.partner_id}/sales",
            content=body,
            headers={
                "content-type": "application/json",
                "webhook-id": webhook_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": Webhook(self.secret).sign(webhook_id, now, body),
            },
        )
        request.headers.pop("Authorization", None)
        return client.send(request)

    def send(self, client: httpx.Client, webhook_id: str, lines: list[dict[str, Any]]) -> None:
        """One delivery that must be accepted whole."""
        answer = ok(self.post(client, webhook_id, sales_body(lines)))
        assert answer["counts"]["accepted"] == len(lines), answer


def new_partner(gateway: httpx.Client, name: str) -> str:
    """The id of a new German reseller, created in the registry through the gateway."""
    partner = gateway.post(
        "/v1/partners", json={"legal_name": name, "partner_type": "reseller", "country": "DE"}
    )
    return str(ok(partner, 201)["id"])


def partner_system(gateway: httpx.Client, partner_id: str) -> PartnerSystem:
    """The partner's system, with a webhook secret issued for it."""
    secret = ok(gateway.post(f"/v1/partners/{partner_id}/webhook-secrets"), 201)["secret"]
    return PartnerSystem(partner_id, secret)
