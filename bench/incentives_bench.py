"""What a whole incentive calculation costs on PostgreSQL, against the floor of any set-based calculation.

Run from the repository root, with PostgreSQL reachable (default: postgres@127.0.0.1:5432, trust):

    .venv/bin/python bench/incentives_bench.py                   # 1,000,000 lines, 2,000 partners
    .venv/bin/python bench/incentives_bench.py --lines 200000    # a smaller run on a shared machine

What it does:
1. creates a fresh PostgreSQL database for incentives (dropped at the end), migrates it, and loads its replica
   straight by COPY: 2,000 partners (profiles, tier histories with a tenth of the partners moving tier in
   the middle of the quarter, status histories with a few suspended during it, one approved deal
   registration each) and `--lines` sales lines of one quarter (2026-Q3): sales, returns and credit notes in
   EUR, USD and GBP, 70 % paid, a few on a deal registration, one in a thousand flagged; then VACUUM ANALYZE;
2. starts incentives as a uvicorn subprocess; analytics is a small stand-in HTTP server of this script
   answering the FX rates (monthly EUR/USD and EUR/GBP) and the partners' revenue targets of the quarter;
3. creates and publishes 5 programmes through the API, mixing every rule kind: a 2 % rebate on active
   partners; a whole-band volume bonus for gold and platinum with a cap and a floor; a marginal volume bonus
   on two categories with an MDF accrual; per-unit and per-deal SPIFFs with a deal-registration bonus and a
   30-day hold; a paid-basis accelerator over the targets with a rebate and a programme budget;
4. baseline: one SQL pass summing the quarter's lines by partner (signed by kind), the floor of any
   set-based calculation: the median of 5 after a warm-up;
5. the calculation run of the quarter for each of the 5 programmes through the HTTP API (`POST
   /v1/calculation-runs`), one after the other; then the same again (each re-run replaces its draft). The
   ratio is the first pass's total over the baseline; the peak memory is the incentives process's peak
   resident set (VmHWM), read from /proc;
6. prints a table and writes bench/results/incentives.json, with a digest of every run's payouts (the data
   comes from `--seed`, ids included, so the same seed makes the same data): `--compare FILE` checks them
   against an earlier results file, e.g. of the code before a change.

Goals (issue 12): the run of all 5 programmes within 10x the baseline; peak memory under 500 MB.
CI does not run benches.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "incentives.json"
SECRET = "bench-internal-secret-0123456789abcdef-0123"  # noqa: S105 - a throwaway secret for the bench only
PERIOD, FIRST, END = "2026-Q3", date(2026, 7, 1), date(2026, 10, 1)
AS_OF = "2026-11-15"
RECORDED_AT = datetime(2026, 10, 5, tzinfo=UTC)
CHUNK = 100_000
TIERS = ["registered", "silver", "gold", "platinum"]
TYPES = ["distributor", "reseller", "var", "system_integrator", "msp"]
COUNTRIES = [("DE", "DACH"), ("AT", "DACH"), ("NL", "Benelux"), ("SE", "Nordics"), ("GB", "UK & Ireland")]
PRODUCTS = [  # sku, category, unit price
    ("NET-SW24", "networking", Decimal("1279.00")),
    ("NET-AP6", "networking", Decimal("342.50")),
    ("SEC-FW200", "security", Decimal("4224.00")),
    ("SEC-ZTNA100", "security", Decimal("2112.00")),
    ("SEC-MDR-Y", "security", Decimal("8448.00")),
    ("STO-NAS8", "storage", Decimal("5456.00")),
    ("CLD-BKP1T", "cloud", Decimal("633.60")),
    ("CLD-IAAS", "cloud", Decimal("1320.00")),
    ("COL-ROOM", "collaboration", Decimal("2904.00")),
]
MEAN_LINE = Decimal("9000")  # roughly what a line is worth on average: scales the targets
FX = {"USD": ["1.0712", "1.0934", "1.1047"], "GBP": ["0.8431", "0.8502", "0.8467"]}  # EUR/x, Jul-Sep


# --- the replica, loaded by COPY ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Partner:
    id: uuid.UUID
    deal_id: uuid.UUID
    tier: str
    moves_to: str | None  # a tier from 2026-08-15
    suspended: bool  # from 2026-09-01


def _uuid(rng: random.Random) -> uuid.UUID:
    """Ids from the seeded generator: the same seed makes the same data, so payouts compare across runs."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def make_partners(count: int, rng: random.Random) -> list[Partner]:
    partners = []
    for _ in range(count):
        tier = rng.choice(TIERS)
        moves = rng.choice([t for t in TIERS if t != tier]) if rng.random() < 0.1 else None
        partners.append(Partner(_uuid(rng), _uuid(rng), tier, moves, rng.random() < 0.03))
    return partners


