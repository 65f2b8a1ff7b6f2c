"""A partner's score follows its sales, with real processes: the registry, analytics, scoring and the gateway
(`python -m gateway.serve`), each on a fresh database of the test backend (PRM_TEST_DB), started in parallel.

Scoring is wired as `prm up` wires it: the subscriber of the registry's and analytics' events. A partner is
created (`partner.created` → scoring reads it), its system sends signed sales through the gateway (signed with
the independent `standardwebhooks` package), analytics stores them and emits `kpi.updated`, and scoring's
refresh worker recomputes the stored score from analytics' real KPI snapshot: the health's last sale and the
tier standing's trailing-12-month revenue, read through the gateway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from prm_cli.e2e import new_partner, partner_system, running_platform, wait_for
from scoring.scores.facts import health_periods

pytestmark = pytest.mark.e2e

NO_SALES_DAYS = 45  # scoring's PRM_HEALTH_NO_SALES_DAYS (its default, set here to be sure)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A client of the gateway with an admin key, the registry, analytics and scoring behind it; scoring
    subscribes to both publishers, as `prm up` wires it, and analytics to none (so analytics knows no
    partner until its sales arrive)."""
    folder = tmp_path_factory.mktemp("scoring-from-analytics")
    scoring = {"PRM_SCORE_REFRESH_SECONDS": "0.1", "PRM_HEALTH_NO_SALES_DAYS": str(NO_SALES_DAYS)}
    with running_platform(
        folder,
        ("registry", "analytics", "scoring"),
        {"scoring": scoring},
        subscriptions={"registry": ["scoring"], "analytics": ["scoring"]},
    ) as platform:
        yield platform.gateway


def _sale(external_id: str, occurred_on: date, amount: str) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "kind": "sale",
        "occurred_on": occurred_on.isoformat(),
        "payment_status": "invoiced",
        "customer": {"name": "Kunde Eins", "country": "DE"},
        "product": {"sku": "SKU-1", "category": "networking"},
        "quantity": "1",
        "unit_price": amount,
        "amount": amount,
        "currency": "EUR",
    }


def _score_when(
    gateway: httpx.Client, partner_id: str, condition: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The partner's score once `condition` holds for it (polled until the deadline)."""

    def matching() -> dict[str, Any] | None:
        answer = gateway.get(f"/v1/scores/partners/{partner_id}")
        if answer.status_code != 200:
            return None
        score: dict[str, Any] = answer.json()
        return score if condition(score) else None

    score = wait_for(matching, f"a score of partner {partner_id} that meets the condition")
    assert score is not None
    return score


def _signal(score: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((s for s in score["health"]["signals"] if s["kind"] == kind), None)


def test_sales_through_the_gateway_refresh_the_partners_score_from_analytics(gateway: httpx.Client) -> None:
    partner_id = new_partner(gateway, "Scored Sales GmbH")
    erp = partner_system(gateway, partner_id)

    # partner.created: scoring reads the partner; analytics has no sales of it, so that is not known yet
    first = _score_when(gateway, partner_id, lambda s: s["health"] is not None)
    assert first["partner"]["partner_type"] == "reseller"
    assert _signal(first, "no_recent_sales") is None
    assert any("kpis" in reason for reason in first["health"]["unavailable"])

    # two sales, the last 60 days ago: more than the 45 allowed, less than twice that → a warning
    today = datetime.now(UTC).date()
    old_sales = [
        _sale("E2E-1", today - timedelta(days=90), "4000.00"),
        _sale("E2E-2", today - timedelta(days=60), "2500.50"),
    ]
    erp.send(gateway, "msg_scoring_1", old_sales)

    stale = _score_when(gateway, partner_id, lambda s: _signal(s, "no_recent_sales") is not None)
    warning = _signal(stale, "no_recent_sales")
    assert warning is not None
    assert warning["severity"] == "warning"
    assert warning["values"] == {
        "last_sale_on": (today - timedelta(days=60)).isoformat(),
        "threshold_days": NO_SALES_DAYS,
        "days_since": 60,
    }
    # 4000.00 + 2500.50 = 6500.50 EUR over the trailing 12 months, from analytics' snapshot
    assert stale["tier"]["trailing_12m_revenue"] == {"amount": "6500.50", "currency": "EUR"}
    # without a tier, the partner is recommended the ladder's first rung; a channel manager applies that
    # through scoring, which asks the registry, whose `partner.tier_changed` refreshes the score again
    standing = stale["tier"]
    assert (standing["current_tier"], standing["recommended_tier"], standing["action"]) == (
        None,
        "registered",
        "promote",
    )
    applied = gateway.post(
        "/v1/tier-recommendations/applications",
        json={"recommendation_ids": [standing["recommendation_id"]], "note": "first rung"},
    )
    assert applied.status_code == 200, applied.text
    registered = _score_when(gateway, partner_id, lambda s: s["tier"]["current_tier"] == "registered")
    assert gateway.get(f"/v1/partners/{partner_id}").json()["tier"] == "registered"
    # the gap to silver, whose requirements the registry's ladder holds
    silver = next(t for t in gateway.get("/v1/tiers").json()["items"] if t["key"] == "silver")
    required = silver["requirements"]["min_trailing_12m_revenue"]
    gap = registered["tier"]["gap"]
    assert gap["next_tier"] == "silver"
    revenue_gap = next(r for r in gap["unmet"] if r["requirement"] == "min_trailing_12m_revenue")
    assert revenue_gap["actual"] == {"amount": "6500.50", "currency": "EUR"}
    assert Decimal(revenue_gap["shortfall"]["amount"]) == Decimal(required["amount"]) - Decimal("6500.50")

    # a sale two days ago: `kpi.updated` again, and the warning is gone
    erp.send(gateway, "msg_scoring_2", [_sale("E2E-3", today - timedelta(days=2), "999.50")])

    fresh = _score_when(
        gateway,
        partner_id,
        lambda s: s["tier"]["trailing_12m_revenue"] == {"amount": "7500.00", "currency": "EUR"},
    )
    assert _signal(fresh, "no_recent_sales") is None  # 6500.50 + 999.50 = 7500.00, the last sale 2 days ago
    batch = gateway.post("/v1/scores/batch", json={"partner_ids": [partner_id]}).json()["items"][0]
    assert (batch["found"], batch["score"]["health"], batch["score"]["tier_gap"]) == (
        True,
        fresh["health"]["level"],
        fresh["tier"]["gap"]["summary"],
    )

    # a revenue target for the last complete quarter: analytics' `kpi.updated` (a target, not a sale) makes
    # scoring refresh, and the attainment of the quarter's sales against it is far under the threshold
    latest, _ = health_periods("quarter", today)
    sold = [old_sales[0], old_sales[1], _sale("E2E-3", today - timedelta(days=2), "999.50")]
    in_quarter = sum(
        (
            Decimal(s["amount"])
            for s in sold
            if latest.first_day <= date.fromisoformat(s["occurred_on"]) <= latest.last_day
        ),
        Decimal(0),
    )
    target = gateway.put(
        f"/v1/targets/{partner_id}/revenue/{latest.label}",
        json={"target": {"amount": "1000000.00", "currency": "EUR"}},
    )
    assert target.status_code == 201, target.text

    targeted = _score_when(gateway, partner_id, lambda s: _signal(s, "attainment_low") is not None)
    low = _signal(targeted, "attainment_low")
    assert low is not None
    assert (low["severity"], low["values"]["period"]) == ("critical", latest.label)
    assert Decimal(low["values"]["actual"]) == (in_quarter / Decimal(1_000_000)).quantize(Decimal("0.000001"))
