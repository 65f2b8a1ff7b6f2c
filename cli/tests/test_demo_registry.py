"""The partner-registry demo loader, run against the real registry app in-process as an admin, and the set
it made read back through the same API. The expected numbers are counted by hand from the tables in
`prm_cli.demo_data.registry_data` (scoring is down, as it may be in a demo)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from partner_registry.config import Settings
from partner_registry.main import MIGRATIONS_DIR, create_app
from prm_cli import demo
from prm_cli.demo_data import registry
from prm_cli.demo_data.api import Api, DemoRequestFailed
from prm_kit.testing import ADMIN, TEST_SECRET, rolled_back_app

Json = dict[str, Any]


def _scoring_unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("scoring is not running in this demo", request=request)


# Loaded once for the module: every test here only reads it (loading again is refused and changes nothing).
@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def loaded(
    migrated_database: Callable[[str, Path], str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """The registry app with the demo set loaded; the client calls it as the gateway would for an admin key."""
    database_url = migrated_database("registry", MIGRATIONS_DIR)
    settings = Settings(
        internal_secret=TEST_SECRET,
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("demo"),
        deal_expiry_sweep_seconds=0,
    )
    app = create_app(settings, scoring_transport=httpx.MockTransport(_scoring_unreachable))
    async with rolled_back_app(app, database_url, principal=ADMIN) as (client, _session):
        await registry.load(client)
        yield client


async def all_items(client: httpx.AsyncClient, path: str, **params: Any) -> list[Json]:
    items: list[Json] = []
    cursor = None
    while True:
        response = await client.get(
            path, params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


async def one(client: httpx.AsyncClient, path: str) -> Json:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


def test_the_registry_loader_is_registered_for_prm_demo() -> None:
    assert (demo.LOADERS[0].name, demo.LOADERS[0].load) == ("registry", registry.load)


@pytest.mark.asyncio
async def test_the_demo_set_reads_back_through_the_api(loaded: httpx.AsyncClient) -> None:
    client = loaded
    partners = await all_items(client, "/v1/partners")
    by_name = {partner["display_name"]: partner for partner in partners}

    # 36 partners of every type in 12 countries, along the whole lifecycle and the ladder
    assert len(partners) == 36
    assert Counter(p["partner_type"] for p in partners) == {
        "distributor": 5, "reseller": 6, "var": 5, "system_integrator": 5, "msp": 5, "referral": 5, "agent": 5,
    }  # fmt: skip
    assert len({p["country"] for p in partners}) == 12
    assert all(p["region"] and p["website_domain"] and p["annual_revenue"] for p in partners)
    assert Counter(p["status"] for p in partners) == {
        "active": 24, "suspended": 2, "terminated": 2, "onboarding": 3, "applied": 2, "prospect": 3,
    }  # fmt: skip
    assert Counter(p["tier"] for p in partners) == {
        "platinum": 5, "gold": 9, "silver": 8, "registered": 7, None: 7,
    }  # fmt: skip
    nordwind = by_name["Nordwind Distribution"]
    assert nordwind["legal_name"] == "Nordwind Distribution GmbH"
    assert nordwind["annual_revenue"] == {"amount": "182000000.00", "currency": "EUR"}
    assert nordwind["specialisations"]["product_lines"] == ["networking", "security", "storage"]
    assert by_name["Paulista Negócios"]["status_reason"].startswith("Failed MDF audit")
    assert by_name["Southern Cross IT"]["status"] == "terminated"

    # the way to active: the onboarding-completion transition, after a complete checklist and an agreement
    history = await all_items(client, f"/v1/partners/{nordwind['id']}/history", kind="status_changed")
    assert [entry["to_status"] for entry in reversed(history)] == ["applied", "onboarding", "active"]
    onboarding = by_name["Kookaburra Networks"]
    checklist = await one(client, f"/v1/partners/{onboarding['id']}/onboarding-checklist")
    assert checklist["incomplete"] == ["agreement_signed", "first_certification"]
    nordwind_agreements = await all_items(client, f"/v1/partners/{nordwind['id']}/agreements")
    assert sorted(a["status"] for a in nordwind_agreements) == ["active", "expired"]

    # one primary contact each; Nordwind has three more people
    for partner in partners:
        contacts = await all_items(client, f"/v1/partners/{partner['id']}/contacts")
        assert [c["role"] for c in contacts].count("primary") == 1, partner["display_name"]
    nordwind_contacts = await all_items(client, f"/v1/partners/{nordwind['id']}/contacts")
    assert sorted(c["role"] for c in nordwind_contacts) == ["billing", "primary", "sales", "technical"]

    # Lagom went up to gold, then back to silver: four tier changes, newest first
    lagom = await all_items(client, f"/v1/partners/{by_name['Lagom Nätverk']['id']}/tier-history")
    assert [change["to_tier"] for change in lagom] == ["silver", "gold", "silver", "registered"]

    # exactly the two overlaps on purpose: both exclusive in Île-de-France; Cedar Ridge inside Sierra Crest's
    conflicts = await all_items(client, "/v1/territories/conflicts")
    pairs = {frozenset((c["partner_id"], c["other_partner_id"])) for c in conflicts}
    assert pairs == {
        frozenset((by_name["Lumière Réseaux"]["id"], by_name["Ateliers Numériques"]["id"])),
        frozenset((by_name["Sierra Crest"]["id"], by_name["Cedar Ridge MS"]["id"])),
    }

    # 68 certificates (1 to 4 by tier, 27 partners); the 2nd and 15th of every 20 expire within 30 days
    expiring = await all_items(client, "/v1/certifications/expiring", within_days=30)
    assert len(expiring) == 7
    assert all(
        datetime.now(UTC).date()
        <= datetime.fromisoformat(c["expires_on"]).date()
        <= datetime.now(UTC).date() + timedelta(days=30)
        for c in expiring
    )

    # compliance: Paulista failed its audit and has two open violations
    paulista = await one(client, f"/v1/partners/{by_name['Paulista Negócios']['id']}/compliance/summary")
    assert paulista["audits_failed"] == 1
    assert paulista["open_violations_total"] == 2
    open_violations = 0
    for partner in partners:
        summary = await one(client, f"/v1/partners/{partner['id']}/compliance/summary")
        open_violations += summary["open_violations_total"]
    assert open_violations == 5


@pytest.mark.asyncio
async def test_the_demo_deals_cases_and_applications_read_back(loaded: httpx.AsyncClient) -> None:
    client = loaded
    deals = await all_items(client, "/v1/deal-registrations")
    by_customer = {deal["customer_name"]: deal for deal in deals}

    # 60 deals: 9 with conflicts, reviewed or still waiting; won ones carry their final amounts
    assert len(deals) == 60
    assert Counter(d["status"] for d in deals) == {
        "approved": 36, "won": 12, "lost": 5, "rejected": 3, "pending_review": 4,
    }  # fmt: skip
    assert sum(d["has_conflicts"] for d in deals) == 9
    assert all(d["final_amount"] for d in deals if d["status"] == "won")
    assert by_customer["Hoshino Seimitsu K.K."]["final_amount"] == {
        "amount": "18200000.00",
        "currency": "JPY",
    }
    assert by_customer["Göteborgs Hamnlogistik AB"]["final_amount"] == {
        "amount": "845000.00",
        "currency": "SEK",
    }
    assert all(d["expected_close_on"] > datetime.now(UTC).date().isoformat() for d in deals)
    assert sum(d["extension_used"] for d in deals) == 2

    pending = {
        d["customer_name"]: {c["kind"] for c in d["conflicts"]}
        for d in deals
        if d["status"] == "pending_review"
    }
    assert pending == {
        "Van der Berg Transport": {"customer_name"},
        "Skargardsbanken": {"customer_domain", "product_overlap"},
        "Globex Retail Group": {"house_account"},
        "Mercado Verde": {"customer_domain", "product_overlap"},
    }
    hanseatic = by_customer["Hanseatic Shipping (UK branch)"]
    assert hanseatic["status"] == "rejected"
    assert [c["kind"] for c in hanseatic["conflicts"]] == ["house_account"]
    assert hanseatic["decision_reason"].startswith("Hanseatic Shipping is a house account")
    landshut = by_customer["Isarwerk Maschinenbau AG (Werk Landshut)"]
    # the plant's subdomain is Isarwerk's own registrable domain, and the territory is Hexacore's exclusive one
    assert (landshut["status"], [c["kind"] for c in landshut["conflicts"]]) == (
        "approved",
        ["customer_domain", "exclusive_territory"],
    )
    assert len(await all_items(client, "/v1/house-accounts")) == 3

    # five conflict cases along the workflow; the Pinecrest one closed, awarded to Sierra Crest
    cases = await all_items(client, "/v1/conflict-cases")
    assert Counter(c["stage"] for c in cases) == {
        "reported": 1, "under_review": 1, "mediation": 1, "arbitration": 1, "closed": 1,
    }  # fmt: skip
    closed = next(c for c in cases if c["stage"] == "closed")
    sierra = by_customer["Pinecrest Medical Group"]["partner_id"]
    assert closed["resolution"]["outcome"] == "awarded"
    assert closed["resolution"]["awarded_to"] == sierra
    assert {c["conflict_type"] for c in cases} == {"horizontal", "vertical", "multichannel", "role"}

    # five applications, screening pending while scoring is down: two waiting, two approved, one rejected
    applications = await all_items(client, "/v1/applications")
    assert Counter(a["status"] for a in applications) == {"submitted": 2, "approved": 2, "rejected": 1}
    assert {a["screening_status"] for a in applications} == {"pending"}

    nordwind = next(d["partner_id"] for d in deals if d["customer_name"] == "Stadtwerke Lindenau")
    assert len(await all_items(client, f"/v1/partners/{nordwind}/webhook-secrets")) == 1


@pytest.mark.asyncio
async def test_loading_again_into_the_same_registry_fails_loudly_and_changes_nothing(
    loaded: httpx.AsyncClient,
) -> None:
    with pytest.raises(DemoRequestFailed, match="holds partner-registry demo data already") as failure:
        await registry.load(loaded)

    assert "409" in str(failure.value)
    assert len(await all_items(loaded, "/v1/house-accounts")) == 3
    assert len(await all_items(loaded, "/v1/partners")) == 36


@pytest.mark.asyncio
async def test_a_refused_request_raises_with_the_problem_detail_and_429_is_waited_out() -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "0"}),
            httpx.Response(
                422,
                json={
                    "type": "/problems/validation",
                    "title": "Unprocessable content",
                    "status": 422,
                    "detail": "1 invalid field",
                    "errors": [{"loc": ["body", "country"], "msg": "not a country", "type": "country_code"}],
                },
            ),
        ]
    )
    seen: list[httpx.Request] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return next(answers)

    async with httpx.AsyncClient(transport=httpx.MockTransport(gateway), base_url="http://gw") as client:
        with pytest.raises(DemoRequestFailed) as failure:
            await Api(client).post("/v1/partners", {"country": "XX"}, step="register Acme")

    assert str(failure.value) == (
        "POST /v1/partners (register Acme) failed: 422 Unprocessable content: 1 invalid field; "
        "body.country: not a country"
    )
    assert len(seen) == 2
    assert seen[0].headers["Idempotency-Key"] == seen[1].headers["Idempotency-Key"]