def partner_rows(partners: list[Partner], rng: random.Random) -> dict[str, list[tuple[Any, ...]]]:
    long_ago = datetime(2025, 1, 1, tzinfo=UTC)
    rows: dict[str, list[tuple[Any, ...]]] = {
        "partner_profile": [],
        "partner_tier_history": [],
        "partner_status_history": [],
        "deal_registration_state": [],
    }
    for partner in partners:
        country, region = rng.choice(COUNTRIES)
        rows["partner_profile"].append((partner.id, rng.choice(TYPES), country, region, long_ago))
        rows["partner_tier_history"].append((partner.id, date(2025, 1, 1), partner.tier, long_ago))
        if partner.moves_to:
            moved = datetime(2026, 8, 15, tzinfo=UTC)
            rows["partner_tier_history"].append((partner.id, date(2026, 8, 15), partner.moves_to, moved))
        rows["partner_status_history"].append((partner.id, long_ago, "active"))
        if partner.suspended:
            rows["partner_status_history"].append((partner.id, datetime(2026, 9, 1, tzinfo=UTC), "suspended"))
        rows["deal_registration_state"].append(
            (partner.deal_id, partner.id, "approved", date(2026, 6, 1), None, long_ago)
        )
    return rows


PARTNER_COLUMNS = {
    "partner_profile": ["partner_id", "partner_type", "country", "region", "as_of"],
    "partner_tier_history": ["partner_id", "valid_from", "tier", "changed_at"],
    "partner_status_history": ["partner_id", "valid_from", "status"],
    "deal_registration_state": ["id", "partner_id", "status", "approved_on", "protected_until", "as_of"],
}
LINE_COLUMNS = ["id", "partner_id", "external_id", "kind", "occurred_on", "payment_status", "paid_on",
                "product_sku", "product_category", "quantity", "amount", "currency", "deal_registration_id",
                "original_external_id", "flag_status", "recorded_at"]  # fmt: skip


def line_chunks(partners: list[Partner], lines: int, rng: random.Random) -> Iterator[list[tuple[Any, ...]]]:
    """`lines` lines spread over the partners and the quarter's days, in chunks for COPY."""
    days = (END - FIRST).days
    chunk: list[tuple[Any, ...]] = []
    for number in range(lines):
        partner = partners[number % len(partners)]
        day = FIRST + timedelta(days=rng.randrange(days))
        draw = rng.random()
        kind = "sale" if draw < 0.95 else "return" if draw < 0.99 else "credit_note"
        sku, category, price = rng.choice(PRODUCTS)
        quantity = rng.randint(1, 8)
        paid = rng.random() < 0.7
        chunk.append(
            (
                _uuid(rng),
                partner.id,
                f"L-{number}",
                kind,
                day,
                "paid" if paid else "invoiced",
                day + timedelta(days=rng.randint(10, 60)) if paid else None,
                sku,
                category,
                Decimal(quantity),
                price * quantity,
                "EUR" if (c := rng.random()) < 0.8 else "USD" if c < 0.95 else "GBP",
                partner.deal_id if rng.random() < 0.05 else None,
                None,
                "open" if rng.random() < 0.001 else "none",
                RECORDED_AT,
            )
        )
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def load_replica(dsn: str, partners: list[Partner], lines: int, rng: random.Random) -> float:
    import asyncpg

    started = time.perf_counter()
    connection = await asyncpg.connect(dsn)
    try:
        for table, rows in partner_rows(partners, rng).items():
            await connection.copy_records_to_table(table, records=rows, columns=PARTNER_COLUMNS[table])

        def every_line() -> Iterator[tuple[Any, ...]]:
            for count, chunk in enumerate(line_chunks(partners, lines, rng), start=1):
                yield from chunk
                print(f"  {min(count * CHUNK, lines):,} lines")

        # one COPY, streamed: the replica's month-sum trigger then sums all the lines at once (a trigger
        # run per chunk would update the sums of every earlier chunk again)
        await connection.copy_records_to_table("sales_line", records=every_line(), columns=LINE_COLUMNS)
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - started


