"""A partner's score follows its sales, with real processes: the registry, analytics, scoring and the gateway
(`python -m gateway.serve`), each on a fresh database of the test backend (PRM_TEST_DB), started in parallel.

Scoring is wired as `prm up` wires it: the subscriber of the registry's and analytics' events. A partner is
created (`partner.created` → scoring reads it), its system sends signed sales through the gateway (signed with
the independent `standardwebhooks` package), analytics stores them and emits `kpi.updated`, and scoring's
refresh worker recomputes the stored score from analytics' real KPI snapshot: the health's last sale and the
tier standing's trailing-12-month revenue, read through the gateway.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from analytics.main import MIGRATIONS_DIR as ANALYTICS_MIGRATIONS
from gateway.main import MIGRATIONS_DIR as GATEWAY_MIGRATIONS
from partner_registry.main import MIGRATIONS_DIR as REGISTRY_MIGRATIONS
from prm_kit.testing import (
    TEST_SECRET,
    drop_database,
    free_ports,
    fresh_database_url,
    migrate_fresh,
    run_blocking,
)
from scoring.main import MIGRATIONS_DIR as SCORING_MIGRATIONS
from standardwebhooks.webhooks import Webhook

pytestmark = pytest.mark.e2e

START_SECONDS = 90.0  # four Python processes importing FastAPI and SQLAlchemy on a busy 2-core machine
WAIT_SECONDS = 60.0  # the deadline of every poll: generous for a slow day, never a fixed sleep
NO_SALES_DAYS = 45  # scoring's PRM_HEALTH_NO_SALES_DAYS (its default, set here to be sure)


@dataclass
class Service:
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
            self.process = subprocess.Popen(
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

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)


def _uvicorn(factory: str) -> list[str]:
    return [sys.executable, "-m", "uvicorn", factory, "--factory"]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A client of the gateway with an admin key, the registry, analytics and scoring behind it."""
    folder = tmp_path_factory.mktemp("scoring-from-analytics")
    migrations = {
        "registry": REGISTRY_MIGRATIONS,
        "analytics": ANALYTICS_MIGRATIONS,
        "scoring": SCORING_MIGRATIONS,
        "gateway": GATEWAY_MIGRATIONS,
    }
    databases = {name: fresh_database_url(name, folder) for name in migrations}
    ports = dict(zip(("registry", "analytics", "scoring", "gateway"), free_ports(4), strict=True))
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    admin_key = f"prm_e2e{secrets.token_hex(3)[:5]}_{secrets.token_urlsafe(32)}"
    common = {
        "PRM_INTERNAL_SECRET": TEST_SECRET,
        "PRM_DATA_DIR": str(folder / "data"),
        "PRM_LOG_FORMAT": "console",
        "PRM_OUTBOX_POLL_SECONDS": "0.1",
        **{f"PRM_{name.upper()}_URL": address for name, address in url.items() if name != "gateway"},
        **{f"PRM_{name.upper()}_DATABASE_URL": database for name, database in databases.items()},
    }
    environments = {
        # scoring subscribes to both publishers, as `prm up` wires it
        "registry": {"PRM_REGISTRY_EVENT_SUBSCRIBERS": url["scoring"]},
        "analytics": {"PRM_ANALYTICS_EVENT_SUBSCRIBERS": url["scoring"]},
        "scoring": {"PRM_SCORE_REFRESH_SECONDS": "0.1", "PRM_HEALTH_NO_SALES_DAYS": str(NO_SALES_DAYS)},
        "gateway": {
            "PRM_BOOTSTRAP_ADMIN_KEY": admin_key,
            "PRM_INCENTIVES_URL": "http://127.0.0.1:9",
            "PRM_RATE_LIMIT_PER_SECOND": "10000",
            "PRM_RATE_LIMIT_BURST": "10000",
        },
    }
    commands = {
        "registry": _uvicorn("partner_registry.main:create_app"),
        "analytics": _uvicorn("analytics.main:create_app"),
        "scoring": _uvicorn("scoring.main:create_app"),
        "gateway": [sys.executable, "-m", "gateway.serve"],
    }
    services = [
        Service(name, commands[name], common | environments[name], ports[name], folder / f"{name}.log")
        for name in migrations
    ]
    try:
        # one after the other: Alembic's `context` is global to the process; the processes start together
        for name, database in databases.items():
            run_blocking(migrate_fresh(database, migrations[name]))
        for service in services:
            service.start()
        with ThreadPoolExecutor(max_workers=len(services)) as pool:
            list(pool.map(Service.wait_ready, services))
        with httpx.Client(
            base_url=url["gateway"], headers={"Authorization": f"Bearer {admin_key}"}, timeout=30.0
        ) as client:
            yield client
    finally:
        for service in services:
            service.stop()
        for service in services:
            if service.process is not None:
                service.process.wait(timeout=30)
        for database in databases.values():
            run_blocking(drop_database(database))


