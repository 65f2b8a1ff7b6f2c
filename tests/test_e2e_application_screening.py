"""An application is screened end to end, with real processes: scoring, the registry and the gateway (started
as deployed, `python -m gateway.serve`), each on a fresh database of the test backend (PRM_TEST_DB).

apply through the gateway → the registry asks scoring (whose default model a migration seeded and published)
→ the application is screened, not left pending → a channel manager approves it → the partner is onboarding.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from gateway.api_keys import service as api_keys
from gateway.main import MIGRATIONS_DIR as GATEWAY_MIGRATIONS
from partner_registry.main import MIGRATIONS_DIR as REGISTRY_MIGRATIONS
from prm_contracts.principal import ADMIN_SCOPE
from prm_kit.clock import utc_now
from prm_kit.db.engine import make_engine, make_session_factory
from prm_kit.testing import (
    TEST_SECRET,
    drop_database,
    free_ports,
    fresh_database_url,
    migrate_fresh,
    run_blocking,
    served_on_fresh_database,
)
from scoring.main import MIGRATIONS_DIR as SCORING_MIGRATIONS

pytestmark = pytest.mark.e2e

START_SECONDS = 90.0


async def _admin_key(database_url: str) -> str:
    engine = make_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            _, key = await api_keys.create_key(
                session, name="channel-manager", scopes=[ADMIN_SCOPE], now=utc_now()
            )
            await session.commit()
    finally:
        await engine.dispose()
    return key


def _wait_until_ready(client: httpx.Client, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the gateway exited at start:\n{log.read_text(errors='replace')}")
        try:
            if client.get("/readyz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(
        f"the gateway was not ready in {START_SECONDS} s:\n{log.read_text(errors='replace')}"
    )


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, str]]:
    """(a client of the gateway, an admin API key) with scoring and the registry behind it."""
    folder = tmp_path_factory.mktemp("screening")
    gateway_database = fresh_database_url("gateway", folder)
    run_blocking(migrate_fresh(gateway_database, GATEWAY_MIGRATIONS))
    try:
        key = run_blocking(_admin_key(gateway_database))
        with (
            served_on_fresh_database(
                "scoring", "scoring.main:create_app", SCORING_MIGRATIONS, folder, {}
            ) as scoring,
            served_on_fresh_database(
                "registry",
                "partner_registry.main:create_app",
                REGISTRY_MIGRATIONS,
                folder,
                {"PRM_SCORING_URL": scoring},
            ) as registry,
        ):
            (port, dead) = free_ports(2)
            environment = {
                "PRM_INTERNAL_SECRET": TEST_SECRET,
                "PRM_GATEWAY_DATABASE_URL": gateway_database,
                "PRM_DATA_DIR": str(folder / "data"),
                "PRM_LOG_FORMAT": "console",
                "PRM_REGISTRY_URL": registry,
                "PRM_SCORING_URL": scoring,
                **{f"PRM_{name}_URL": f"http://127.0.0.1:{dead}" for name in ("INCENTIVES", "ANALYTICS")},
            }
            env = {n: v for n, v in os.environ.items() if not n.startswith("PRM_")} | environment
            log = folder / "gateway.log"
            with log.open("wb") as sink:
                process = subprocess.Popen(
                    [sys.executable, "-m", "gateway.serve", "--host", "127.0.0.1", "--port", str(port)],
                    env=env,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            try:
                with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10.0) as client:
                    _wait_until_ready(client, process, log)
                    yield client, key
            finally:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
    finally:
        run_blocking(drop_database(gateway_database))


def test_an_application_through_the_gateway_is_screened_approved_and_becomes_a_partner(
    platform: tuple[httpx.Client, str],
) -> None:
    client, key = platform
    application = {
        "company": {
            "legal_name": "Screened Networks GmbH",
            "partner_type": "reseller",
            "country": "DE",
            "registration_number": f"HRB {uuid4().int % 10**9}",
            "year_founded": datetime.now(UTC).year - 6,
            "employee_count": 12,
            "segments_served": ["smb", "enterprise"],
        },
        "questionnaire": {"certified_engineers": 4, "has_support_desk": True},
    }

    # the public application form: no API key
    submitted = client.post("/v1/applications", json=application)

    assert submitted.status_code == 201, submitted.text
    assert submitted.json()["screening_status"] == "passed", submitted.json()
    manager = {"Authorization": f"Bearer {key}"}
    screened = client.get(f"/v1/applications/{submitted.json()['id']}", headers=manager).json()
    assert screened["prequalification"]["model_version"] == "partner-evaluation@1"
    assert [g["passed"] for g in screened["prequalification"]["gates"]] == [True, True, True]
    # the default model, computed by hand in services/scoring/tests/screening/test_screening.py: 640/11 → 58.18
    assert (screened["evaluation"]["score"], screened["evaluation"]["grade"]) == ("58.18", "C")

    approved = client.post(
        f"/v1/applications/{screened['id']}/approval", json={"note": "Screened and fits"}, headers=manager
    )

    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    partner = client.get(f"/v1/partners/{screened['partner_id']}", headers=manager)
    assert partner.status_code == 200
    assert (partner.json()["legal_name"], partner.json()["status"]) == (
        "Screened Networks GmbH",
        "onboarding",
    )