BASELINE_SQL = """
SELECT partner_id, sum(CASE WHEN kind = 'sale' THEN amount ELSE -amount END)
FROM sales_line WHERE occurred_on >= $1 AND occurred_on < $2 GROUP BY partner_id
"""


async def baseline(dsn: str) -> tuple[list[float], int]:
    """The one SQL pass summing the quarter's lines by partner: seconds of each of 6 runs (the first warms)."""
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        seconds, partners = [], 0
        for _ in range(6):
            started = time.perf_counter()
            partners = len(await connection.fetch(BASELINE_SQL, FIRST, END))
            seconds.append(time.perf_counter() - started)
        return seconds, partners
    finally:
        await connection.close()


# --- analytics, stood in for -------------------------------------------------------------------------------


def analytics_stand_in(target_per_partner: Decimal, partner_ids: list[str]) -> ThreadingHTTPServer:
    """FX rates of the quarter's months and a revenue target per partner (0.8-1.2 x the mean volume, from
    the partner id), one partner's or all of the period's, as analytics' internal endpoints answer them."""
    stamp = datetime(2026, 6, 30, tzinfo=UTC).isoformat()

    def rates(base: str, quote: str) -> list[dict[str, Any]]:
        if base != "EUR" or quote not in FX:
            return []
        return [
            {"id": str(uuid.uuid4()), "base": base, "quote": quote, "rate": rate, "version": 1,
             "effective_on": date(2026, 7 + month, 1).isoformat(), "created_at": stamp, "updated_at": stamp}
            for month, rate in enumerate(FX[quote])
        ]  # fmt: skip

    def targets(partner_id: str) -> list[dict[str, Any]]:
        factor = Decimal(80 + uuid.UUID(partner_id).int % 41) / 100
        amount = (target_per_partner * factor).quantize(Decimal("0.01"))
        return [
            {"id": str(uuid.uuid4()), "partner_id": partner_id, "metric": "revenue", "period": PERIOD,
             "period_kind": "quarter", "first_day": FIRST.isoformat(), "last_day": "2026-09-30",
             "target": {"amount": str(amount), "currency": "EUR"}, "version": 1, "created_at": stamp,
             "updated_at": stamp}
        ]  # fmt: skip

    def tier(rank: int, key: str) -> dict[str, Any]:
        return {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"tier:{key}")), "key": key, "name": key.title(),
                "rank": rank, "requirements": {}, "benefits": {}, "version": 1, "created_at": stamp,
                "updated_at": stamp}  # fmt: skip

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else each answer's body waits for the delayed ACK of its headers

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/internal/fx-rates":
                self._answer(rates(query["base"], query["quote"]))
            elif url.path == "/internal/targets":
                self._answer([t for partner in partner_ids for t in targets(partner)])
            elif url.path.startswith("/internal/partners/") and url.path.endswith("/targets"):
                self._answer(targets(url.path.split("/")[3]))
            elif (
                url.path == "/v1/tiers"
            ):  # the registry's ladder: a programme's eligibility.tiers is checked on it
                self._answer(
                    {
                        "items": [tier(rank, key) for rank, key in enumerate(TIERS, start=1)],
                        "next_cursor": None,
                    }
                )
            else:
                self.send_error(404)

        def _answer(self, payload: Any) -> None:
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# --- the programmes ----------------------------------------------------------------------------------------