def _send_sales(
    gateway: httpx.Client, partner_id: str, secret: str, webhook_id: str, lines: list[Any]
) -> None:
    body = json.dumps({"type": "sales.reported", "data": {"transactions": lines}})
    now = datetime.now(UTC)
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, now, body),
        "content-type": "application/json",
    }
    answer = gateway.post(f"/v1/webhooks/partners/{partner_id}/sales", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["counts"]["accepted"] == len(lines), answer.text


def _sale(external_id: str, occurred_on: date, amount: str) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "kind": "sale",
        "occurred_on": occurred_on.isoformat(),
        "payment_status": "invoiced",
        "customer": {"name": "Kunde Eins", "country": "DE"},
        "product": {"sku": "SKU-1", "category": "networking"},
        "quantity": "1",
        "unit_price": amount,
        "amount": amount,
        "currency": "EUR",
    }


def _score_when(
    gateway: httpx.Client, partner_id: str, condition: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The partner's score once `condition` holds for it (polled until the deadline)."""
    deadline = time.monotonic() + WAIT_SECONDS
    last: httpx.Response | None = None
    while time.monotonic() < deadline:
        last = gateway.get(f"/v1/scores/partners/{partner_id}")
        if last.status_code == 200 and condition(last.json()):
            score: dict[str, Any] = last.json()
            return score
        time.sleep(0.1)
    raise AssertionError(f"no such score within {WAIT_SECONDS} s; the last answer: {last and last.text}")


def _signal(score: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((s for s in score["health"]["signals"] if s["kind"] == kind), None)


def test_sales_through_the_gateway_refresh_the_partners_score_from_analytics(gateway: httpx.Client) -> None:
    created = gateway.post(
        "/v1/partners", json={"legal_name": "Scored Sales GmbH", "partner_type": "reseller", "country": "DE"}
    )
    assert created.status_code == 201, created.text
    partner_id = created.json()["id"]
    issued = gateway.post(f"/v1/partners/{partner_id}/webhook-secrets")
    assert issued.status_code == 201, issued.text
    secret = issued.json()["secret"]

    # partner.created: scoring reads the partner; analytics has no sales of it, so that is not known yet
    first = _score_when(gateway, partner_id, lambda s: s["health"] is not None)
    assert first["partner"]["partner_type"] == "reseller"
    assert _signal(first, "no_recent_sales") is None
    assert any("kpis" in reason for reason in first["health"]["unavailable"])

    # two sales, the last 60 days ago: more than the 45 allowed, less than twice that → a warning
    today = datetime.now(UTC).date()
    old_sales = [
        _sale("E2E-1", today - timedelta(days=90), "4000.00"),
        _sale("E2E-2", today - timedelta(days=60), "2500.50"),
    ]
    _send_sales(gateway, partner_id, secret, "msg_scoring_1", old_sales)

    stale = _score_when(gateway, partner_id, lambda s: _signal(s, "no_recent_sales") is not None)
    warning = _signal(stale, "no_recent_sales")
    assert warning is not None
    assert warning["severity"] == "warning"
    assert warning["values"] == {
        "last_sale_on": (today - timedelta(days=60)).isoformat(),
        "threshold_days": NO_SALES_DAYS,
        "days_since": 60,
    }
    # 4000.00 + 2500.50 = 6500.50 EUR over the trailing 12 months, from analytics' snapshot
    assert stale["tier"]["trailing_12m_revenue"] == {"amount": "6500.50", "currency": "EUR"}
    # without a tier, the partner is recommended the ladder's first rung; a channel manager applies that
    # through scoring, which asks the registry, whose `partner.tier_changed` refreshes the score again
    standing = stale["tier"]
    assert (standing["current_tier"], standing["recommended_tier"], standing["action"]) == (
        None,
        "registered",
        "promote",
    )
    applied = gateway.post(
        "/v1/tier-recommendations/applications",
        json={"recommendation_ids": [standing["recommendation_id"]], "note": "first rung"},
    )
    assert applied.status_code == 200, applied.text
    registered = _score_when(gateway, partner_id, lambda s: s["tier"]["current_tier"] == "registered")
    assert gateway.get(f"/v1/partners/{partner_id}").json()["tier"] == "registered"
    # the gap to silver, whose requirements the registry's ladder holds
    silver = next(t for t in gateway.get("/v1/tiers").json()["items"] if t["key"] == "silver")
    required = silver["requirements"]["min_trailing_12m_revenue"]
    gap = registered["tier"]["gap"]
    assert gap["next_tier"] == "silver"
    revenue_gap = next(r for r in gap["unmet"] if r["requirement"] == "min_trailing_12m_revenue")
    assert revenue_gap["actual"] == {"amount": "6500.50", "currency": "EUR"}
    assert Decimal(revenue_gap["shortfall"]["amount"]) == Decimal(required["amount"]) - Decimal("6500.50")

    # a sale two days ago: `kpi.updated` again, and the warning is gone
    _send_sales(
        gateway, partner_id, secret, "msg_scoring_2", [_sale("E2E-3", today - timedelta(days=2), "999.50")]
    )

    fresh = _score_when(
        gateway,
        partner_id,
        lambda s: s["tier"]["trailing_12m_revenue"] == {"amount": "7500.00", "currency": "EUR"},
    )
    assert _signal(fresh, "no_recent_sales") is None  # 6500.50 + 999.50 = 7500.00, the last sale 2 days ago
    batch = gateway.post("/v1/scores/batch", json={"partner_ids": [partner_id]}).json()["items"][0]
    assert (batch["found"], batch["score"]["health"], batch["score"]["tier_gap"]) == (
        True,
        fresh["health"]["level"],
        fresh["tier"]["gap"]["summary"],
    )
