"""Partners registering the same customer at the same moment: exactly one is approved, the others see it.

Unlike the other tests, the app runs on its own committed database with a connection per request, so the
submissions really are concurrent transactions (PostgreSQL serialises them per customer domain with an
advisory lock; SQLite by taking the write lock when a transaction begins).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from partner_registry.config import Settings
from partner_registry.main import MIGRATIONS_DIR, create_app
from prm_kit.testing import TEST_SECRET, drop_database, fresh_database_url, internal_headers, migrate_fresh

from ..factories import an_active_partner, deal_body

pytestmark = pytest.mark.asyncio

RIVALS = 6


@pytest_asyncio.fixture
async def committed_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    database_url = fresh_database_url("registry", tmp_path)
    await migrate_fresh(database_url, MIGRATIONS_DIR)
    settings = Settings(
        internal_secret=TEST_SECRET, database_url=database_url, data_dir=tmp_path, deal_expiry_sweep_seconds=0
    )
    app = create_app(settings)
    try:
        async with (
            LifespanManager(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://test",
                headers=internal_headers(),  # an admin: partners, agreements and deals
            ) as client,
        ):
            yield client
    finally:
        await drop_database(database_url)


async def test_rival_registrations_of_one_customer_are_approved_once(
    committed_client: httpx.AsyncClient,
) -> None:
    partners = [await an_active_partner(committed_client) for _ in range(RIVALS)]
    customer = {"customer_name": "Globex Logistics AG", "customer_domain": "globex-logistics.example"}

    answers = await asyncio.gather(
        *(
            committed_client.post("/v1/deal-registrations", json=deal_body(partner, **customer))
            for partner in partners
        )
    )

    assert [answer.status_code for answer in answers] == [201] * RIVALS, [a.text for a in answers]
    registrations = [answer.json() for answer in answers]
    assert Counter(r["status"] for r in registrations) == {"approved": 1, "pending_review": RIVALS - 1}
    [first] = [r for r in registrations if r["status"] == "approved"]
    for later in (r for r in registrations if r["status"] == "pending_review"):
        same_domain = [c for c in later["conflicts"] if c["kind"] == "customer_domain"]
        # every later one saw the approved one (and the rivals committed before it)
        assert first["id"] in {c["other_registration_id"] for c in same_domain}
