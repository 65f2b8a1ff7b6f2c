"""What sales ingestion by signed webhook and KPI reads cost, through the gateway, on PostgreSQL.

Run from the repository root, with PostgreSQL reachable (default: postgres@127.0.0.1:5432, trust):

    .venv/bin/python bench/analytics_bench.py                       # 10,000,000 lines loaded for the reads
    .venv/bin/python bench/analytics_bench.py --lines 200000 --quick  # a smoke run on a shared machine

What it does:
1. creates fresh PostgreSQL databases for the registry and analytics (dropped at the end), migrates them,
   and starts the registry, analytics and the gateway as uvicorn subprocesses (the gateway's key store on a
   SQLite file with a bootstrap admin key; rate limits far above the offered load; no event subscriber);
   analytics as `--analytics-workers` processes (default 1: with two, as deploy/k8s runs it, ingestion
   measured the same on two cores, where the CPU a delivery costs in all processes bounds it);
2. ingestion: four partners get a webhook secret through the gateway; four senders (one per partner, in
   parallel) push `sales.reported` deliveries of 500 lines each, signed with the `standardwebhooks`
   package, through the gateway: lines per second over the whole stream. Against it, the floor of the same
   run: asyncpg `copy_records_to_table` of the very same `sales_line` rows (four connections at once) into
   a scratch table shaped like `sales_line`, indexes included. Then single-line deliveries from the four
   senders: deliveries per second, median and p99. For both streams, the CPU the registry, analytics and
   gateway processes, PostgreSQL's server processes and the bench's senders used per delivery (from /proc):
   unlike the timings, barely moved by other work on the machine;
3. reads: `--lines` lines (over 2 years, 5,000 a partner) are generated and written straight into the
   database with COPY — `sales_line`, `sales_line_key` and the rollups computed by analytics' own pure code
   (`sales.rollups`, `kpis.rollups`), plus the partner replica — then VACUUM ANALYZE; through the gateway,
   a partner's KPI snapshot of a quarter and the revenue leaderboard of that quarter (all partners, and one
   tier): median and p99;
4. prints a table and writes bench/results/analytics.json.

Goals (issue 10): webhook ingestion ≥ 25 % of the COPY floor and ≥ 5,000 lines/s; KPI p99 < 50 ms.
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
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from _common import ROOT, SECRET, free_port, uvicorn_command, wait_ready

RESULTS = ROOT / "bench" / "results" / "analytics.json"
ADMIN_KEY = "prm_bench003_" + "a" * 43
SENDERS = 4
BATCH = 500
LINES_PER_PARTNER = 5_000
CATEGORIES = ["networking", "security", "storage", "cloud", "collaboration"]
TIERS = ["registered", "silver", "gold", "platinum"]
TYPES = ["distributor", "reseller", "var", "system_integrator", "msp"]
REGIONS = ["DACH", "Nordics", "Benelux", "UK & Ireland", "North America"]


@dataclass
class Sizes:
    ingest_batches: int  # per sender
    single_deliveries: int  # in all
    read_lines: int
    read_requests: int
    concurrency: int
    analytics_workers: int


@dataclass
class Figures:
    requests: int
    errors: int
    median_ms: float
    p99_ms: float


# --- lines -------------------------------------------------------------------------------------------------


def sales_line(rng: random.Random, external_id: str, day: date, customers: int = 200) -> dict[str, Any]:
    """A valid line: one in twenty a return, most with a cost; amount = quantity x unit price exactly."""
    quantity = rng.randint(1, 20)
    unit_price = Decimal(rng.randint(1_000, 250_000)) / 100
    amount = unit_price * quantity
    customer = rng.randrange(customers)
    line: dict[str, Any] = {
        "external_id": external_id,
        "kind": "return" if rng.random() < 0.05 else "sale",
        "occurred_on": day.isoformat(),
        "payment_status": "invoiced",
        "customer": {"name": f"Customer {customer}", "external_id": f"C{customer}", "country": "DE"},
        "product": {"sku": f"SKU-{rng.randrange(50)}", "category": rng.choice(CATEGORIES)},
        "quantity": str(quantity),
        "unit_price": str(unit_price),
        "amount": str(amount),
        "currency": "EUR",
    }
    if rng.random() < 0.8:
        line["cost"] = str((amount * Decimal("0.6")).quantize(Decimal("0.01")))
    return line


def body_of(lines: Sequence[dict[str, Any]]) -> str:
    return json.dumps({"type": "sales.reported", "data": {"transactions": list(lines)}})


def ingest_batches(
    rng: random.Random, sender: int, count: int, size: int, today: date
) -> list[list[dict[str, Any]]]:
    """A partner system's deliveries: each one day's lines, one day further back each time (as an ERP sends
    what was invoiced; a backfill spread over many days costs the volume-spike guard more, see README)."""
    return [
        [
            sales_line(rng, f"S{sender}-B{number}-L{index}", today - timedelta(days=1 + number))
            for index in range(size)
        ]
        for number in range(count)
    ]


def stored_rows(partner_id: uuid.UUID, lines: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The rows analytics' own pure code makes of accepted lines: `sales_line`, `sales_line_key` and the four
    rollups (per partner and batch, so each rollup key occurs once when a partner's lines come at once)."""
    from analytics.kpis.rollups import customer_month_rollup_rows
    from analytics.sales.deduplication import AcceptedLine
    from analytics.sales.rollups import (
        content_hash,
        customer_rollup_rows,
        daily_rollup_rows,
        monthly_rollup_rows,
    )
    from analytics.sales.schemas import key_row, line_row
    from prm_contracts.sales import SalesTransaction
    from prm_kit.db.ids import ordered_id

    received = datetime.now(UTC)
    parsed = [SalesTransaction.model_validate(line) for line in lines]
    accepted = [
        AcceptedLine(line=line, line_id=ordered_id(), content_hash=content_hash(line)) for line in parsed
    ]
    daily = daily_rollup_rows(partner_id, parsed)
    return {
        "sales_line": [
            line_row(a, partner_id=partner_id, webhook_id="bench", received_at=received) for a in accepted
        ],
        "sales_line_key": [key_row(a, partner_id=partner_id) for a in accepted],
        "sales_daily_rollup": daily,
        "sales_monthly_rollup": monthly_rollup_rows(daily),
        "sales_customer_rollup": customer_rollup_rows(partner_id, parsed),
        "sales_customer_month_rollup": customer_month_rollup_rows(partner_id, parsed),
    }


