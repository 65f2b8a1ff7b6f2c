"""What the score API internal systems call costs, through the gateway: one partner's score and a 10,000-id batch.

Run from the repository root, with PostgreSQL reachable (default: postgres@127.0.0.1:5432, trust):

    .venv/bin/python bench/scoring_bench.py              # 50,000 partners, 2,000 requests per measurement
    .venv/bin/python bench/scoring_bench.py --quick      # 10,000 partners, 300 requests: a smoke run

What it does:
1. creates a fresh PostgreSQL database (dropped at the end), migrates scoring's schema into it and bulk-loads
   N precomputed scores into `partner_score` by COPY through asyncpg (each row's `answer` and batch `summary`
   composed by scoring's own functions from an evaluation with six dimensions, a health with two signals and a
   tier standing with a two-requirement gap; no Python loop of single inserts);
2. starts scoring and the gateway as uvicorn subprocesses (reusing registry_bench's process and measurement
   helpers; the gateway's key store on a SQLite file with a bootstrap admin key, rate limits far above the
   offered load);
3. measures through the gateway, after a warm-up, at concurrency 1 and 4: `GET /healthz` of the gateway (the
   baseline: what any request costs before a service works) and `GET /v1/scores/partners/{id}` of random
   loaded partners; then `POST /v1/scores/batch` with 10,000 loaded ids, several times, one at a time;
4. prints the figures and the goals (single-score p99 ≤ 3x the baseline's p99 at the same concurrency; the
   10,000-id batch under 1 s) and writes bench/results/scoring.json.

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
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from _common import ROOT, SECRET, free_port, migrate_gateway, uvicorn_command, wait_ready
from registry_bench import Figures, Request, measure

RESULTS = ROOT / "bench" / "results" / "scoring.json"
ADMIN_KEY = "prm_bench003_" + "s" * 43
BATCH_SIZE = 10_000
GOAL_P99_RATIO = 3.0
GOAL_BATCH_SECONDS = 1.0
PARTNER_TYPES = ["distributor", "reseller", "var", "system_integrator", "msp", "referral", "agent"]
TIERS = ["registered", "silver", "gold", "platinum"]
COUNTRIES = {"DE": "DACH", "FR": "France", "GB": "UK & Ireland", "US": "North America", "NL": "Benelux"}
DIMENSIONS = [
    ("strategic_fit", "0.181818"),
    ("financial_stability", "0.272728"),
    ("sales_capability", "0.181818"),
    ("marketing_capability", "0.090909"),
    ("technical_capability", "0.181818"),
    ("customer_service", "0.090909"),
]
GRADES = [("A", 85), ("B", 70), ("C", 55), ("D", 40), ("E", 0)]


@dataclass
class Sizes:
    partners: int
    requests: int
    warmup: int
    batches: int


# --- data --------------------------------------------------------------------------------------------------


def score_row(partner_id: uuid.UUID, rng: random.Random, now: datetime) -> tuple[Any, ...]:
    """One `partner_score` row as the refresh worker stores it: an evaluation with six dimensions, a health
    with two signals and a tier standing with a two-requirement gap; its answer and summary composed by the
    service's own functions, so they are exactly what a refresh writes."""
    from scoring.scores.models import PartnerScore
    from scoring.scores.service import answer_of, summary_of

    cents = [rng.randint(0, 2000) for _ in DIMENSIONS]  # each dimension's contribution, in hundredths
    total = sum(cents)
    grade = next(letter for letter, minimum in GRADES if total >= minimum * 100)
    country = rng.choice(list(COUNTRIES))
    tier = rng.choice(TIERS)
    evaluation = {
        "assessment_id": str(uuid.uuid4()),
        "model": "partner-evaluation",
        "model_version": 1,
        "total": f"{total / 100:.2f}",
        "grade": grade,
        "complete": True,
        "gates_passed": True,
        "assessed_on": date(2026, 10, 15).isoformat(),
        "dimensions": [
            {"dimension": name, "contribution": f"{part / 100:.2f}", "weight": weight}
            for (name, weight), part in zip(DIMENSIONS, cents, strict=True)
        ],
    }
    row = PartnerScore(
        partner_id=partner_id,
        partner_type=rng.choice(PARTNER_TYPES),
        status="active",
        tier=tier,
        country=country,
        region=COUNTRIES[country],
        health_rank=2,
        evaluation=evaluation,
        health=HEALTH,
        tier_standing=TIER_STANDING | {"current_tier": tier, "recommended_tier": tier},
        failing_since={},
        facts_as_of=now,
        version=1,
        computed_at=now,
    )
    row.answer, row.summary = answer_of(row), summary_of(row)
    return (
        *(getattr(row, column) for column in COLUMNS[:-4]),
        json.dumps(row.evaluation),
        json.dumps(row.health),
        json.dumps(row.tier_standing),
        "{}",
    )