def programmes() -> list[dict[str, Any]]:
    def programme(name: str, version: dict[str, Any]) -> dict[str, Any]:
        terms = {"effective_from": "2026-01-01", "basis": "invoiced"} | version
        return {"name": name, "currency": "EUR", "period_type": "quarter", "version": terms}

    bands = [{"from": "0", "to": "250000", "rate": "0"}, {"from": "250000", "to": "1000000", "rate": "0.01"},
             {"from": "1000000", "rate": "0.02"}]  # fmt: skip
    return [
        programme("Rebate for active partners", {"rules": [{"kind": "rebate", "rate": "0.02"}]}),
        programme(
            "Gold and platinum volume",
            {
                "eligibility": {"tiers": ["gold", "platinum"]},
                "rules": [
                    {"kind": "volume_bonus", "mode": "whole_band", "bands": bands},
                    {"kind": "cap", "amount": "30000.00"},
                    {"kind": "floor", "amount": "100.00"},
                ],
            },
        ),
        programme(
            "Networking and security growth",
            {
                "eligibility": {
                    "categories_included": ["networking", "security"],
                    "skus_excluded": ["NET-AP6"],
                },
                "rules": [
                    {"kind": "volume_bonus", "mode": "marginal", "bands": bands},
                    {"kind": "mdf_accrual", "rate": "0.005"},
                ],
            },
        ),
        programme(
            "Security SPIFFs and registered deals",
            {
                "hold_days": 30,
                "rules": [
                    {
                        "kind": "spiff",
                        "skus": ["SEC-FW200", "SEC-ZTNA100"],
                        "amount": "40.00",
                        "per": "unit",
                        "window": {"from": "2026-07-01", "to": "2026-08-31"},
                    },
                    {
                        "kind": "spiff",
                        "skus": ["SEC-MDR-Y"],
                        "amount": "250.00",
                        "per": "deal",
                        "window": {"from": "2026-07-01", "to": "2026-09-30"},
                    },
                    {"kind": "deal_registration_bonus", "rate": "0.03"},
                ],
            },
        ),
        programme(
            "Paid-basis accelerator",
            {
                "basis": "paid",
                "rules": [
                    {"kind": "rebate", "rate": "0.01"},
                    {"kind": "accelerator", "threshold": "0.8", "rate": "0.05"},
                    {"kind": "budget", "amount": "500000.00"},
                ],
            },
        ),
    ]


# --- the service -------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
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