# --- processes ---------------------------------------------------------------------------------------------


async def migrate(url: str, migrations_dir: Path) -> None:
    from prm_kit.db.engine import make_engine
    from prm_kit.migrations import ensure_database, upgrade

    await ensure_database(url)
    engine = make_engine(url)
    try:
        await upgrade(engine, migrations_dir)
    finally:
        await engine.dispose()


# --- measurement -------------------------------------------------------------------------------------------


def figures(latencies: list[float], errors: int) -> Figures:
    latencies.sort()
    return Figures(
        requests=len(latencies),
        errors=errors,
        median_ms=round(statistics.median(latencies), 2),
        p99_ms=round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2),
    )


async def deliver(client: httpx.AsyncClient, partner_id: str, secret: str, body: str) -> httpx.Response:
    from standardwebhooks.webhooks import Webhook

    message_id = f"msg_{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
    }
    return await client.post(f"/v1/webhooks/partners/{partner_id}/sales", content=body, headers=headers)


async def stream(
    client: httpx.AsyncClient, senders: Sequence[tuple[str, str, list[str]]]
) -> tuple[float, list[float], int]:
    """Each sender pushes its bodies one after the other, all senders at once: (seconds, latencies ms,
    errors)."""
    latencies: list[float] = []
    errors = 0

    async def one(partner_id: str, secret: str, bodies: list[str]) -> None:
        nonlocal errors
        for body in bodies:
            started = time.perf_counter()
            response = await deliver(client, partner_id, secret, body)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200 or response.json()["counts"]["rejected"]:
                errors += 1
                if errors == 1:
                    print(f"  a delivery answered {response.status_code}: {response.text[:300]}")

    started = time.perf_counter()
    await asyncio.gather(*(one(*sender) for sender in senders))
    return time.perf_counter() - started, latencies, errors