HEALTH = {
    "level": "warning",
    "signals": [
        {
            "kind": "attainment_low",
            "severity": "warning",
            "reason": "target attainment 0.62 in 2026-Q3 is under the threshold 0.8",
            "values": {"period": "2026-Q3", "actual": "0.62", "threshold": "0.8"},
        },
        {
            "kind": "nps_drop",
            "severity": "warning",
            "reason": "NPS fell 15 points from 2026-Q2 to 2026-Q3 (more than 10)",
            "values": {"period": "2026-Q3", "previous": "40", "actual": "25", "threshold": "10"},
        },
    ],
    "as_of": "2026-11-15",
    "periods": ["2026-Q3", "2026-Q2"],
    "unavailable": [],
}
TIER_STANDING: dict[str, Any] = {
    "action": "keep",
    "recommendation_id": None,
    "reasons": ["does not meet every measured requirement of the next tier"],
    "gap": {
        "next_tier": "gold",
        "unmet": [
            {
                "requirement": "min_trailing_12m_revenue",
                "status": "unmet",
                "required": {"amount": "1000000.00", "currency": "EUR"},
                "actual": {"amount": "880000.00", "currency": "EUR"},
                "shortfall": {"amount": "120000.00", "currency": "EUR"},
                "text": "120000.00 EUR more trailing-12-month revenue",
            },
            {
                "requirement": "min_certified_staff",
                "status": "unmet",
                "required": 5,
                "actual": 4,
                "shortfall": 1,
                "text": "1 more certified staff member",
            },
        ],
        "to_confirm": ["Joint business plan"],
        "summary": "120000.00 EUR more trailing-12-month revenue; 1 more certified staff member",
    },
    "demotion_risk": [],
    "trailing_12m_revenue": {"amount": "880000.00", "currency": "EUR"},
    "certified_staff": 4,
    "as_of": "2026-11-15",
}


COLUMNS = [
    "partner_id",
    "partner_type",
    "status",
    "tier",
    "country",
    "region",
    "health_rank",
    "facts_as_of",
    "answer",
    "summary",
    "version",
    "computed_at",
    # the JSON columns last: COPY takes them as text
    "evaluation",
    "health",
    "tier_standing",
    "failing_since",
]


async def load(dsn: str, partners: int, rng: random.Random) -> list[uuid.UUID]:
    """COPY `partners` precomputed scores; returns their ids."""
    import asyncpg

    now = datetime.now(UTC)
    ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(partners)]
    connection = await asyncpg.connect(dsn)
    try:
        for start in range(0, partners, 10_000):
            rows = [score_row(partner_id, rng, now) for partner_id in ids[start : start + 10_000]]
            await connection.copy_records_to_table("partner_score", records=rows, columns=COLUMNS)
        await connection.execute("VACUUM ANALYZE partner_score")
    finally:
        await connection.close()
    return ids


# --- measurement -------------------------------------------------------------------------------------------