def memory_kib(pid: int, field: str) -> int:
    """`VmHWM` (peak resident set) or `VmRSS` of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def admin_headers() -> dict[str, str]:
    from prm_contracts.principal import ADMIN_SCOPE, Principal
    from prm_kit.internal_auth import INTERNAL_HEADER, sign_principal

    principal = Principal(subject="key:bench-admin", scopes=frozenset({ADMIN_SCOPE}))
    return {INTERNAL_HEADER: sign_principal(principal, SECRET, ttl_seconds=3600)}


def payouts_digest(client: httpx.Client, run_id: str) -> str:
    """A digest of every payout of a run (amounts, exact rule amounts, volumes, held lines) and its FX rates:
    equal digests, equal runs."""
    digest = hashlib.sha256()
    run = client.get(f"/v1/calculation-runs/{run_id}").json()
    digest.update(json.dumps(run["fx_rates"], sort_keys=True).encode())
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 200} | ({"cursor": cursor} if cursor else {})
        page = client.get(f"/v1/calculation-runs/{run_id}/payouts", params=params).json()
        for payout in page["items"]:
            payout.pop("run_id")
            digest.update(json.dumps(payout, sort_keys=True).encode())
        cursor = page["next_cursor"]
        if cursor is None:
            return digest.hexdigest()


def calculation_pass(client: httpx.Client, programme_ids: list[str]) -> list[dict[str, Any]]:
    runs = []
    for programme_id in programme_ids:
        started = time.perf_counter()
        response = client.post(
            "/v1/calculation-runs", json={"programme_id": programme_id, "period": PERIOD, "as_of": AS_OF}
        )
        seconds = time.perf_counter() - started
        if response.status_code not in (200, 201):
            raise RuntimeError(f"run of {programme_id}: {response.status_code} {response.text[:500]}")
        run = response.json()
        runs.append(
            {
                "id": run["id"],
                "programme": run["programme_name"],
                "seconds": round(seconds, 3),
                "partners": run["totals"]["partners"],
                "payout": run["totals"]["payout"]["amount"],
                "mdf_accrual": run["totals"]["mdf_accrual"]["amount"],
                "held_lines": run["totals"]["held_lines"],
            }
        )
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="sales lines of the quarter")
    parser.add_argument("--partners", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--keep-database", action="store_true", help="leave the database for a closer look")
    parser.add_argument(
        "--compare",
        type=Path,
        help="a results file of an earlier run with the same --lines, --partners and --seed: are the payouts the same?",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "PRM_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        ),
        help="any database on the server; the bench creates and drops its own next to it",
    )
    args = parser.parse_args()

    from incentives.main import MIGRATIONS_DIR
    from prm_kit.testing import drop_database, migrate_fresh
    from sqlalchemy import make_url

    rng = random.Random(args.seed)
    base = make_url(args.postgres_url).set(drivername="postgresql+asyncpg")
    url = base.set(database=f"prm_bench_incentives_{uuid.uuid4().hex[:8]}").render_as_string(
        hide_password=False
    )
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    work = Path(tempfile.mkdtemp(prefix="prm-incentives-bench-"))
    partners = make_partners(args.partners, rng)
    analytics = analytics_stand_in(MEAN_LINE * args.lines / args.partners, [str(p.id) for p in partners])
    process: subprocess.Popen[bytes] | None = None
    try:
        asyncio.run(migrate_fresh(url, MIGRATIONS_DIR))
        print(f"loading {args.lines:,} lines of {args.partners:,} partners by COPY …")
        load_seconds = asyncio.run(load_replica(dsn, partners, args.lines, rng))
        baseline_seconds, baseline_partners = asyncio.run(baseline(dsn))
        port = free_port()
        environment = {n: v for n, v in os.environ.items() if not n.startswith("PRM_")} | {
            "PRM_INTERNAL_SECRET": SECRET,
            "PRM_DATA_DIR": str(work),
            "PRM_ACCESS_LOG": "false",
            "PRM_LOG_LEVEL": "WARNING",
            "PRM_INCENTIVES_DATABASE_URL": url,
            "PRM_ANALYTICS_URL": f"http://127.0.0.1:{analytics.server_address[1]}",
            # the same stand-in answers the registry's tier ladder
            "PRM_REGISTRY_URL": f"http://127.0.0.1:{analytics.server_address[1]}",
        }
        command = [sys.executable, "-m", "uvicorn", "incentives.main:create_app", "--factory", "--host",
                   "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"]  # fmt: skip
        process = subprocess.Popen(command, env=environment, cwd=ROOT)
        service = f"http://127.0.0.1:{port}"
        wait_ready(f"{service}/readyz", process)
        with httpx.Client(base_url=service, headers=admin_headers(), timeout=600.0) as client:
            programme_ids = []
            for body in programmes():
                created = client.post("/v1/programmes", json=body)
                if created.status_code != 201:
                    raise RuntimeError(
                        f"programme {body['name']}: {created.status_code} {created.text[:500]}"
                    )
                programme_id = created.json()["programme_id"]
                published = client.post(f"/v1/programmes/{programme_id}/versions/1/publish")
                if published.status_code != 200:
                    raise RuntimeError(
                        f"publish {body['name']}: {published.status_code} {published.text[:500]}"
                    )
                programme_ids.append(programme_id)
            rss_before = memory_kib(process.pid, "VmRSS")
            print("calculation runs of the 5 programmes, twice …")
            first = calculation_pass(client, programme_ids)
            second = calculation_pass(client, programme_ids)
            peak = memory_kib(process.pid, "VmHWM")
            digests = {run["programme"]: payouts_digest(client, run.pop("id")) for run in second}
            for run in first:
                run.pop("id")
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        analytics.shutdown()
        shutil.rmtree(work, ignore_errors=True)
        if args.keep_database:
            print(f"database kept: {url}")
        else:
            asyncio.run(drop_database(url))

    floor = statistics.median(baseline_seconds[1:])
    total_first = sum(run["seconds"] for run in first)
    total_second = sum(run["seconds"] for run in second)
    result = {
        "lines": args.lines,
        "partners": args.partners,
        "period": PERIOD,
        "load_seconds": round(load_seconds, 1),
        "baseline": {"sql": " ".join(BASELINE_SQL.split()), "median_seconds": round(floor, 4),
                     "runs_seconds": [round(s, 4) for s in baseline_seconds], "partners": baseline_partners},
        "calculation": {"first_pass": first, "second_pass": second, "first_pass_seconds": round(total_first, 3),
                        "second_pass_seconds": round(total_second, 3)},
        "ratio_to_baseline": round(total_first / floor, 1),
        "ratio_to_baseline_second_pass": round(total_second / floor, 1),
        "service_rss_mib": {"before_runs": round(rss_before / 1024, 1), "peak": round(peak / 1024, 1)},
        "seed": args.seed,
        "payout_digests": digests,
        "goals": {"ratio_at_most": 10, "peak_mib_below": 500},
        "machine": {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
                    "python": platform.python_version(), "platform": platform.platform()},
    }  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    print(
        f"{args.lines:,} lines, {args.partners:,} partners, {PERIOD}; loaded by COPY in {load_seconds:.1f} s"
    )
    print(f"baseline (one SQL pass summing by partner): {floor:.3f} s (median of 5 after a warm-up)")
    print(f"{'programme':40}{'1st s':>8}{'2nd s':>8}{'partners':>10}{'payout EUR':>16}")
    for one, two in zip(first, second, strict=True):
        print(
            f"{one['programme']:40}{one['seconds']:>8.3f}{two['seconds']:>8.3f}{one['partners']:>10}{one['payout']:>16}"
        )
    print(f"all 5: {total_first:.3f} s ({total_first / floor:.1f}x the baseline; goal <= 10x), "
          f"re-run {total_second:.3f} s ({total_second / floor:.1f}x)")  # fmt: skip
    print(
        f"incentives RSS: {rss_before / 1024:.0f} MiB before the runs, peak {peak / 1024:.0f} MiB (goal < 500)"
    )
    print(f"written to {RESULTS.relative_to(ROOT)}")
    if args.compare is not None:
        return compare(args.compare, result)
    return 0


def compare(earlier_file: Path, result: dict[str, Any]) -> int:
    """Every programme's payouts against an earlier run's of the same data (1 when any differs)."""
    earlier = json.loads(earlier_file.read_text(encoding="utf-8"))
    if any(earlier.get(key) != result[key] for key in ("lines", "partners", "seed")):
        print(f"{earlier_file} is of other data (lines, partners or seed differ): nothing compared")
        return 1
    differ = 0
    for programme, digest in result["payout_digests"].items():
        before = earlier.get("payout_digests", {}).get(programme)
        same = before == digest
        differ += not same
        print(f"{programme:40} payouts {'identical' if same else 'DIFFER'} to {earlier_file.name}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
