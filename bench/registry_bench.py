"""What a deal registration (with its conflict check) and a filtered partner list cost at scale, through the gateway.

Run from the repository root, with PostgreSQL reachable (default: postgres@127.0.0.1:5432, trust):

    .venv/bin/python bench/registry_bench.py                  # 50,000 partners, 100,000 registrations
    .venv/bin/python bench/registry_bench.py --quick          # small sizes: a smoke run in seconds
    .venv/bin/python bench/registry_bench.py --requests 5000 --concurrency 8 --postgres-url postgresql://...

What it does:
1. creates a fresh PostgreSQL database (dropped at the end), migrates the registry's schema into it and
   bulk-loads partners, their territories, house accounts and deal registrations (with the conflict
   check's name tokens) by COPY through asyncpg: no Python loop of single inserts;
2. starts the registry and the gateway as uvicorn subprocesses (the gateway's key store on a SQLite file,
   with a bootstrap admin key; rate limits far above the offered load);
3. measures through the gateway with httpx, each the same number of requests at a small concurrency, after
   a warm-up: `GET /healthz` of the gateway itself (the baseline: what any request costs before a service
   does work), `POST /v1/deal-registrations` (every submission a new customer, about one in five of them
   colliding with an open registration by domain or a misspelt name, so the conflict check finds and
   scores candidates), and `GET /v1/partners?country=…&status=active&limit=50` (a filtered, sorted page);
   the load ends with VACUUM ANALYZE, the steady state autovacuum keeps a live database in;
4. prints a table (median and p99 in ms, and each one's excess over the baseline) and writes
   bench/results/registry.json.

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
import socket
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

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "registry.json"
SECRET = "bench-internal-secret-0123456789abcdef-0123"  # noqa: S105 - a throwaway secret for the bench only
ADMIN_KEY = "prm_bench002_" + "r" * 43
COUNTRIES = ["DE", "FR", "GB", "US", "NL", "IT", "ES", "AT", "CH", "SE", "PL", "BE", "DK", "NO", "FI", "IE"]
PARTNER_TYPES = ["distributor", "reseller", "var", "system_integrator", "msp", "referral", "agent"]
SEGMENTS = ["consumer", "smb", "mid_market", "enterprise", "public_sector"]
PRODUCTS = ["firewall", "vpn", "switches", "routers", "wifi", "sd-wan", "endpoint", "siem", "backup", "cloud"]
SUFFIXES = ["GmbH", "AG", "Ltd", "Inc.", "LLC", "S.A.", "B.V.", "SARL", "Oy", "AB", "", "", ""]
WORDS = ["Logistics", "Retail", "Foods", "Energy", "Health", "Bank", "Motors", "Media", "Pharma", "Steel"]
SYLLABLES = [a + b for a in "bdfgklmnprstvz" for b in "aeiou"]


@dataclass
class Sizes:
    partners: int
    registrations: int
    territories: int
    house_accounts: int
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
    from partner_registry.deal_registrations.matching import name_tokens, normalise_name
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
            partner_rows.append(
                (partner_id, legal, legal.rsplit(" ", 1)[0] if " " in legal else legal,
                 rng.choice(PARTNER_TYPES), status, now, None, None, country, None, registration,
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

        territory_rows = []
        seen_scopes: set[tuple[uuid.UUID, str]] = set()
        for _ in range(sizes.territories):
            partner_id = rng.choice(active)
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

        account_rows, account_tokens = [], []
        for number in range(sizes.house_accounts):
            name = _company(rng)
            account_id = uuid.uuid4()
            key = normalise_name(name)
            account_rows.append(
                (account_id, name, key, f"direct{number}.example", rng.choice(COUNTRIES), None, 1, now, now)
            )
            account_tokens += [(token, account_id) for token in name_tokens(key)]
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
                token_rows += [(token, registration_id, partner_id) for token in name_tokens(key)]
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
        # what autovacuum would have done by now: statistics, and the visibility map for index-only scans
        await connection.execute("VACUUM ANALYZE")
        return {
            "active_partners": active,
            "open_customers": open_customers,
            "rows": {
                "partner": len(partner_rows),
                "territory": len(territory_rows),
                "house_account": len(account_rows),
                "deal_registration": len(registration_rows),
                "deal_registration_name_token": len(token_rows),
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def uvicorn_command(factory: str, port: int) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    return [*command, "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode} before it was ready")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} was not ready within {timeout} s")


# --- measurement -------------------------------------------------------------------------------------------


async def measure(
    client: httpx.AsyncClient, requests: list[tuple[str, str, Any]], concurrency: int, expected: set[int]
) -> tuple[Figures, list[httpx.Response]]:
    """Send `requests` (method, path, json) with `concurrency` in flight; latency of each, in ms."""
    latencies: list[float] = []
    answers: list[httpx.Response] = []
    errors = 0
    queue = list(reversed(requests))

    async def worker() -> None:
        nonlocal errors
        while queue:
            method, path, body = queue.pop()
            started = time.perf_counter()
            response = await client.request(method, path, json=body)
            latencies.append((time.perf_counter() - started) * 1000)
            answers.append(response)
            if response.status_code not in expected:
                errors += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    latencies.sort()
    return (
        Figures(
            requests=len(latencies),
            errors=errors,
            median_ms=round(statistics.median(latencies), 2),
            p99_ms=round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2),
        ),
        answers,
    )


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
        health = [("GET", "/healthz", None)] * sizes.requests
        partner_pages = [
            ("GET", f"/v1/partners?country={rng.choice(COUNTRIES)}&status=active&limit=50", None)
            for _ in range(sizes.requests)
        ]
        bodies = submissions(loaded, sizes.requests + sizes.warmup, rng)
        deals = [("POST", "/v1/deal-registrations", body) for body in bodies]
        # warm-up: connections, caches, the services' first-request costs
        await measure(client, health[: sizes.warmup], sizes.concurrency, {200})
        await measure(client, partner_pages[: sizes.warmup], sizes.concurrency, {200})
        await measure(client, deals[: sizes.warmup], sizes.concurrency, {201})
        baseline, _ = await measure(client, health, sizes.concurrency, {200})
        submitted, answers = await measure(client, deals[sizes.warmup :], sizes.concurrency, {201})
        listed, pages = await measure(client, partner_pages, sizes.concurrency, {200})
    statuses = [a.json().get("status") for a in answers if a.status_code == 201]
    return {
        "baseline_gateway_healthz": baseline,
        "deal_registration_submit": submitted,
        "partner_list_filtered_page": listed,
        "submissions_in_review": statuses.count("pending_review"),
        "submissions_approved": statuses.count("approved"),
        "partner_page_items_median": statistics.median(
            len(p.json()["items"]) for p in pages if p.status_code == 200
        ),
    }


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
    args = parser.parse_args()
    if args.quick:
        sizes = Sizes(partners=500, registrations=1_000, territories=100, house_accounts=50, requests=200,
                      concurrency=args.concurrency, warmup=20)  # fmt: skip
    else:
        sizes = Sizes(
            partners=args.partners,
            registrations=args.registrations,
            territories=max(100, args.partners // 10),
            house_accounts=max(50, args.registrations // 100),
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
        asyncio.run(drop_database(registry_url))

    baseline: Figures = measured["baseline_gateway_healthz"]
    result = {
        "sizes": asdict(sizes),
        "rows": loaded["rows"],
        "load_seconds": loaded["load_seconds"],
        "measurements": {
            name: {
                **asdict(figures),
                "median_over_baseline_ms": round(figures.median_ms - baseline.median_ms, 2),
            }
            for name, figures in measured.items()
            if isinstance(figures, Figures)
        },
        "submissions_in_review": measured["submissions_in_review"],
        "submissions_approved": measured["submissions_approved"],
        "partner_page_items_median": measured["partner_page_items_median"],
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
        f"{sizes.concurrency} at a time, through the gateway"
    )
    print(f"{'':34}{'median ms':>10}{'p99 ms':>10}{'median-baseline':>17}{'errors':>8}")
    for name, figures in result["measurements"].items():
        print(
            f"{name:34}{figures['median_ms']:>10.2f}{figures['p99_ms']:>10.2f}"
            f"{figures['median_over_baseline_ms']:>17.2f}{figures['errors']:>8}"
        )
    print(
        f"submissions: {result['submissions_in_review']} in review (conflicts found), "
        f"{result['submissions_approved']} approved; written to {RESULTS.relative_to(ROOT)}"
    )
    return 0


def migrate_gateway(database_url: str) -> None:
    from gateway.main import MIGRATIONS_DIR
    from prm_kit.db.engine import make_engine
    from prm_kit.migrations import ensure_database, upgrade

    async def run() -> None:
        await ensure_database(database_url)
        engine = make_engine(database_url)
        try:
            await upgrade(engine, MIGRATIONS_DIR)
        finally:
            await engine.dispose()

    asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