async def copy_floor(dsn: str, rows_per_sender: Sequence[list[dict[str, Any]]]) -> tuple[float, str]:
    """COPY of the same `sales_line` rows into a scratch table like it, one connection per sender at once:
    (seconds, what the scratch table copied of sales_line)."""
    import asyncpg

    setup = await asyncpg.connect(dsn)
    try:
        try:
            await setup.execute("CREATE TABLE bench_scratch_line (LIKE sales_line INCLUDING ALL)")
            shape = "columns, defaults, constraints and indexes"
        except asyncpg.PostgresError:
            await setup.execute("CREATE TABLE bench_scratch_line (LIKE sales_line INCLUDING DEFAULTS)")
            shape = "columns and defaults"
        columns = list(rows_per_sender[0][0])
        connections = [await asyncpg.connect(dsn) for _ in rows_per_sender]
        try:
            records = [[tuple(row[c] for c in columns) for row in rows] for rows in rows_per_sender]
            started = time.perf_counter()
            await asyncio.gather(
                *(
                    connection.copy_records_to_table("bench_scratch_line", records=batch, columns=columns)
                    for connection, batch in zip(connections, records, strict=True)
                )
            )
            seconds = time.perf_counter() - started
        finally:
            for connection in connections:
                await connection.close()
        await setup.execute("DROP TABLE bench_scratch_line")
        return seconds, shape
    finally:
        await setup.close()


