"""What a deal registration (with its conflict check) and every registry list a portal calls cost at scale,
through the gateway, against the gateway's own `/healthz` in the same run.

Run from the repository root, with PostgreSQL reachable (default: postgres@127.0.0.1:5432, trust):

    .venv/bin/python bench/registry_bench.py                  # 50,000 partners, 100,000 registrations
    .venv/bin/python bench/registry_bench.py --quick          # small sizes: a smoke run in seconds
    .venv/bin/python bench/registry_bench.py --explain        # also EXPLAIN (ANALYZE, BUFFERS) of every query
    .venv/bin/python bench/registry_bench.py --requests 5000 --concurrency 8 --postgres-url postgresql://...

What it does:
1. creates a fresh PostgreSQL database (dropped at the end unless `--keep-database`), migrates the registry's
   schema into it and bulk-loads partners (with tiers), territories and their conflicts, house accounts,
   deal registrations (with the customer tokens the service stores: name and domain), certifications and
   conflict cases with their parties, by COPY through asyncpg: no Python loop of single inserts;
2. with `--explain`, calls what each list endpoint and a submission call, in-process, and prints the plan
   of every statement they send, as sent;
3. starts the registry and the gateway as uvicorn subprocesses (the gateway's key store on a SQLite file,
   with a bootstrap admin key; rate limits far above the offered load) and makes partner-bound keys (a
   portal's credential) through the gateway's admin API;
4. measures through the gateway with httpx, each the same number of requests at a small concurrency, after
   a warm-up: `GET /healthz` of the gateway itself (the floor: what any request costs before a service does
   work; measured again at the end), `POST /v1/deal-registrations` (every submission a new customer, about
   one in five colliding with an open registration by domain or a misspelt name), and every list: partners
   filtered by country, type, tier and status in each sort, deal registrations (all, a status, expiring,
   and a partner's own with its key), conflict cases (admin and a party's key), a partner's territories,
   territory conflicts, certifications expiring, house accounts; the load ends with VACUUM ANALYZE, the
   steady state autovacuum keeps a live database in, and a CHECKPOINT (the load's writes flushed before, not
   during, the measurements);
5. prints a table (median and p99 in ms, p99 over the lower of the two `/healthz` p99s, the median page
   size) and writes bench/results/registry.json with the load average.

CI does not run benches.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from _common import ROOT, SECRET, free_port, migrate_gateway, percentile, uvicorn_command, wait_ready

RESULTS = ROOT / "bench" / "results" / "registry.json"
ADMIN_KEY = "prm_bench002_" + "r" * 43
COUNTRIES = ["DE", "FR", "GB", "US", "NL", "IT", "ES", "AT", "CH", "SE", "PL", "BE", "DK", "NO", "FI", "IE"]
PARTNER_TYPES = ["distributor", "reseller", "var", "system_integrator", "msp", "referral", "agent"]
SEGMENTS = ["consumer", "smb", "mid_market", "enterprise", "public_sector"]
PRODUCTS = ["firewall", "vpn", "switches", "routers", "wifi", "sd-wan", "endpoint", "siem", "backup", "cloud"]
SUFFIXES = ["GmbH", "AG", "Ltd", "Inc.", "LLC", "S.A.", "B.V.", "SARL", "Oy", "AB", "", "", ""]
WORDS = ["Logistics", "Retail", "Foods", "Energy", "Health", "Bank", "Motors", "Media", "Pharma", "Steel"]
SYLLABLES = [a + b for a in "bdfgklmnprstvz" for b in "aeiou"]
TIERS = ["registered", "silver", "gold", "platinum"]
PROGRAMMES = ["Security Associate", "Security Professional", "Cloud Architect", "SD-WAN Specialist", "Sales"]
CONFLICT_TYPES = ["vertical", "horizontal", "multichannel"]
PARTNER_KEYS = 50  # partner-bound API keys the portal-side lists are measured with


@dataclass
class Sizes:
    partners: int
    registrations: int
    territories: int
    house_accounts: int
    certifications: int
    conflict_cases: int
    requests: int
    concurrency: int
    warmup: int


@dataclass
class Figures:
    requests: int
    errors: int
    median_ms: float
    p99_ms: float


# --- data --------------------------------------------------------------------------------------------------


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4))).capitalize()


def _company(rng: random.Random) -> str:
    """A made-up company name: one of about 24 million words, a common word in one of three, a legal form."""
    name = _word(rng)
    if rng.random() < 0.3:
        name += " " + rng.choice(WORDS)
    suffix = rng.choice(SUFFIXES)
    return f"{name} {suffix}".strip()


def _domain(name: str, rng: random.Random, number: int) -> str:
    stem = "".join(ch for ch in name.split()[0].lower() if ch in string.ascii_lowercase)
    return f"{stem}{number}.{rng.choice(['com', 'de', 'net', 'io', 'example'])}"


async def _copy(connection: Any, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    await connection.copy_records_to_table(table, records=rows, columns=columns)


async def load(dsn: str, sizes: Sizes, rng: random.Random) -> dict[str, Any]:
    """Bulk-load the registry's tables by COPY; returns what the measurement needs (ids, open customers)."""
    import asyncpg
    from partner_registry.deal_registrations.matching import customer_tokens, normalise_name
    from partner_registry.partners.changes import registration_key

    connection = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    try:
        partner_ids = [uuid.uuid4() for _ in range(sizes.partners)]
        countries = [rng.choice(COUNTRIES) for _ in partner_ids]
        partner_rows = []
        for number, (partner_id, country) in enumerate(zip(partner_ids, countries, strict=True)):
            legal = _company(rng)
            registration = f"HRB {number:08d}"
            status = "active" if rng.random() < 0.85 else rng.choice(["prospect", "applied", "suspended"])
            tier = rng.choice(TIERS) if status == "active" and rng.random() < 0.6 else None
            partner_rows.append(
                (partner_id, legal, legal.rsplit(" ", 1)[0] if " " in legal else legal,
                 rng.choice(PARTNER_TYPES), status, now, None, tier, country, None, registration,
                 registration_key(registration), None, None, None, None, None,
                 json.dumps([rng.choice(SEGMENTS)]), "{}", 1, now - timedelta(days=rng.randint(0, 2000)), now)
            )  # fmt: skip
        await _copy(
            connection,
            "partner",
            ["id", "legal_name", "display_name", "partner_type", "status", "status_changed_at", "status_reason",
             "tier", "country", "region", "registration_number", "registration_number_key", "website_domain",
             "year_founded", "employee_count", "annual_revenue_amount", "annual_revenue_currency",
             "segments_served", "custom_attributes", "version", "created_at", "updated_at"],
            partner_rows,
        )  # fmt: skip
        active = [p for p, row in zip(partner_ids, partner_rows, strict=True) if row[4] == "active"]
        territory_partners = active[: max(1, sizes.territories // 3)]  # about three territories each

        territory_rows = []
        seen_scopes: set[tuple[uuid.UUID, str]] = set()
        for _ in range(sizes.territories):
            partner_id = rng.choice(territory_partners)
            country = rng.choice(COUNTRIES)
            region = rng.choice([None, "North", "South", "East", "West"])
            # exclusivity is the exception, and it is regional: a country-wide exclusive territory would put
            # every registration in that country to review
            exclusive = region is not None and rng.random() < 0.005
            scope = f"{country}|{(region or '*').lower()}|*"
            if (partner_id, scope) in seen_scopes:
                continue
            seen_scopes.add((partner_id, scope))
            territory_rows.append(
                (uuid.uuid4(), partner_id, country, region, region.lower() if region else None, None,
                 exclusive, scope, 1, now, now)
            )  # fmt: skip
        await _copy(
            connection,
            "territory",
            ["id", "partner_id", "country", "region", "region_key", "segment", "exclusive", "scope_key",
             "version", "created_at", "updated_at"],
            territory_rows,
        )  # fmt: skip

        # territory conflicts as the service stores them: one row per overlapping pair, under the newer one
        conflict_rows = []
        for first, second in zip(territory_rows[0::2], territory_rows[1::2], strict=False):
            if first[1] != second[1] and len(conflict_rows) < sizes.territories // 5:
                conflict_rows.append(
                    (uuid.uuid4(), first[0], first[1], second[0], second[1], first[2], first[3], None, True,
                     False, now - timedelta(days=rng.randint(0, 400), seconds=rng.randint(0, 86_400)))
                )  # fmt: skip
        await _copy(
            connection,
            "territory_conflict",
            ["id", "territory_id", "partner_id", "other_territory_id", "other_partner_id", "country", "region",
             "segment", "territory_exclusive", "other_exclusive", "detected_at"],
            conflict_rows,
        )  # fmt: skip

        account_rows, account_tokens = [], []
        for number in range(sizes.house_accounts):
            name = _company(rng)
            account_id = uuid.uuid4()
            key = normalise_name(name)
            domain = f"direct{number}.example"
            account_rows.append(
                (account_id, name, key, domain, rng.choice(COUNTRIES), None, 1,
                 now - timedelta(days=rng.randint(0, 2000), seconds=rng.randint(0, 86_400)), now)
            )  # fmt: skip
            # the tokens the service stores: the name's and the domain label's (matching.customer_tokens)
            account_tokens += [(token, account_id) for token in customer_tokens(name, domain)]
        await _copy(
            connection,
            "house_account",
            ["id", "customer_name", "customer_name_key", "customer_domain", "country", "notes", "version",
             "created_at", "updated_at"],
            account_rows,
        )  # fmt: skip
        await _copy(connection, "house_account_name_token", ["token", "house_account_id"], account_tokens)

        registration_rows, token_rows, open_customers = [], [], []
        for number in range(sizes.registrations):
            registration_id = uuid.uuid4()
            partner_id = rng.choice(active)
            name = _company(rng)
            key = normalise_name(name)
            domain = _domain(name, rng, number)
            created = now - timedelta(days=rng.randint(0, 400), seconds=rng.randint(0, 86_400))
            roll = rng.random()
            status = (
                "approved"
                if roll < 0.55
                else "pending_review"
                if roll < 0.7
                else rng.choice(["rejected", "won", "lost", "expired"])
            )
            protected_until = now + timedelta(days=rng.randint(1, 90)) if status == "approved" else None
            registration_rows.append(
                (registration_id, partner_id, name, key, domain, rng.choice(COUNTRIES), None, None,
                 json.dumps(rng.sample(PRODUCTS, rng.randint(1, 3))), Decimal(rng.randint(1_000, 900_000)),
                 "EUR", (now + timedelta(days=rng.randint(1, 180))).date(), None, status, False, "bench",
                 "system:auto-approval" if status == "approved" else None,
                 created if status == "approved" else None, None, protected_until, False, None, None, None,
                 None, None, 1, created, created)
            )  # fmt: skip
            if status in ("approved", "pending_review"):
                token_rows += [
                    (token, registration_id, partner_id) for token in customer_tokens(name, domain)
                ]
                open_customers.append((name, domain))
        await _copy(
            connection,
            "deal_registration",
            ["id", "partner_id", "customer_name", "customer_name_key", "customer_domain", "country", "region",
             "customer_segment", "products", "estimated_value_amount", "estimated_value_currency",
             "expected_close_on", "notes", "status", "has_conflicts", "submitted_by", "decided_by", "decided_at",
             "decision_reason", "protected_until", "extension_used", "final_amount", "final_currency",
             "lost_reason", "closed_at", "expired_at", "version", "created_at", "updated_at"],
            registration_rows,
        )  # fmt: skip
        await _copy(
            connection,
            "deal_registration_name_token",
            ["token", "deal_registration_id", "partner_id"],
            token_rows,
        )
        certification_rows = []
        today = now.date()
        for _ in range(sizes.certifications):
            issued = today - timedelta(days=rng.randint(0, 1400))
            expires = issued + timedelta(days=rng.choice([365, 730, 1095])) if rng.random() < 0.9 else None
            certification_rows.append(
                (uuid.uuid4(), rng.choice(active), None, rng.choice(PROGRAMMES), None, issued, expires, 1,
                 now, now)
            )  # fmt: skip
        await _copy(
            connection,
            "certification",
            ["id", "partner_id", "contact_id", "programme", "level", "issued_on", "expires_on", "version",
             "created_at", "updated_at"],
            certification_rows,
        )  # fmt: skip

        case_rows, party_rows, cause_rows = [], [], []
        case_partners = active[: max(2, sizes.conflict_cases // 4)]  # a few cases each, as in a real channel
        for _ in range(sizes.conflict_cases):
            case_id = uuid.uuid4()
            reported = now - timedelta(days=rng.randint(0, 700), seconds=rng.randint(0, 86_400))
            closed = rng.random() < 0.7
            case_rows.append(
                (case_id, rng.choice(CONFLICT_TYPES), "closed" if closed else rng.choice(["reported", "mediation"]),
                 "Two partners quoted the same customer.", False, "[]", "[]", "bench", reported, reported,
                 reported + timedelta(days=rng.randint(1, 60)) if closed else None, None,
                 "settled" if closed else None, None, None, None, 1, reported)
            )  # fmt: skip
            for position, partner_id in enumerate(rng.sample(case_partners, 2)):
                party_rows.append((case_id, partner_id, position))
            cause_rows.append(
                (case_id, rng.choice(["territory_overlap", "pricing", "product_overlap"]), None, 0)
            )
        await _copy(
            connection,
            "conflict_case",
            ["id", "conflict_type", "stage", "description", "vendor_direct", "deal_registration_ids",
             "territory_ids", "reported_by", "reported_at", "stage_changed_at", "closed_at", "ruling", "outcome",
             "awarded_to", "decided_by", "decided_at", "version", "updated_at"],
            case_rows,
        )  # fmt: skip
        await _copy(connection, "conflict_case_party", ["case_id", "partner_id", "position"], party_rows)
        await _copy(
            connection, "conflict_case_root_cause", ["case_id", "cause", "detail", "position"], cause_rows
        )

        # what autovacuum would have done by now: statistics, and the visibility map for index-only scans
        await connection.execute("VACUUM ANALYZE")
        # and the bulk load's dirty pages written out now: a checkpoint it forces later (max_wal_size) would
        # land in the middle of the measurements, which are of a steady state, not of a bulk load's tail
        await connection.execute("CHECKPOINT")
        registrations_of: dict[uuid.UUID, int] = {}
        for row in registration_rows:
            registrations_of[row[1]] = registrations_of.get(row[1], 0) + 1
        return {
            "active_partners": active,
            "territory_partners": territory_partners,
            "case_partners": case_partners,
            # the partners with the most registrations: a portal's heaviest list
            "busy_partners": sorted(registrations_of, key=lambda p: (-registrations_of[p], str(p)))[
                :PARTNER_KEYS
            ],
            "open_customers": open_customers,
            "rows": {
                "partner": len(partner_rows),
                "territory": len(territory_rows),
                "territory_conflict": len(conflict_rows),
                "house_account": len(account_rows),
                "house_account_name_token": len(account_tokens),
                "deal_registration": len(registration_rows),
                "deal_registration_name_token": len(token_rows),
                "certification": len(certification_rows),
                "conflict_case": len(case_rows),
            },
        }
    finally:
        await connection.close()


def _misspelt(name: str, rng: random.Random) -> str:
    word, _, rest = name.partition(" ")
    position = rng.randint(1, len(word) - 1)
    return (word[:position] + rng.choice("aeiou") + word[position:] + " " + rest).strip()


def submissions(loaded: dict[str, Any], count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Bodies of new registrations: most new customers, about one in five colliding with an open one."""
    bodies = []
    close_on = (date.today() + timedelta(days=60)).isoformat()
    for number in range(count):
        roll = rng.random()
        if roll < 0.1:
            name, domain = rng.choice(loaded["open_customers"])  # the same domain
        elif roll < 0.2:
            name, _ = rng.choice(loaded["open_customers"])
            name, domain = _misspelt(name, rng), f"bench-new-{number}.example"  # a look-alike name
        else:
            name = _company(rng)
            domain = f"bench-new-{number}.example"
        bodies.append(
            {
                "partner_id": str(rng.choice(loaded["active_partners"])),
                "customer_name": name,
                "customer_domain": domain,
                "country": rng.choice(COUNTRIES),
                "region": rng.choice([None, None, "North", "South", "East", "West"]),
                "products": rng.sample(PRODUCTS, 2),
                "estimated_value": {"amount": f"{rng.randint(1000, 500000)}.00", "currency": "EUR"},
                "expected_close_on": close_on,
            }
        )
    return bodies


# --- processes ---------------------------------------------------------------------------------------------


# --- measurement -------------------------------------------------------------------------------------------


Request = tuple[str, str, Any, dict[str, str] | None]  # method, path, JSON body, extra headers


async def measure(
    client: httpx.AsyncClient, requests: list[Request], concurrency: int, expected: set[int]
) -> tuple[Figures, list[httpx.Response]]:
    """Send `requests` with `concurrency` in flight; latency of each, in ms."""
    latencies: list[float] = []
    answers: list[httpx.Response] = []
    errors = 0
    queue = list(reversed(requests))

    async def worker() -> None:
        nonlocal errors
        while queue:
            method, path, body, headers = queue.pop()
            started = time.perf_counter()
            try:
                response = await client.request(method, path, json=body, headers=headers)
            except httpx.TransportError:
                # a dropped connection is an error of the run, counted, not the end of it
                latencies.append((time.perf_counter() - started) * 1000)
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            answers.append(response)
            if response.status_code not in expected:
                errors += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (
        Figures(
            requests=len(latencies),
            errors=errors,
            median_ms=round(statistics.median(latencies), 2),
            p99_ms=round(percentile(latencies, 0.99), 2),
        ),
        answers,
    )


async def partner_keys(client: httpx.AsyncClient, partner_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """A partner-bound API key per partner (a portal's credential), made through the gateway's admin API."""
    keys = {}
    for partner_id in partner_ids:
        answer = await client.post(
            "/v1/admin/api-keys",
            json={
                "name": f"bench-portal-{partner_id}",
                "scopes": ["partners:read", "deal-registrations:read", "conflicts:read"],
                "partner_id": str(partner_id),
            },
        )
        answer.raise_for_status()
        keys[partner_id] = answer.json()["key"]
    return keys


def list_requests(
    loaded: dict[str, Any], keys: dict[uuid.UUID, str], count: int, rng: random.Random
) -> dict[str, list[Request]]:
    """Every list a portal or console calls, `count` requests each, with random filter values."""

    def admin(make_path: Any) -> list[Request]:
        return [("GET", make_path(), None, None) for _ in range(count)]

    def bound(partners: list[uuid.UUID], path: str) -> list[Request]:
        chosen = [p for p in partners if p in keys]
        return [
            ("GET", path, None, {"Authorization": f"Bearer {keys[rng.choice(chosen)]}"}) for _ in range(count)
        ]

    country = lambda: rng.choice(COUNTRIES)  # noqa: E731
    return {
        "partners?country&status=active": admin(
            lambda: f"/v1/partners?country={country()}&status=active&limit=50"
        ),
        "partners?partner_type&status=active": admin(
            lambda: f"/v1/partners?partner_type={rng.choice(PARTNER_TYPES)}&status=active&limit=50"
        ),
        "partners?tier": admin(lambda: f"/v1/partners?tier={rng.choice(TIERS)}&limit=50"),
        "partners?country&sort=-created_at": admin(
            lambda: f"/v1/partners?country={country()}&sort=-created_at&limit=50"
        ),
        "partners?status=active&sort=legal_name": admin(
            lambda: "/v1/partners?status=active&sort=legal_name&limit=50"
        ),
        "deal-registrations (admin)": admin(lambda: "/v1/deal-registrations?limit=50"),
        "deal-registrations?status=pending_review": admin(
            lambda: "/v1/deal-registrations?status=pending_review&limit=50"
        ),
        "deal-registrations?expiring_within_days": admin(
            lambda: "/v1/deal-registrations?expiring_within_days=30&limit=50"
        ),
        "deal-registrations (partner key)": bound(loaded["busy_partners"], "/v1/deal-registrations?limit=50"),
        "conflict-cases (admin)": admin(lambda: "/v1/conflict-cases?limit=50"),
        "conflict-cases (partner key)": bound(loaded["case_partners"], "/v1/conflict-cases?limit=50"),
        "partners/{id}/territories": admin(
            lambda: f"/v1/partners/{rng.choice(loaded['territory_partners'])}/territories?limit=50"
        ),
        "territories/conflicts": admin(lambda: "/v1/territories/conflicts?limit=50"),
        "certifications/expiring": admin(lambda: "/v1/certifications/expiring?within_days=30&limit=50"),
        "house-accounts": admin(lambda: "/v1/house-accounts?limit=50"),
        "house-accounts?country": admin(lambda: f"/v1/house-accounts?country={country()}&limit=50"),
    }


async def run_load(
    gateway_url: str, loaded: dict[str, Any], sizes: Sizes, rng: random.Random
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    limits = httpx.Limits(max_connections=sizes.concurrency, max_keepalive_connections=sizes.concurrency)
    async with httpx.AsyncClient(
        base_url=gateway_url, headers=headers, limits=limits, timeout=30.0
    ) as client:
        probe = await client.post("/v1/deal-registrations", json=submissions(loaded, 1, rng)[0])
        if probe.status_code != 201:
            raise RuntimeError(f"a submission answered {probe.status_code}: {probe.text[:500]}")
        half = PARTNER_KEYS // 2
        keys = await partner_keys(client, loaded["busy_partners"][:half] + loaded["case_partners"][:half])
        health: list[Request] = [("GET", "/healthz", None, None)] * sizes.requests
        bodies = submissions(loaded, sizes.requests + sizes.warmup, rng)
        deals: list[Request] = [("POST", "/v1/deal-registrations", body, None) for body in bodies]
        lists = list_requests(loaded, keys, sizes.requests + sizes.warmup, rng)
        # warm-up: connections, caches, the services' first-request costs
        await measure(client, health[: sizes.warmup], sizes.concurrency, {200})
        await measure(client, deals[: sizes.warmup], sizes.concurrency, {201})
        for requests in lists.values():
            await measure(client, requests[: sizes.warmup], sizes.concurrency, {200})
        measured: dict[str, Any] = {}
        measured["gateway /healthz (baseline)"], _ = await measure(client, health, sizes.concurrency, {200})
        submitted, answers = await measure(client, deals[sizes.warmup :], sizes.concurrency, {201})
        measured["deal-registrations POST (submission)"] = submitted
        items: dict[str, float] = {}
        for name, requests in lists.items():
            measured[name], pages = await measure(client, requests[sizes.warmup :], sizes.concurrency, {200})
            items[name] = statistics.median(len(p.json()["items"]) for p in pages if p.status_code == 200)
        # the baseline again at the end: the machine's load may have changed while the lists ran
        measured["gateway /healthz (baseline, again)"], _ = await measure(
            client, health, sizes.concurrency, {200}
        )
    statuses = [a.json().get("status") for a in answers if a.status_code == 201]
    return {
        "figures": measured,
        "submissions_in_review": statuses.count("pending_review"),
        "submissions_approved": statuses.count("approved"),
        "list_items_median": items,
    }


# --- query plans -------------------------------------------------------------------------------------------


async def explain_queries(registry_url: str, loaded: dict[str, Any], rng: random.Random) -> None:
    """Call what each list endpoint and a submission call, in-process on the loaded database, and print
    EXPLAIN (ANALYZE, BUFFERS) of every statement they send (captured as sent, with their parameters)."""
    from partner_registry.certifications import service as certifications
    from partner_registry.conflicts import service as conflicts
    from partner_registry.conflicts.schemas import CaseFilters
    from partner_registry.deal_registrations import reading, submission
    from partner_registry.deal_registrations.policy import DealPolicy
    from partner_registry.deal_registrations.schemas import DealFilters
    from partner_registry.house_accounts import service as house_accounts
    from partner_registry.partners import service as partners
    from partner_registry.partners.schemas import PartnerFilters, PartnerSort
    from partner_registry.territories import service as territories
    from prm_contracts.deal_registrations import DealRegistrationIn, DealRegistrationStatus
    from prm_contracts.partners import PartnerStatus, PartnerType
    from prm_contracts.principal import Principal
    from prm_kit.db.engine import make_engine
    from sqlalchemy import event
    from sqlalchemy.ext.asyncio import AsyncSession

    now = datetime.now(UTC)
    admin = Principal(subject="bench", scopes=frozenset({"admin"}))
    busy = loaded["busy_partners"][0]
    portal = Principal(subject="bench-portal", scopes=frozenset({"admin"}), partner_id=busy)
    case_portal = Principal(
        subject="bench-portal", scopes=frozenset({"admin"}), partner_id=loaded["case_partners"][0]
    )
    page = {"limit": 50, "cursor": None}
    calls: dict[str, Any] = {
        "partners?country=DE&status=active": lambda s: partners.list_partners(
            s, PartnerFilters(countries=["DE"], statuses=[PartnerStatus.ACTIVE]), PartnerSort.DISPLAY_NAME,
            viewer=admin, **page),
        "partners?partner_type=msp&status=active": lambda s: partners.list_partners(
            s, PartnerFilters(partner_types=[PartnerType("msp")], statuses=[PartnerStatus.ACTIVE]),
            PartnerSort.DISPLAY_NAME, viewer=admin, **page),
        "partners?tier=gold": lambda s: partners.list_partners(
            s, PartnerFilters(tiers=["gold"]), PartnerSort.DISPLAY_NAME, viewer=admin, **page),
        "partners?country=DE&sort=-created_at": lambda s: partners.list_partners(
            s, PartnerFilters(countries=["DE"]), PartnerSort.CREATED_AT_DESC, viewer=admin, **page),
        "partners?status=active&sort=legal_name": lambda s: partners.list_partners(
            s, PartnerFilters(statuses=[PartnerStatus.ACTIVE]), PartnerSort.LEGAL_NAME, viewer=admin, **page),
        "deal-registrations (admin)": lambda s: reading.list_registrations(
            s, DealFilters(), viewer=admin, now=now, **page),
        "deal-registrations?status=pending_review": lambda s: reading.list_registrations(
            s, DealFilters(statuses=[DealRegistrationStatus.PENDING_REVIEW]), viewer=admin, now=now, **page),
        "deal-registrations?expiring_within_days=30": lambda s: reading.list_registrations(
            s, DealFilters(expiring_within_days=30), viewer=admin, now=now, **page),
        "deal-registrations (partner key)": lambda s: reading.list_registrations(
            s, DealFilters(), viewer=portal, now=now, **page),
        "conflict-cases (admin)": lambda s: conflicts.list_cases(s, CaseFilters(), viewer=admin, **page),
        "conflict-cases (partner key)": lambda s: conflicts.list_cases(
            s, CaseFilters(), viewer=case_portal, **page),
        "partners/{id}/territories": lambda s: territories.list_territories(
            s, loaded["territory_partners"][0], viewer=admin, **page),
        "territories/conflicts": lambda s: territories.list_conflicts(
            s, viewer=admin, partner_id=None, country=None, **page),
        "certifications/expiring?within_days=30": lambda s: certifications.expiring_certifications(
            s, viewer=admin, within_days=30, now=now, **page),
        "house-accounts": lambda s: house_accounts.list_house_accounts(
            s, viewer=admin, country=None, customer_domain=None, **page),
        "deal-registrations POST (a look-alike of an open one)": lambda s: submission.submit(
            s, DealRegistrationIn.model_validate(submissions(loaded, 1, rng)[0] | {
                "customer_name": _misspelt(loaded["open_customers"][0][0], rng)}),
            submitted_by=admin, policy=DealPolicy(), now=now),
    }  # fmt: skip
    engine = make_engine(registry_url)
    sent: list[tuple[str, Any]] = []

    def capture(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        if not statement.lstrip().upper().startswith(("EXPLAIN", "SELECT PG_ADVISORY")):
            sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        for name, call in calls.items():
            async with AsyncSession(engine, expire_on_commit=False) as session:
                sent.clear()
                await call(session)
                statements = list(sent)
                print(f"\n=== {name}: {len(statements)} statement(s)")
                for statement, parameters in statements:
                    if not statement.lstrip().upper().startswith("SELECT"):
                        print(f"--- (not a read) {statement.split(chr(10))[0][:100]}")
                        continue
                    connection = await session.connection()
                    plan = await connection.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                    )
                    print("--- " + " ".join(statement.split())[:300])
                    for (line,) in plan.all():
                        print("    " + line)
                await session.rollback()
    finally:
        await engine.dispose()


# --- the run -----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--partners", type=int, default=50_000)
    parser.add_argument("--registrations", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2_000, help="per measurement")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "PRM_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        ),
        help="any database on the server; the bench creates and drops its own next to it",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="after loading, print EXPLAIN (ANALYZE, BUFFERS) of every query behind each list and a submission",
    )
    parser.add_argument("--keep-database", action="store_true", help="do not drop the loaded database")
    args = parser.parse_args()
    if args.quick:
        sizes = Sizes(partners=500, registrations=1_000, territories=100, house_accounts=50, certifications=250,
                      conflict_cases=50, requests=200, concurrency=args.concurrency, warmup=20)  # fmt: skip
    else:
        sizes = Sizes(
            partners=args.partners,
            registrations=args.registrations,
            territories=max(100, args.partners // 10),
            house_accounts=max(50, args.registrations // 100),
            certifications=args.partners // 2,
            conflict_cases=args.partners // 10,
            requests=args.requests,
            concurrency=args.concurrency,
            warmup=max(20, args.requests // 20),
        )

    from partner_registry.main import MIGRATIONS_DIR
    from prm_kit.db.engine import make_engine
    from prm_kit.migrations import ensure_database, upgrade
    from prm_kit.testing import drop_database
    from sqlalchemy import make_url

    rng = random.Random(args.seed)
    database = f"prm_bench_registry_{uuid.uuid4().hex[:8]}"
    url = make_url(args.postgres_url).set(drivername="postgresql+asyncpg", database=database)
    registry_url = url.render_as_string(hide_password=False)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    work = Path(tempfile.mkdtemp(prefix="prm-registry-bench-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:

        async def prepare() -> dict[str, Any]:
            await ensure_database(registry_url)
            engine = make_engine(registry_url)
            try:
                await upgrade(engine, MIGRATIONS_DIR)
            finally:
                await engine.dispose()
            started = time.perf_counter()
            loaded = await load(dsn, sizes, rng)
            loaded["load_seconds"] = round(time.perf_counter() - started, 1)
            return loaded

        print(
            f"loading {sizes.partners:,} partners and {sizes.registrations:,} deal registrations into {database} …"
        )
        loaded = asyncio.run(prepare())
        print(f"loaded in {loaded['load_seconds']} s: {loaded['rows']}")
        if args.explain:
            asyncio.run(explain_queries(registry_url, loaded, rng))

        gateway_db = f"sqlite+aiosqlite:///{work / 'gateway.db'}"
        migrate_gateway(gateway_db)
        registry_port, gateway_port = free_port(), free_port()
        environment = {
            **os.environ,
            "PRM_INTERNAL_SECRET": SECRET,
            "PRM_DATA_DIR": str(work),
            "PRM_ACCESS_LOG": "false",
            "PRM_LOG_LEVEL": "WARNING",
        }
        processes.append(
            subprocess.Popen(
                uvicorn_command("partner_registry.main:create_app", registry_port),
                env={
                    **environment,
                    "PRM_REGISTRY_DATABASE_URL": registry_url,
                    "PRM_DEAL_EXPIRY_SWEEP_SECONDS": "0",
                },
                cwd=ROOT,
            )
        )
        processes.append(
            subprocess.Popen(
                uvicorn_command("gateway.main:create_app", gateway_port),
                env={
                    **environment,
                    "PRM_GATEWAY_DATABASE_URL": gateway_db,
                    "PRM_REGISTRY_URL": f"http://127.0.0.1:{registry_port}",
                    "PRM_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
                    "PRM_RATE_LIMIT_PER_SECOND": "100000",
                    "PRM_RATE_LIMIT_BURST": "1000000",
                },
                cwd=ROOT,
            )
        )
        wait_ready(f"http://127.0.0.1:{registry_port}/healthz", processes[0])
        gateway_url = f"http://127.0.0.1:{gateway_port}"
        wait_ready(f"{gateway_url}/healthz", processes[1])
        measured = asyncio.run(run_load(gateway_url, loaded, sizes, rng))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)
        if args.keep_database:
            print(f"kept {registry_url}")
        else:
            asyncio.run(drop_database(registry_url))

    figures: dict[str, Figures] = measured["figures"]
    # the floor: the lower of the two baseline p99s (before and after the lists), so a load spike during one
    # of them cannot flatter the ratios
    floor = min(
        figures["gateway /healthz (baseline)"].p99_ms, figures["gateway /healthz (baseline, again)"].p99_ms
    )
    result = {
        "date": date.today().isoformat(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "sizes": asdict(sizes),
        "rows": loaded["rows"],
        "load_seconds": loaded["load_seconds"],
        "baseline_p99_ms": floor,
        "measurements": {
            name: {**asdict(f), "p99_over_baseline_p99": round(f.p99_ms / floor, 1)}
            for name, f in figures.items()
        },
        "submissions_in_review": measured["submissions_in_review"],
        "submissions_approved": measured["submissions_approved"],
        "list_items_median": measured["list_items_median"],
        "quick": args.quick,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    print(
        f"{sizes.partners:,} partners, {sizes.registrations:,} registrations; {sizes.requests:,} requests each, "
        f"{sizes.concurrency} at a time, through the gateway; load average {result['load_average']}"
    )
    print(f"{'':44}{'median ms':>10}{'p99 ms':>10}{'p99/floor':>10}{'items':>7}{'errors':>8}")
    for name, row in result["measurements"].items():
        items = measured["list_items_median"].get(name)
        print(
            f"{name:44}{row['median_ms']:>10.2f}{row['p99_ms']:>10.2f}{row['p99_over_baseline_p99']:>9.1f}x"
            f"{'' if items is None else f'{items:g}':>7}{row['errors']:>8}"
        )
    print(
        f"floor: the lower of the two /healthz p99s, {floor} ms. Submissions: {result['submissions_in_review']} "
        f"in review (conflicts found), {result['submissions_approved']} approved; "
        f"written to {RESULTS.relative_to(ROOT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