async def run_load(
    gateway_url: str, ids: list[uuid.UUID], sizes: Sizes, rng: random.Random
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    measured: dict[str, Any] = {}
    async with httpx.AsyncClient(
        base_url=gateway_url, headers=headers, limits=limits, timeout=60.0
    ) as client:
        probe = await client.get(f"/v1/scores/partners/{ids[0]}")
        if probe.status_code != 200:
            raise RuntimeError(f"a score answered {probe.status_code}: {probe.text[:500]}")
        health: list[Request] = [("GET", "/healthz", None, None)] * sizes.requests
        scores: list[Request] = [
            ("GET", f"/v1/scores/partners/{rng.choice(ids)}", None, None) for _ in range(sizes.requests)
        ]
        await measure(client, health[: sizes.warmup], 4, {200})
        await measure(client, scores[: sizes.warmup], 4, {200})
        for concurrency in (1, 4):
            # alternate baseline and score at each concurrency, so a neighbour's burst hurts both alike
            measured[f"baseline_gateway_healthz_c{concurrency}"], _ = await measure(
                client, health, concurrency, {200}
            )
            measured[f"single_score_c{concurrency}"], _ = await measure(client, scores, concurrency, {200})

        batch_ids = [str(partner_id) for partner_id in rng.sample(ids, min(BATCH_SIZE, len(ids)))]
        seconds: list[float] = []
        found = 0
        for _ in range(sizes.batches + 1):  # the first is a warm-up
            started = time.perf_counter()
            answer = await client.post("/v1/scores/batch", json={"partner_ids": batch_ids})
            seconds.append(time.perf_counter() - started)
            if answer.status_code != 200:
                raise RuntimeError(f"the batch answered {answer.status_code}: {answer.text[:500]}")
            found = sum(1 for item in answer.json()["items"] if item["found"])
        measured["batch"] = {
            "ids": len(batch_ids),
            "found": found,
            "runs": sizes.batches,
            "median_s": round(statistics.median(seconds[1:]), 3),
            "max_s": round(max(seconds[1:]), 3),
            "response_bytes": len(answer.content),
        }
    return measured


# --- the run -----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--partners", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=2_000, help="per measurement")
    parser.add_argument("--batches", type=int, default=5, help="timed 10,000-id batches")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "PRM_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        ),
        help="any database on the server; the bench creates and drops its own next to it",
    )
    args = parser.parse_args()
    if args.quick:
        sizes = Sizes(partners=BATCH_SIZE, requests=300, warmup=30, batches=3)
    else:
        sizes = Sizes(
            partners=args.partners,
            requests=args.requests,
            warmup=max(30, args.requests // 20),
            batches=args.batches,
        )

    from prm_kit.db.engine import make_engine
    from prm_kit.migrations import ensure_database, upgrade
    from prm_kit.testing import drop_database
    from scoring.main import MIGRATIONS_DIR
    from sqlalchemy import make_url

    rng = random.Random(args.seed)
    database = f"prm_bench_scoring_{uuid.uuid4().hex[:8]}"
    url = make_url(args.postgres_url).set(drivername="postgresql+asyncpg", database=database)
    scoring_url = url.render_as_string(hide_password=False)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    work = Path(tempfile.mkdtemp(prefix="prm-scoring-bench-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:

        async def prepare() -> tuple[list[uuid.UUID], float]:
            await ensure_database(scoring_url)
            engine = make_engine(scoring_url)
            try:
                await upgrade(engine, MIGRATIONS_DIR)
            finally:
                await engine.dispose()
            started = time.perf_counter()
            ids = await load(dsn, sizes.partners, rng)
            return ids, round(time.perf_counter() - started, 1)

        print(f"loading {sizes.partners:,} precomputed scores into {database} …")
        ids, load_seconds = asyncio.run(prepare())
        print(f"loaded in {load_seconds} s")

        gateway_db = f"sqlite+aiosqlite:///{work / 'gateway.db'}"
        migrate_gateway(gateway_db)
        scoring_port, gateway_port = free_port(), free_port()
        environment = {
            **os.environ,
            "PRM_INTERNAL_SECRET": SECRET,
            "PRM_DATA_DIR": str(work),
            "PRM_ACCESS_LOG": "false",
            "PRM_LOG_LEVEL": "WARNING",
        }
        processes.append(
            subprocess.Popen(
                uvicorn_command("scoring.main:create_app", scoring_port),
                env={**environment, "PRM_SCORING_DATABASE_URL": scoring_url},
                cwd=ROOT,
            )
        )
        processes.append(
            subprocess.Popen(
                uvicorn_command("gateway.main:create_app", gateway_port),
                env={
                    **environment,
                    "PRM_GATEWAY_DATABASE_URL": gateway_db,
                    "PRM_SCORING_URL": f"http://127.0.0.1:{scoring_port}",
                    "PRM_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
                    "PRM_RATE_LIMIT_PER_SECOND": "100000",
                    "PRM_RATE_LIMIT_BURST": "1000000",
                },
                cwd=ROOT,
            )
        )
        wait_ready(f"http://127.0.0.1:{scoring_port}/healthz", processes[0])
        gateway_url = f"http://127.0.0.1:{gateway_port}"
        wait_ready(f"{gateway_url}/healthz", processes[1])
        load_average = os.getloadavg()[0]
        measured = asyncio.run(run_load(gateway_url, ids, sizes, rng))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)
        asyncio.run(drop_database(scoring_url))

    figures = {name: asdict(value) for name, value in measured.items() if isinstance(value, Figures)}
    ratios = {
        f"c{c}": round(
            measured[f"single_score_c{c}"].p99_ms
            / max(measured[f"baseline_gateway_healthz_c{c}"].p99_ms, 0.01),
            2,
        )
        for c in (1, 4)
    }
    batch = measured["batch"]
    result = {
        "sizes": asdict(sizes),
        "load_seconds": load_seconds,
        "measurements": figures,
        "single_score_p99_over_baseline_p99": ratios,
        "batch": batch,
        "goals": {
            "single_score_p99_at_most_3x_baseline": all(r <= GOAL_P99_RATIO for r in ratios.values()),
            "batch_under_1s": batch["max_s"] < GOAL_BATCH_SECONDS,
        },
        "quick": args.quick,
        "load_average_at_start": round(load_average, 2),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    print(
        f"{sizes.partners:,} stored scores; {sizes.requests:,} requests per measurement, through the gateway"
    )
    print(f"{'':34}{'median ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name, values in figures.items():
        print(f"{name:34}{values['median_ms']:>10.2f}{values['p99_ms']:>10.2f}{values['errors']:>8}")
    print(f"single-score p99 / baseline p99: {ratios} (goal ≤ {GOAL_P99_RATIO})")
    print(
        f"batch of {batch['ids']:,} ids ({batch['found']:,} found, {batch['response_bytes']:,} bytes): "
        f"median {batch['median_s']} s, max {batch['max_s']} s over {batch['runs']} runs (goal < 1 s)"
    )
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