async def partner_with_secret(client: httpx.AsyncClient, name: str) -> tuple[str, str]:
    created = await client.post(
        "/v1/partners", json={"legal_name": name, "partner_type": "reseller", "country": "DE"}
    )
    created.raise_for_status()
    partner_id: str = created.json()["id"]
    issued = await client.post(f"/v1/partners/{partner_id}/webhook-secrets")
    issued.raise_for_status()
    return partner_id, issued.json()["secret"]


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU used so far (Linux /proc; empty elsewhere) by each named process with its children
    (uvicorn's workers), by PostgreSQL (its processes, every database: the machine should be quiet; with what
    the ones that ended used, autovacuum workers say, which the postmaster counts) and by the bench itself (the
    senders' signing and HTTP)."""
    used = {name: sum(_cpu_of(each) for each in _with_children(pid)) for name, pid in pids.items()}
    server = set(_processes_named("postgres"))
    used["postgresql"] = (
        sum(_cpu_of(pid, ended_children=_parent_of(pid) not in server) for pid in server) if server else -1
    )
    used["bench"] = time.process_time()
    return {name: seconds for name, seconds in used.items() if seconds >= 0}


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (state, ppid, …); empty when it has ended."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def _cpu_of(pid: int, *, ended_children: bool = False) -> float:
    fields = _stat(pid)
    if not fields:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if ended_children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime: children it has waited for
    return ticks / os.sysconf("SC_CLK_TCK")


def _parent_of(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[1]) if fields else None


def _with_children(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(each for child in children for each in _with_children(int(child)))]


def _processes_named(command: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def cpu_ms_per_delivery(
    before: dict[str, float], after: dict[str, float], deliveries: int
) -> dict[str, float]:
    """CPU each service process (and PostgreSQL, and the bench's senders) spent per delivery of a stream:
    unlike its wall time, barely moved by other work on the machine."""
    return {
        name: round((after[name] - before[name]) * 1000 / deliveries, 1) for name in after if name in before
    }


async def run_ingestion(
    gateway_url: str, analytics_dsn: str, sizes: Sizes, rng: random.Random, pids: dict[str, int]
) -> dict[str, Any]:
    today = date.today()
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    limits = httpx.Limits(max_connections=SENDERS * 2, max_keepalive_connections=SENDERS * 2)
    async with httpx.AsyncClient(base_url=gateway_url, headers=admin, timeout=60.0) as client:
        partners = [await partner_with_secret(client, f"Bench Sender {n} GmbH") for n in range(SENDERS)]
    batches = [ingest_batches(rng, n, sizes.ingest_batches + 1, BATCH, today) for n in range(SENDERS)]
    async with httpx.AsyncClient(base_url=gateway_url, limits=limits, timeout=120.0) as client:
        # warm-up: the first batch of each sender (connections, the secrets cache, the first-request costs)
        await stream(client, [(p, s, [body_of(b[0])]) for (p, s), b in zip(partners, batches, strict=True)])
        bodies = [[body_of(batch) for batch in b[1:]] for b in batches]
        cpu_before = cpu_seconds(pids)
        seconds, latencies, errors = await stream(
            client, [(p, s, bb) for (p, s), bb in zip(partners, bodies, strict=True)]
        )
        lines = SENDERS * sizes.ingest_batches * BATCH
        webhook = {
            "lines": lines,
            "seconds": round(seconds, 2),
            "lines_per_second": round(lines / seconds),
            "batch": asdict(figures(latencies, errors)),
            "cpu_ms_per_delivery": cpu_ms_per_delivery(cpu_before, cpu_seconds(pids), len(latencies)),
        }
        singles = [
            [body_of([sales_line(rng, f"one-{n}-{i}", today - timedelta(days=1))]) for i in range(sizes.single_deliveries // SENDERS)]
            for n in range(SENDERS)
        ]  # fmt: skip
        cpu_before = cpu_seconds(pids)
        single_seconds, single_latencies, single_errors = await stream(
            client, [(p, s, bb) for (p, s), bb in zip(partners, singles, strict=True)]
        )
        single_cpu = cpu_ms_per_delivery(cpu_before, cpu_seconds(pids), len(single_latencies))
    rows = [
        stored_rows(uuid.UUID(partner_id), [line for batch in b[1:] for line in batch])["sales_line"]
        for (partner_id, _), b in zip(partners, batches, strict=True)
    ]
    copy_seconds, shape = await copy_floor(analytics_dsn, rows)
    single = figures(single_latencies, single_errors)
    return {
        "webhook_500_line_batches": webhook,
        "copy_floor": {
            "lines": lines,
            "seconds": round(copy_seconds, 2),
            "lines_per_second": round(lines / copy_seconds),
            "scratch_table": shape,
        },
        "webhook_share_of_copy_floor": round(copy_seconds / seconds, 3),
        "single_line_webhooks": {
            "deliveries_per_second": round(single.requests / single_seconds),
            **asdict(single),
            "cpu_ms_per_delivery": single_cpu,
        },
    }


# --- reads over a loaded table -----------------------------------------------------------------------------


def read_partners(count: int, rng: random.Random) -> list[dict[str, Any]]:
    return [
        {
            "partner_id": uuid.uuid4(),
            "name": f"Read Partner {n}",
            "partner_type": rng.choice(TYPES),
            "country": "DE",
            "region": rng.choice(REGIONS),
            "tier": rng.choice(TIERS),
            "status": "active",
        }
        for n in range(count)
    ]


def partner_lines(rng: random.Random, number: int, count: int, today: date) -> Iterator[dict[str, Any]]:
    for index in range(count):
        yield sales_line(rng, f"R{number}-{index}", today - timedelta(days=rng.randint(1, 730)))


async def bulk_load(dsn: str, partners: list[dict[str, Any]], per_partner: int, rng: random.Random) -> float:
    """COPY every partner's lines, keys and rollups, and the partner replica; seconds taken."""
    import asyncpg

    today = date.today()
    now = datetime.now(UTC)
    started = time.perf_counter()
    connection = await asyncpg.connect(dsn)
    try:
        replica = [
            p | {"record_as_of": now, "status_as_of": now, "tier_as_of": now, "updated_at": now}
            for p in partners
        ]
        await copy_rows(connection, "partner_dimension", replica)
        for number, partner in enumerate(partners):
            rows = stored_rows(partner["partner_id"], list(partner_lines(rng, number, per_partner, today)))
            for table, table_rows in rows.items():
                await copy_rows(connection, table, table_rows)
            if number % 100 == 99:
                print(f"  {number + 1:,} partners, {(number + 1) * per_partner:,} lines")
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def copy_rows(connection: Any, table: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        columns = list(rows[0])
        records = [tuple(row[c] for c in columns) for row in rows]
        await connection.copy_records_to_table(table, records=records, columns=columns)


def last_full_quarter(today: date) -> str:
    quarter = (today.month - 1) // 3  # the current quarter's index 0-3; the one before is complete
    year = today.year if quarter else today.year - 1
    return f"{year}-Q{quarter or 4}"


async def run_reads(
    gateway_url: str, partners: list[dict[str, Any]], sizes: Sizes, rng: random.Random
) -> dict[str, Any]:
    period = last_full_quarter(date.today())
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    limits = httpx.Limits(max_connections=sizes.concurrency, max_keepalive_connections=sizes.concurrency)
    async with httpx.AsyncClient(base_url=gateway_url, headers=admin, limits=limits, timeout=60.0) as client:

        async def measure(paths: list[str]) -> Figures:
            latencies: list[float] = []
            errors = 0
            queue = list(reversed(paths))

            async def worker() -> None:
                nonlocal errors
                while queue:
                    path = queue.pop()
                    started = time.perf_counter()
                    response = await client.get(path)
                    latencies.append((time.perf_counter() - started) * 1000)
                    if response.status_code != 200:
                        errors += 1
                        if errors == 1:
                            print(f"  {path} answered {response.status_code}: {response.text[:300]}")

            await asyncio.gather(*(worker() for _ in range(sizes.concurrency)))
            return figures(latencies, errors)

        kpi_paths = [
            f"/v1/kpis/partners/{rng.choice(partners)['partner_id']}?period={period}"
            for _ in range(sizes.read_requests)
        ]
        board_paths = [f"/v1/leaderboards?kpi=revenue&period={period}&limit=50"] * sizes.read_requests
        tier_paths = [f"/v1/leaderboards?kpi=revenue&period={period}&tier={rng.choice(TIERS)}&limit=50" for _ in range(sizes.read_requests)]  # fmt: skip
        health = ["/healthz"] * sizes.read_requests
        await measure(kpi_paths[: max(10, sizes.read_requests // 10)])  # warm-up
        await measure(board_paths[:5])
        return {
            "period": period,
            "baseline_gateway_healthz": asdict(await measure(health)),
            "kpi_snapshot": asdict(await measure(kpi_paths)),
            "leaderboard_revenue": asdict(await measure(board_paths)),
            "leaderboard_revenue_one_tier": asdict(await measure(tier_paths)),
        }


# --- the run -----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer deliveries and requests: a smoke run")
    parser.add_argument("--lines", type=int, default=10_000_000, help="lines loaded for the reads")
    parser.add_argument("--batches", type=int, default=50, help="500-line deliveries per sender")
    parser.add_argument("--singles", type=int, default=2_000, help="single-line deliveries in all")
    parser.add_argument("--requests", type=int, default=1_000, help="per read measurement")
    parser.add_argument("--concurrency", type=int, default=1, help="of the reads")
    parser.add_argument(
        "--analytics-workers",
        type=int,
        default=1,
        help="analytics processes (uvicorn --workers); two measured the same share of the floor on two cores",
    )
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "PRM_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        ),
        help="any database on the server; the bench creates and drops its own next to it",
    )
    args = parser.parse_args()
    sizes = Sizes(
        ingest_batches=10 if args.quick else args.batches,
        single_deliveries=400 if args.quick else args.singles,
        read_lines=args.lines,
        read_requests=200 if args.quick else args.requests,
        concurrency=args.concurrency,
        analytics_workers=args.analytics_workers,
    )

    from analytics.main import MIGRATIONS_DIR as ANALYTICS_MIGRATIONS
    from gateway.main import MIGRATIONS_DIR as GATEWAY_MIGRATIONS
    from partner_registry.main import MIGRATIONS_DIR as REGISTRY_MIGRATIONS
    from prm_kit.testing import drop_database
    from sqlalchemy import make_url

    rng = random.Random(args.seed)
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    base = make_url(args.postgres_url).set(drivername="postgresql+asyncpg")
    suffix = uuid.uuid4().hex[:8]
    urls = {
        name: base.set(database=f"prm_bench_{name}_{suffix}").render_as_string(hide_password=False)
        for name in ("registry", "analytics")
    }
    analytics_dsn = (
        make_url(urls["analytics"]).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    work = Path(tempfile.mkdtemp(prefix="prm-analytics-bench-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        asyncio.run(migrate(urls["registry"], REGISTRY_MIGRATIONS))
        asyncio.run(migrate(urls["analytics"], ANALYTICS_MIGRATIONS))
        gateway_db = f"sqlite+aiosqlite:///{work / 'gateway.db'}"
        asyncio.run(migrate(gateway_db, GATEWAY_MIGRATIONS))
        ports = {name: free_port() for name in ("registry", "analytics", "gateway")}
        environment = {
            **{n: v for n, v in os.environ.items() if not n.startswith("PRM_")},
            "PRM_INTERNAL_SECRET": SECRET,
            "PRM_DATA_DIR": str(work),
            "PRM_ACCESS_LOG": "false",
            "PRM_LOG_LEVEL": "WARNING",
            "PRM_REGISTRY_URL": f"http://127.0.0.1:{ports['registry']}",
            "PRM_ANALYTICS_URL": f"http://127.0.0.1:{ports['analytics']}",
        }
        specific = {
            "registry": ("partner_registry.main:create_app", {"PRM_REGISTRY_DATABASE_URL": urls["registry"]}),
            "analytics": (
                "analytics.main:create_app",
                {"PRM_ANALYTICS_DATABASE_URL": urls["analytics"], "PRM_WEBHOOK_SECRET_CACHE_SECONDS": "600"},
            ),
            "gateway": (
                "gateway.main:create_app",
                {
                    "PRM_GATEWAY_DATABASE_URL": gateway_db,
                    "PRM_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
                    "PRM_RATE_LIMIT_PER_SECOND": "100000",
                    "PRM_RATE_LIMIT_BURST": "1000000",
                },
            ),
        }
        for name, (factory, extra) in specific.items():  # started together, waited for together
            processes.append(
                subprocess.Popen(
                    uvicorn_command(
                        factory, ports[name], workers=sizes.analytics_workers if name == "analytics" else 1
                    ),
                    env=environment | extra,
                    cwd=ROOT,
                )
            )
        for name, process in zip(specific, processes, strict=True):
            wait_ready(f"http://127.0.0.1:{ports[name]}/readyz", process, timeout=120.0)
        gateway_url = f"http://127.0.0.1:{ports['gateway']}"

        print(f"ingestion ({sizes.analytics_workers} analytics processes): {SENDERS} senders x "
              f"{sizes.ingest_batches} deliveries of {BATCH} lines, then "
              f"{sizes.single_deliveries} single-line deliveries …")  # fmt: skip
        pids = {name: process.pid for name, process in zip(specific, processes, strict=True)}
        ingestion = asyncio.run(run_ingestion(gateway_url, analytics_dsn, sizes, rng, pids))
        per_partner = min(LINES_PER_PARTNER, sizes.read_lines)
        partners = read_partners(max(1, sizes.read_lines // per_partner), rng)
        print(f"loading {len(partners) * per_partner:,} lines of {len(partners):,} partners by COPY …")
        load_seconds = asyncio.run(bulk_load(analytics_dsn, partners, per_partner, rng))
        print(f"loaded in {load_seconds:.1f} s; reads …")
        reads = asyncio.run(run_reads(gateway_url, partners, sizes, rng))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)
        for url in urls.values():
            asyncio.run(drop_database(url))

    result = {
        "sizes": asdict(sizes),
        "ingestion": ingestion,
        "reads": {"lines": len(partners) * per_partner, "partners": len(partners), "load_seconds": round(load_seconds, 1)} | reads,
        "quick": args.quick,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_at_start": load_at_start,
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")

    webhook = ingestion["webhook_500_line_batches"]
    floor = ingestion["copy_floor"]
    single = ingestion["single_line_webhooks"]
    print(
        f"webhooks of {BATCH} lines, {SENDERS} senders: {webhook['lines_per_second']:,} lines/s "
        f"(batch median {webhook['batch']['median_ms']} ms, p99 {webhook['batch']['p99_ms']} ms); COPY floor "
        f"{floor['lines_per_second']:,} lines/s; share {ingestion['webhook_share_of_copy_floor']:.1%}"
    )
    print(
        f"single-line webhooks: {single['deliveries_per_second']:,}/s, median {single['median_ms']} ms, "
        f"p99 {single['p99_ms']} ms, errors {single['errors']}"
    )
    print(
        f"CPU ms per delivery (500 lines; 1 line): {webhook['cpu_ms_per_delivery']}; "
        f"{single['cpu_ms_per_delivery']}"
    )
    print(
        f"reads over {result['reads']['lines']:,} lines ({len(partners):,} partners), period {reads['period']}:"
    )
    print(f"{'':32}{'median ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name in (
        "baseline_gateway_healthz",
        "kpi_snapshot",
        "leaderboard_revenue",
        "leaderboard_revenue_one_tier",
    ):
        figures_ = reads[name]
        print(f"{name:32}{figures_['median_ms']:>10.2f}{figures_['p99_ms']:>10.2f}{figures_['errors']:>8}")
    load_at_end = [round(x, 2) for x in os.getloadavg()]
    print(f"load average (1, 5, 15 min): {load_at_start} at the start, {load_at_end} at the end")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
