"""The incentives demo loader: through the public API, after the analytics demo's year of sales.

- three EUR programmes that use every rule kind between them over the demo year: a quarterly partner rebate
  (rebate, whole-band volume bonus, cap, floor, MDF accrual), a quarterly growth programme for gold and
  platinum partners (marginal volume bonus, accelerator over the analytics targets, deal-registration bonus,
  programme budget) and a monthly security SPIFF (per unit and per deal, 30-day hold);
- calculation runs in every state: the rebate's full quarters oldest first paid, approved, then a draft;
  drafts of the growth programme's latest full quarter and of the SPIFF's last two full months (the older
  one past its hold and paying, the last one with lines still held);
- a manual adjustment on the latest rebate quarter, and a clawback there: a partner's system returns, in that
  quarter, a sale the paid quarter paid (a signed sales webhook, as the analytics demo sends them), and the
  quarter's draft, run again, takes the rebate paid on it back;
- a draft version 2 of the rebate (2.5 %, marginal bonus) compared with version 1 over the latest quarter by a
  what-if backtest;
- an MDF budget of the current year with allocations, a paid claim, a claim waiting for its decision and a
  request waiting for its decision.

Statements need no loading: each partner's statement of a run's period (JSON, CSV, printable HTML) is there
as soon as the run is.

Sales reach incentives as analytics' `sales.recorded` events, on the relay's own time: before a run is
approved, the loader re-runs its draft (which replaces it) until the run counts every line the analytics demo
sent for the period, recomputed here from the same deterministic generator; a data folder whose sales were
loaded on an earlier day may hold fewer, so the count also settles once it stops moving.

Deterministic (fixed terms, periods from the demo year) and safe to run again: programmes are found by name,
a locked run is reused, a state already reached is not asked for twice, the MDF set is made once per name.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from prm_contracts.periods import PeriodKind, period_containing

from prm_cli.demo_analytics import (
    DemoPartner,
    SentTotals,
    Year,
    anomalies,
    demo_partners,
    paid,
    send_sales,
    year_of_sales,
)
from prm_cli.demo_data.api import Api, DemoRequestFailed, Json

CURRENCY = "EUR"
REBATE, GROWTH, SPIFF = "Partner rebate", "Growth accelerator", "Security SPIFF"
MDF_BUDGET = "Demo MDF {year}"
CATCH_UP_SECONDS = 180.0  # the longest the loader waits for the replica to hold the period's lines
POLL_SECONDS = 1.0
STABLE_POLLS = 5  # unchanged counts in a row that end the wait when the expected count is never reached


# --- what is created ---------------------------------------------------------------------------------------


def programme_bodies(year: Year) -> list[Json]:
    """The three programmes, effective from the start of the period (of each programme's kind) the demo year
    starts in — a version starts on a period's first day — open-ended. The partners came to the platform
    recently, so their status history does not cover the year: `active_at_sale` is off."""
    quarterly = period_containing(PeriodKind.QUARTER, year.first).first_day.isoformat()
    since = year.first.isoformat()  # a month's first day: the monthly programme's start
    window = {"from": since, "to": year.last.isoformat()}
    return [
        {
            "name": REBATE,
            "currency": CURRENCY,
            "period_type": "quarter",
            "description": "Every partner: 2 % back on net sales, a volume bonus, an MDF accrual.",
            "version": {
                "effective_from": quarterly,
                "basis": "invoiced",
                "eligibility": {"active_at_sale": False},
                "rules": [
                    {"kind": "rebate", "rate": "0.02", "label": "Base rebate 2 %"},
                    {
                        "kind": "volume_bonus",
                        "mode": "whole_band",
                        "label": "Quarterly volume bonus",
                        "bands": [
                            {"from": "0", "to": "100000", "rate": "0"},
                            {"from": "100000", "to": "250000", "rate": "0.005"},
                            {"from": "250000", "rate": "0.01"},
                        ],
                    },
                    {"kind": "cap", "amount": "25000.00"},
                    {"kind": "floor", "amount": "250.00"},
                    {"kind": "mdf_accrual", "rate": "0.005", "label": "MDF accrual 0.5 %"},
                ],
                "notes": "Whole band: the band the quarter's volume reaches pays on all of it.",
            },
        },
        {
            "name": GROWTH,
            "currency": CURRENCY,
            "period_type": "quarter",
            "description": "Gold and platinum partners: paid for growth above target and registered deals.",
            "version": {
                "effective_from": quarterly,
                "basis": "invoiced",
                "eligibility": {"tiers": ["gold", "platinum"], "active_at_sale": False},
                "rules": [
                    {
                        "kind": "volume_bonus",
                        "mode": "marginal",
                        "label": "Marginal growth bands",
                        "bands": [
                            {"from": "0", "to": "50000", "rate": "0"},
                            {"from": "50000", "to": "150000", "rate": "0.01"},
                            {"from": "150000", "rate": "0.02"},
                        ],
                    },
                    {"kind": "accelerator", "threshold": "1.0", "rate": "0.04", "label": "4 % above target"},
                    {"kind": "deal_registration_bonus", "rate": "0.02"},
                    {"kind": "budget", "amount": "20000.00"},
                ],
            },
        },
        {
            "name": SPIFF,
            "currency": CURRENCY,
            "period_type": "month",
            "description": "Firewalls and managed detection: a fixed amount per unit or per deal.",
            "version": {
                "effective_from": since,
                "basis": "invoiced",
                "hold_days": 30,
                "eligibility": {"categories_included": ["security"], "active_at_sale": False},
                "rules": [
                    {
                        "kind": "spiff",
                        "skus": ["SEC-FW200"],
                        "amount": "25.00",
                        "per": "unit",
                        "window": window,
                    },
                    {
                        "kind": "spiff",
                        "skus": ["SEC-MDR-Y"],
                        "amount": "150.00",
                        "per": "deal",
                        "window": window,
                    },
                ],
            },
        },
    ]


@dataclass(frozen=True)
class PlannedRun:
    programme: str
    period: str
    first: date
    last: date
    state: str  # draft | approved | paid


def last_full_month(year: Year) -> tuple[str, date, date]:
    first = year.last.replace(day=1)
    if (year.last + timedelta(days=1)).day != 1:  # the last month is not over: take the one before
        first = (first - timedelta(days=1)).replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    return f"{first:%Y-%m}", first, next_month - timedelta(days=1)


def planned_runs(year: Year) -> list[PlannedRun]:
    """The rebate's full quarters, oldest first: paid, approved, ... and the latest a draft; drafts of the
    growth programme's latest quarter and the SPIFF's last two full months."""
    quarters = year.full_quarters()
    states = [
        "draft" if index == len(quarters) - 1 else "paid" if index == 0 and len(quarters) >= 3 else "approved"
        for index in range(len(quarters))
    ]
    runs = [
        PlannedRun(REBATE, label, first, last, state)
        for (label, first, last), state in zip(quarters, states, strict=True)
    ]
    if quarters:
        label, first, last = quarters[-1]
        runs.append(PlannedRun(GROWTH, label, first, last, "draft"))
    label, first, last = last_full_month(year)
    before = (first - timedelta(days=1)).replace(day=1)
    # the month before is past its 30-day hold and pays; the last one shows lines still held
    runs.append(PlannedRun(SPIFF, f"{before:%Y-%m}", before, first - timedelta(days=1), "draft"))
    runs.append(PlannedRun(SPIFF, label, first, last, "draft"))
    return runs


def sent_line_days(partners: Sequence[DemoPartner], year: Year, today: date) -> Counter[date]:
    """How many distinct lines the analytics demo sent for each day (the same generator, so the same lines)."""
    sales = {partner.id: paid(year_of_sales(partner, year), today) for partner in partners}
    flagged = anomalies(partners, sales, year)
    days: Counter[date] = Counter()
    for partner in partners:
        lines = {line["external_id"]: line for line in [*sales[partner.id], *flagged.get(partner.id, [])]}
        days.update(date.fromisoformat(line["occurred_on"]) for line in lines.values())
    return days


def lines_between(days: Counter[date], first: date, last: date) -> int:
    return sum(count for day, count in days.items() if first <= day <= last)


def mdf_plan(partners: Sequence[DemoPartner]) -> list[tuple[DemoPartner, str, Json | None]]:
    """The first three active partners by name: (partner, allocation, request and claim outline)."""
    active = sorted((p for p in partners if p.status == "active"), key=lambda p: p.name)[:3]
    outlines: list[Json | None] = [
        {"activity": "Joint webinar series on network security", "planned": "6000.00", "claim": "5400.00",
         "claim_state": "paid", "request_state": "approved"},
        {"activity": "Trade show booth at the regional IT fair", "planned": "4000.00", "claim": "3850.00",
         "claim_state": "pending", "request_state": "approved"},
        {"activity": "Cloud migration workshop for customers", "planned": "3000.00", "claim": None,
         "claim_state": None, "request_state": "pending"},
    ]  # fmt: skip
    return [(partner, "15000.00", outline) for partner, outline in zip(active, outlines, strict=False)]


# --- loading -----------------------------------------------------------------------------------------------


async def load(client: httpx.AsyncClient) -> None:
    """Create the incentives demo set through the API `client` points at (an admin credential)."""
    api = Api(client)
    today = datetime.now(UTC).date()
    year = Year.ending_before(today)
    partners = [DemoPartner.of(record) for record in await demo_partners(api)]
    days = sent_line_days(partners, year, today)
    programmes = {body["name"]: await published_programme(api, body) for body in programme_bodies(year)}
    for planned in planned_runs(year):
        programme_id = programmes[planned.programme]["programme_id"]
        if planned.programme == REBATE:  # no eligibility filter: it must count every line sent
            run = await caught_up_run(
                api, programme_id, planned, lines_between(days, planned.first, planned.last)
            )
        else:
            run = await calculation_run(api, programme_id, planned.period)
        await advance(api, run, planned.state)
    rebates = [run for run in planned_runs(year) if run.programme == REBATE]
    latest = [run for run in rebates if run.state == "draft"]
    if latest and partners:
        await adjustment(api, programmes[REBATE]["programme_id"], latest[-1].period, partners)
        await calculation_run(api, programmes[REBATE]["programme_id"], latest[-1].period)
        paid_quarters = [run for run in rebates if run.state == "paid"]
        returned = clawback_return(partners, year, paid_quarters[0], latest[-1]) if paid_quarters else None
        if returned is not None:
            await clawback(client, api, programmes[REBATE]["programme_id"], latest[-1], *returned)
        await what_if(api, programmes[REBATE], latest[-1].period)
    await mdf_set(api, partners, today.year)


async def published_programme(api: Api, body: Json) -> Json:
    """The programme's version 1, created unless a programme of that name exists, and published."""
    version = None
    for programme in await all_items(api, "/v1/programmes"):
        if programme["name"] == body["name"]:
            version = await api.get(f"/v1/programmes/{programme['id']}/versions/1")
    if version is None:
        version = await api.post("/v1/programmes", body, step=f"programme {body['name']}")
    if version["status"] == "draft":
        version = await api.post(
            f"/v1/programmes/{version['programme_id']}/versions/1/publish", step=f"publish {body['name']}"
        )
    return version


async def calculation_run(api: Api, programme_id: str, period: str) -> Json:
    """The period's run computed now (a draft is replaced), or the locked run already there."""
    try:
        return await api.post(
            "/v1/calculation-runs", {"programme_id": programme_id, "period": period}, step=f"run of {period}"
        )
    except DemoRequestFailed as failure:
        if failure.response.status_code != 409:
            raise
    for run in await all_items(api, "/v1/calculation-runs", programme_id=programme_id):
        if run["period"] == period:
            return run
    raise LookupError(f"the run of {period} is locked but not listed")


async def counted_lines(api: Api, run: Json) -> int:
    payouts = await all_items(api, f"/v1/calculation-runs/{run['id']}/payouts")
    return sum(payout["lines"] + payout["held_lines"] for payout in payouts)


async def caught_up_run(
    api: Api,
    programme_id: str,
    planned: PlannedRun,
    expected: int,
    *,
    wait_seconds: float = CATCH_UP_SECONDS,
    poll_seconds: float = POLL_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Json:
    """The period's draft run once the replica holds the `expected` lines (re-running replaces the draft),
    or once the count stops moving, or at the deadline; a locked run as it is."""
    deadline = clock() + wait_seconds
    previous, unchanged = -1, 0
    while True:
        run = await calculation_run(api, programme_id, planned.period)
        if run["status"] != "draft":
            return run
        counted = await counted_lines(api, run)
        unchanged = unchanged + 1 if counted == previous else 0
        if counted >= expected or unchanged >= STABLE_POLLS or clock() >= deadline:
            return run
        previous = counted
        await sleep(poll_seconds)


async def advance(api: Api, run: Json, state: str) -> Json:
    """Move the run forward to `state` (draft → approved → paid), skipping what it has reached."""
    order = ["draft", "approved", "paid"]
    for step, path in (("approved", "approval"), ("paid", "payment")):
        if order.index(run["status"]) < order.index(step) <= order.index(state):
            run = await api.post(
                f"/v1/calculation-runs/{run['id']}/{path}", step=f"{path} of {run['period']}"
            )
    return run


ADJUSTMENT_REASON = "Co-funded launch event, agreed with the channel manager"


async def adjustment(api: Api, programme_id: str, period: str, partners: Sequence[DemoPartner]) -> None:
    """A manual adjustment of the first active partner's payout of the period (made once)."""
    partner = sorted((p for p in partners if p.status == "active"), key=lambda p: p.name)[0]
    made = await all_items(
        api, "/v1/adjustments", programme_id=programme_id, partner_id=partner.id, period=period
    )
    if any(item["reason"] == ADJUSTMENT_REASON for item in made):
        return
    body = {
        "programme_id": programme_id,
        "partner_id": partner.id,
        "period": period,
        "amount": _money("150.00"),
        "reason": ADJUSTMENT_REASON,
    }
    await api.post("/v1/adjustments", body, step="adjustment")


def clawback_return(
    partners: Sequence[DemoPartner], year: Year, paid_quarter: PlannedRun, latest: PlannedRun
) -> tuple[DemoPartner, Json] | None:
    """The return a partner's system sends on the first day of the latest quarter of the first sale of the
    paid quarter (of the first active partner by name with one): all of it, naming the sale, so the latest
    quarter's run claws back the rebate paid on it."""
    for partner in sorted((p for p in partners if p.status == "active"), key=lambda p: p.name):
        sales = [
            line
            for line in year_of_sales(partner, year)
            if line["kind"] == "sale"
            and paid_quarter.first <= date.fromisoformat(line["occurred_on"]) <= paid_quarter.last
        ]
        if sales:
            sale = sales[0]
            copied = {
                key: sale[key]
                for key in ("customer", "product", "quantity", "unit_price", "amount", "currency")
            }
            return partner, copied | {
                "external_id": f"RET-CLAWBACK-{sale['external_id']}",
                "kind": "return",
                "occurred_on": latest.first.isoformat(),
                "payment_status": "invoiced",
                "original_external_id": sale["external_id"],
            }
    return None


async def clawback(
    client: httpx.AsyncClient,
    api: Api,
    programme_id: str,
    latest: PlannedRun,
    partner: DemoPartner,
    returned: Json,
    *,
    wait_seconds: float = CATCH_UP_SECONDS,
    poll_seconds: float = POLL_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Json | None:
    """Send the return (signed with a secret issued now; a second load sends the same delivery, which
    analytics takes as a duplicate), then run the latest quarter's draft again until its clawback is there,
    or at the deadline (the relay brings the return on its own time). The clawback, or None."""
    issued = await api.post(f"/v1/partners/{partner.id}/webhook-secrets", step=f"secret of {partner.name}")
    await send_sales(client, partner, issued["secret"], [returned], SentTotals())
    deadline = clock() + wait_seconds
    while True:
        await calculation_run(api, programme_id, latest.period)
        found = [
            item
            for item in await all_items(
                api, "/v1/adjustments", programme_id=programme_id, partner_id=partner.id, period=latest.period
            )
            if item["kind"] == "clawback"
        ]
        if found or clock() >= deadline:
            return found[0] if found else None
        await sleep(poll_seconds)


def candidate_terms(published: Json) -> Json:
    """What a channel manager might try: a 2.5 % rebate and a marginal volume bonus instead of whole band."""
    rules = []
    for rule in published["rules"]:
        if rule["kind"] == "rebate":
            rule = rule | {"rate": "0.025", "label": "Base rebate 2.5 %"}
        elif rule["kind"] == "volume_bonus":
            rule = rule | {"mode": "marginal"}
        rules.append(rule)
    terms = {key: published[key] for key in ("basis", "hold_days", "eligibility", "notes")}
    return terms | {"effective_from": published["effective_from"], "effective_to": None, "rules": rules}


async def what_if(api: Api, published: Json, period: str) -> Json:
    """A draft version 2 of the programme (kept, for the newcomer to compare again or publish) and its
    backtest against version 1 over the period (a comparison stores nothing)."""
    programme_id = published["programme_id"]
    programme = await api.get(f"/v1/programmes/{programme_id}")
    if programme["latest_version"] < 2:
        await api.post(f"/v1/programmes/{programme_id}/versions", candidate_terms(published), step="draft v2")
    body = {
        "programme_id": programme_id,
        "period": period,
        "candidate": {"version": 2},
        "baseline": {"version": 1},
    }
    return await api.post("/v1/backtests", body, step="what-if")


def _money(amount: str) -> Json:
    return {"amount": amount, "currency": CURRENCY}


async def mdf_set(api: Api, partners: Sequence[DemoPartner], year: int) -> None:
    """A budget for the year, three allocations, requests and claims in several states (made once)."""
    name = MDF_BUDGET.format(year=year)
    if any(budget["name"] == name for budget in await all_items(api, "/v1/mdf/budgets", period=str(year))):
        return
    budget = await api.post(
        "/v1/mdf/budgets",
        {
            "name": name,
            "period": str(year),
            "amount": _money("60000.00"),
            "description": "Co-marketing funds",
        },
        step="MDF budget",
    )
    for partner, amount, outline in mdf_plan(partners):
        allocation = await api.post(
            f"/v1/mdf/budgets/{budget['id']}/allocations",
            {"partner_id": partner.id, "amount": _money(amount)},
            step=f"MDF allocation of {partner.name}",
        )
        if outline is not None:
            await mdf_request(api, allocation, outline, date(year, 1, 1) + timedelta(days=45))


async def mdf_request(api: Api, allocation: Json, outline: Json, starts_on: date) -> None:
    request = await api.post(
        "/v1/mdf/requests",
        {
            "allocation_id": allocation["id"],
            "activity": outline["activity"],
            "planned_amount": _money(outline["planned"]),
            "starts_on": starts_on.isoformat(),
            "ends_on": (starts_on + timedelta(days=30)).isoformat(),
            "expected_outcome": "Qualified leads for the partner's sales team",
            "expected_roi": {"leads": 40, "pipeline": _money("120000.00")},
        },
        step=f"MDF request {outline['activity']}",
    )
    if outline["request_state"] == "pending":
        return
    await api.post(
        f"/v1/mdf/requests/{request['id']}/decision", {"decision": "approved"}, step="MDF decision"
    )
    if outline["claim"] is None:
        return
    claim = await api.post(
        f"/v1/mdf/requests/{request['id']}/claims",
        {
            "amount": _money(outline["claim"]),
            "proof_reference": f"INV-MDF-{request['id'][:8]}",
            "roi": {"leads": 35, "pipeline": _money("95000.00"), "revenue_attributed": _money("28000.00")},
        },
        step=f"MDF claim {outline['activity']}",
    )
    if outline["claim_state"] == "paid":
        await api.post(
            f"/v1/mdf/claims/{claim['id']}/decision", {"decision": "approved"}, step="claim decision"
        )
        await api.post(
            f"/v1/mdf/claims/{claim['id']}/payment",
            {"payment_reference": f"SEPA-MDF-{claim['id'][:8]}"},
            step="claim payment",
        )


async def all_items(api: Api, path: str, **params: Any) -> list[Json]:
    items: list[Json] = []
    query: dict[str, Any] = {"limit": 200, **params}
    while True:
        page = await api.get(path, **query)
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        query["cursor"] = page["next_cursor"]
