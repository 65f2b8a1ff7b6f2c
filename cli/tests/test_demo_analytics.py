"""The analytics demo set without a platform: what it generates (valid, deterministic, tripping the anomaly
guard only where meant, checked with analytics' own pure rules) and how it sends (signed, keyless, retried
with the same webhook-id)."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, uuid4, uuid5

import httpx
import pytest
from analytics.anomalies.rules import GuardedLine, History, raised_flags, repeat_key
from analytics.fx.series import LoadLine, series_issues
from analytics.sales.rollups import customer_key
from prm_cli import demo, demo_analytics
from prm_cli.demo_analytics import (
    DemoPartner,
    SentTotals,
    Year,
    deliveries,
    fx_rates,
    revenue_targets,
    send_sales,
    webhook_body,
    webhook_id,
    year_of_sales,
)
from prm_cli.demo_data import registry
from prm_cli.demo_data.registry_data import PARTNERS
from prm_contracts.analytics import FxFrequency, FxRateIn
from prm_contracts.sales import FlagCode, SalesReportedMessage, SalesTransaction
from standardwebhooks.webhooks import Webhook

pytestmark = pytest.mark.backend_independent

Json = dict[str, Any]
TODAY = date(2026, 11, 18)
YEAR = Year.ending_before(TODAY)


def demo_partners() -> list[DemoPartner]:
    """The registry's active and suspended demo partners, as the gateway lists them."""
    return [
        DemoPartner.of(
            registry.partner_body(seed)
            | {
                "id": str(uuid5(NAMESPACE_URL, f"demo-partner:{seed.key}")),
                "status": seed.status,
                "tier": seed.tiers[-1] if seed.tiers else None,
            }
        )
        for seed in PARTNERS
        if seed.status in ("active", "suspended")
    ]


PARTNER_SET = demo_partners()
SALES = {partner.id: year_of_sales(partner, YEAR) for partner in PARTNER_SET}


def by_type(partner_type: str) -> DemoPartner:
    return next(p for p in sorted(PARTNER_SET, key=lambda p: p.name) if p.partner_type == partner_type)


def test_the_loader_runs_after_the_registry_and_scoring() -> None:
    assert [loader.name for loader in demo.LOADERS][:3] == ["registry", "scoring", "analytics"]
    assert demo.LOADERS[2].load is demo_analytics.load


def test_the_year_runs_from_the_month_a_year_back_to_yesterday() -> None:
    assert (YEAR.first, YEAR.last) == (date(2025, 11, 1), date(2026, 11, 17))
    assert len(YEAR.month_starts()) == 13
    # 2025-Q4 began on 1 October, before the year; 2026-Q4 ends after yesterday
    assert [label for label, _, _ in YEAR.full_quarters()] == ["2026-Q1", "2026-Q2", "2026-Q3"]


def test_every_line_is_a_valid_sales_line_with_a_unique_external_id() -> None:
    for partner in PARTNER_SET:
        lines = SALES[partner.id]
        parsed = [SalesTransaction.model_validate(line) for line in lines]  # amount = quantity x unit_price
        assert len({line.external_id for line in parsed}) == len(parsed)
        assert {line.currency for line in parsed} <= {"EUR", "USD", "GBP"}
        assert all(YEAR.first <= line.occurred_on <= YEAR.last for line in parsed)
        assert [line["occurred_on"] for line in lines] == sorted(line["occurred_on"] for line in lines)
    assert sum(len(lines) for lines in SALES.values()) > 5000


def test_a_return_reverses_an_earlier_sale_of_the_same_month_and_customer() -> None:
    returns = 0
    for lines in SALES.values():
        sales = {line["external_id"]: line for line in lines if line["kind"] == "sale"}
        for line in lines:
            if line["kind"] == "return":
                returns += 1
                original = sales[line["original_external_id"]]
                assert original["occurred_on"][:7] == line["occurred_on"][:7]
                assert original["occurred_on"] < line["occurred_on"]
                assert original["customer"] == line["customer"]
                assert Decimal(line["quantity"]) <= Decimal(original["quantity"])
    assert returns > 20


def test_a_days_lines_do_not_depend_on_when_the_year_starts() -> None:
    """Loading a month later makes the same lines for the days both years share: duplicates, not changes."""
    partner = by_type("distributor")
    later = Year.ending_before(date(2026, 12, 18))
    shared = [line for line in SALES[partner.id] if line["occurred_on"] >= "2025-12-01"]

    again = [line for line in year_of_sales(partner, later) if line["occurred_on"] <= YEAR.last.isoformat()]

    assert again == shared
    assert year_of_sales(partner, YEAR) == SALES[partner.id]


def test_deliveries_hold_at_most_500_lines_cut_at_month_ends_when_a_month_fits() -> None:
    partner = by_type("distributor")
    lines = SALES[partner.id]

    batches = deliveries(lines)

    assert [line for batch in batches for line in batch] == lines
    assert all(0 < len(batch) <= 500 for batch in batches)
    for batch, following in itertools.pairwise(batches):
        assert batch[-1]["occurred_on"][:7] < following[0]["occurred_on"][:7]  # every month under 500 lines
    for batch in batches:
        SalesReportedMessage.model_validate_json(webhook_body(batch))


def test_a_month_over_500_lines_is_split() -> None:
    lines: list[Json] = [{"occurred_on": f"2026-07-{day % 28 + 1:02d}"} for day in range(1200)]
    lines.sort(key=lambda line: line["occurred_on"])
    lines += [{"occurred_on": "2026-08-01"}]

    assert [len(batch) for batch in deliveries(lines)] == [500, 500, 201]


def test_a_delivery_has_the_same_webhook_id_only_for_the_same_partner_and_body() -> None:
    first, second = PARTNER_SET[:2]
    body = webhook_body(SALES[first.id][:3])

    assert webhook_id(first, body) == webhook_id(first, webhook_body(SALES[first.id][:3]))
    assert webhook_id(first, body) != webhook_id(second, body)
    assert webhook_id(first, body) != webhook_id(first, webhook_body(SALES[first.id][:4]))


def test_the_fx_series_is_monthly_without_gaps_and_loads_as_one_batch() -> None:
    rates = fx_rates(YEAR)
    lines = [
        LoadLine(loc=("body", "rates", index), label=f"rates[{index}]", rate=FxRateIn.model_validate(rate))
        for index, rate in enumerate(rates)
    ]

    assert series_issues(lines, FxFrequency.MONTHLY) == []
    assert len(rates) == 2 * 13
    assert {(rate["base"], rate["quote"]) for rate in rates} == {("EUR", "USD"), ("EUR", "GBP")}
    assert fx_rates(YEAR) == rates


def test_a_target_is_the_quarters_net_revenue_times_the_seeded_factor_rounded_to_thousands() -> None:
    partner = PARTNER_SET[0]
    lines = [
        {"kind": "sale", "occurred_on": "2026-02-10", "amount": "100000.00"},
        {"kind": "sale", "occurred_on": "2026-03-31", "amount": "23000.00"},
        {"kind": "return", "occurred_on": "2026-03-31", "amount": "3000.00"},
        {"kind": "sale", "occurred_on": "2026-04-01", "amount": "999.00"},  # Q2
    ]

    targets = revenue_targets(partner, lines, YEAR)

    # Q1 net 100,000 + 23,000 - 3,000 = 120,000; Q2 999; Q3 nothing sold, so no target
    factor = Decimal(targets["2026-Q1"]["amount"]) / 120_000
    assert Decimal("0.85") <= factor <= Decimal("1.25")
    assert Decimal(targets["2026-Q1"]["amount"]) % 1000 == 0
    assert targets["2026-Q2"]["amount"] == "1000.00"  # 999 x (0.85..1.25) rounds to 1,000
    assert set(targets) == {"2026-Q1", "2026-Q2"}
    assert targets["2026-Q1"]["currency"] == partner.currency


def _guard(partner: DemoPartner, batches: Sequence[Sequence[Json]]) -> dict[str, set[FlagCode]]:
    """Run analytics' pure anomaly rules over the deliveries in order, each judged against what the ones
    before stored; external_id -> the codes raised."""
    daily: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
    repeats: set[Any] = set()
    buyers: set[str] = set()
    raised: dict[str, set[FlagCode]] = {}
    for batch in batches:
        guarded = [
            GuardedLine(line_id=uuid4(), line=line, customer_key=customer_key(line))
            for line in (SalesTransaction.model_validate(raw) for raw in batch)
        ]
        history = History(
            daily_sales=dict(daily),
            stored_repeats=frozenset(repeats),
            customers_with_sales=frozenset(buyers),
            partner_domain=partner.domain,
        )
        flags = raised_flags(guarded, history, received_on=TODAY)  # the demo sends them the day it loads
        for one in guarded:
            for flag in flags.get(one.line_id, []):
                raised.setdefault(one.line.external_id, set()).add(flag.code)
            if one.line.kind.value == "sale":
                daily[(one.line.currency, one.line.occurred_on)] += one.line.amount
                repeats.add(repeat_key(one))
                buyers.add(one.customer_key)
    return raised


def test_ordinary_lines_trip_no_anomaly_rule() -> None:
    for partner in PARTNER_SET:
        assert _guard(partner, deliveries(SALES[partner.id])) == {}, partner.name


def test_the_anomaly_lines_trip_each_rule_once_for_four_partners() -> None:
    anomalies = demo_analytics.anomalies(PARTNER_SET, SALES, YEAR)
    found: dict[str, dict[str, set[FlagCode]]] = {}
    for partner in PARTNER_SET:
        if partner.id in anomalies:
            raised = _guard(partner, [*deliveries(SALES[partner.id]), anomalies[partner.id]])
            found[partner.name] = raised

    spiking, repeating = by_type("distributor"), by_type("reseller")
    unmatched = by_type("msp")
    own = next(
        p for p in sorted(PARTNER_SET, key=lambda p: p.name) if p.partner_type in ("var", "system_integrator")
    )
    day = "20261117"  # the last weekday of the year: Tuesday 17 November 2026
    assert found == {
        spiking.name: {f"BIG-{day}-{n}": {FlagCode.volume_spike} for n in (1, 2, 3)},
        repeating.name: {
            f"DUP-{day}-2": {FlagCode.repeated_line},
            f"INV-{int(day[:4]) + 1}{day[4:]}-AHEAD": {FlagCode.future_dated},
        },
        unmatched.name: {
            f"RET-{day}-X1": {FlagCode.return_without_sale},
            f"RET-{day}-X3": {FlagCode.original_mismatch},
        },
        own.name: {f"INV-{day}-SELF": {FlagCode.own_domain}},
    }


@pytest.mark.asyncio
async def test_a_delivery_is_signed_sent_without_the_api_key_and_retried_with_the_same_id_and_body() -> None:
    partner = PARTNER_SET[0]
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    lines = SALES[partner.id][:2]
    seen: list[httpx.Request] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(503, headers={"Retry-After": "0"}, json={"title": "Service Unavailable"})
        counts = {"received": 2, "accepted": 2, "duplicate": 0, "rejected": 0}
        return httpx.Response(200, json={"counts": counts})

    totals = SentTotals()
    async with httpx.AsyncClient(
        base_url="http://gw",
        headers={"Authorization": "Bearer prm_demo"},
        transport=httpx.MockTransport(gateway),
    ) as client:
        await send_sales(client, partner, secret, lines, totals)

    assert (totals.deliveries, totals.accepted) == (1, 2)
    assert len(seen) == 2
    assert {request.url.path for request in seen} == {f"/v1/webhooks/partners/{partner.id}/sales"}
    assert all("authorization" not in request.headers for request in seen)
    assert seen[0].content == seen[1].content == webhook_body(lines).encode()
    assert (
        seen[0].headers["webhook-id"]
        == seen[1].headers["webhook-id"]
        == webhook_id(partner, webhook_body(lines))
    )
    for request in seen:  # the independent package verifies what the loader signed
        payload = Webhook(secret).verify(request.content, dict(request.headers))
        assert payload == json.loads(webhook_body(lines))
