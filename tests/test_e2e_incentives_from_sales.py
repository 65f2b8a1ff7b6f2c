"""Sales become incentive payouts end to end, with real processes: the registry, analytics, incentives and
the gateway (`python -m gateway.serve`), each on a fresh database of the test backend (PRM_TEST_DB), started
in parallel and shared by the module. The event subscriptions are wired as `prm up` wires them
(`prm_cli.services.event_subscriptions`, restricted to the services started here).

Two partners get a tier and a webhook secret in the registry; FX rates go into analytics; a partner system
signs EUR and USD sales with the independent `standardwebhooks` package and sends them through the gateway;
analytics' `sales.recorded` and the registry's `partner.tier_changed` reach incentives' replica. A programme
(rebate + marginal volume bonus, gold partners only) is published through the gateway, and the month's
calculation run pays the amount worked out by hand below; the payout's lines add up to it to the cent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from prm_cli.e2e import PartnerSystem, new_partner, ok, partner_system, running_platform, wait_for

pytestmark = pytest.mark.e2e

EUR_USD = Decimal("1.25")  # 1 EUR = 1.25 USD, loaded in analytics; incentives converts USD at 1/1.25 = 0.8


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A client of the gateway with an admin key, the three services behind it."""
    folder = tmp_path_factory.mktemp("incentives-e2e")
    with running_platform(folder, ("registry", "analytics", "incentives")) as platform:
        yield platform.gateway


# --- helpers -----------------------------------------------------------------------------------------------


def _previous_month(today: date) -> tuple[str, date]:
    """The label and first day of the calendar month before `today`'s: wholly in the past."""
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return f"{first:%Y-%m}", first


def _tiered_partner(gateway: httpx.Client, name: str, tier: str, since: date) -> PartnerSystem:
    partner_id = new_partner(gateway, name)
    change = {
        "tier": tier,
        "reason": "e2e: tier from the start of the month",
        "effective_on": since.isoformat(),
    }
    ok(gateway.post(f"/v1/partners/{partner_id}/tier-changes", json=change), 201)
    return partner_system(gateway, partner_id)


def _line(
    external_id: str,
    day: date,
    quantity: int,
    unit_price: str,
    currency: str,
    *,
    kind: str = "sale",
    **extra: str,
) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "kind": kind,
        "occurred_on": day.isoformat(),
        "payment_status": "invoiced",
        "customer": {"name": "Hofmann Logistik AG", "country": "DE"},
        "product": {"sku": "NET-SW24", "category": "networking"},
        "quantity": str(quantity),
        "unit_price": unit_price,
        "amount": str(quantity * Decimal(unit_price)),
        "currency": currency,
        **extra,
    }


def _all_pages(gateway: httpx.Client, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 2}  # small pages, so the cursor is exercised too
    while True:
        page = ok(gateway.get(path, params=params))
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


# --- the test ----------------------------------------------------------------------------------------------


def test_signed_sales_in_two_currencies_become_the_hand_computed_payout(gateway: httpx.Client) -> None:
    period, first = _previous_month(datetime.now(UTC).date())
    day = lambda n: first + timedelta(days=n - 1)  # noqa: E731 - the n-th day of the month
    # the rate in force on the month's days; the month before has another one, which must not be used
    month_before = (first - timedelta(days=1)).replace(day=1)
    rates = [
        {"base": "EUR", "quote": "USD", "rate": "1.60", "effective_on": month_before.isoformat()},
        {"base": "EUR", "quote": "USD", "rate": str(EUR_USD), "effective_on": first.isoformat()},
    ]
    loaded = ok(gateway.post("/v1/fx-rates", json={"frequency": "monthly", "rates": rates}))
    assert loaded["created"] == 2
    silver = _tiered_partner(gateway, "Silberwerk Reseller GmbH", "silver", first)
    gold = _tiered_partner(gateway, "Goldbach Systemhaus GmbH", "gold", first)

    # the silver partner's sale comes first: once the gold partner's lines are in incentives, so is this one
    # (analytics' outbox delivers in order), and it must earn nothing under a gold-only programme
    silver.send(gateway, "msg_silver_1", [_line("S-1", day(4), 10, "500.00", "EUR")])
    gold.send(
        gateway,
        "msg_gold_1",
        [
            _line("G-1", day(3), 4, "312.50", "EUR"),  # 1,250.00 EUR
            _line("G-2", day(5), 2, "1100.00", "USD"),  # 2,200.00 USD
            _line("G-3", day(10), 3, "1033.50", "EUR"),  # 3,100.50 EUR
        ],
    )
    gold.send(
        gateway,
        "msg_gold_2",
        [
            _line(
                "G-4", day(12), 1, "312.50", "EUR", kind="return", original_external_id="G-1"
            ),  # -312.50 EUR
            _line("G-5", day(15), 1, "985.00", "USD"),  # 985.00 USD
        ],
    )

    programme = ok(
        gateway.post(
            "/v1/programmes",
            json={
                "name": "Gold growth rebate",
                "currency": "EUR",
                "period_type": "month",
                "version": {
                    "effective_from": month_before.isoformat(),
                    "basis": "invoiced",
                    # the partners are new: no status history covers last month's sales
                    "eligibility": {"tiers": ["gold"], "active_at_sale": False},
                    "rules": [
                        {"kind": "rebate", "rate": "0.0125"},
                        {
                            "kind": "volume_bonus",
                            "mode": "marginal",
                            "bands": [
                                {"from": "0", "to": "2500", "rate": "0"},
                                {"from": "2500", "to": "5000", "rate": "0.01"},
                                {"from": "5000", "rate": "0.02"},
                            ],
                        },
                    ],
                },
            },
        ),
        201,
    )
    ok(gateway.post(f"/v1/programmes/{programme['programme_id']}/versions/1/publish"))

    def run_with_every_gold_line() -> dict[str, Any] | None:
        """Run the month again (a re-run replaces the draft) until the replica holds all five gold lines
        and the gold tier: the events travel on their own time."""
        response = gateway.post(
            "/v1/calculation-runs", json={"programme_id": programme["programme_id"], "period": period}
        )
        assert response.status_code in (200, 201), response.text
        payouts = ok(gateway.get(f"/v1/calculation-runs/{response.json()['id']}/payouts"))["items"]
        done = [p for p in payouts if p["partner_id"] == gold.partner_id and p["lines"] == 5]
        return response.json() if done else None

    run = wait_for(run_with_every_gold_line, "the gold partner's five lines and tier in incentives")

    # By hand. USD lines convert at 1 / 1.25 = 0.8 (the month's rate; the earlier 1.60 does not apply):
    #   G-2 2,200.00 USD -> 1,760.00 EUR; G-5 985.00 USD -> 788.00 EUR
    # V = 1,250.00 + 1,760.00 + 3,100.50 - 312.50 + 788.00 = 6,586.00 EUR
    # rebate 1.25 %: 0.0125 * 6,586 = 82.325
    # marginal bonus: 0 on 0-2,500; 1 % of 2,500 = 25; 2 % of (6,586 - 5,000) = 31.72 -> 56.72
    # unrounded 82.325 + 56.72 = 139.045 -> half-even to the cent 139.04 (half-up would say 139.05)
    volume = Decimal("1250.00") + Decimal("2200.00") * Decimal("0.8") + Decimal("3100.50")
    volume += -Decimal("312.50") + Decimal("985.00") * Decimal("0.8")
    assert volume == Decimal("6586.00")
    expected = Decimal("139.04")

    assert run["status"] == "draft"
    assert run["totals"]["partners"] == 1  # the silver partner's 5,000 EUR earns nothing
    assert Decimal(run["totals"]["payout"]["amount"]) == expected
    assert run["totals"]["payout"]["currency"] == "EUR"
    used = {(rate["currency"], rate["day"]): rate for rate in run["fx_rates"]}
    assert sorted(used) == [("USD", day(5).isoformat()), ("USD", day(15).isoformat())]
    assert all(Decimal(rate["rate"]) == Decimal("0.8") and rate["inverted"] for rate in used.values())

    payout = ok(gateway.get(f"/v1/calculation-runs/{run['id']}/payouts/{gold.partner_id}"))
    assert Decimal(payout["amount"]["amount"]) == expected
    assert Decimal(payout["volume"]) == volume
    assert Decimal(payout["unrounded"]) == Decimal("139.045")
    assert [(r["kind"], Decimal(r["amount"])) for r in payout["rules"]] == [
        ("rebate", Decimal("82.325")),
        ("volume_bonus", Decimal("56.72")),
    ]

    lines = _all_pages(gateway, f"/v1/calculation-runs/{run['id']}/payouts/{gold.partner_id}/lines")
    by_id = {line["external_id"]: line for line in lines}
    assert sorted(by_id) == ["G-1", "G-2", "G-3", "G-4", "G-5"]
    assert sum((Decimal(line["payout"]) for line in lines), Decimal(0)) == expected
    assert Decimal(by_id["G-2"]["converted"]) == Decimal("1760.00")
    assert Decimal(by_id["G-4"]["converted"]) == Decimal("-312.50")
    assert Decimal(by_id["G-5"]["fx_rate"]) == Decimal("0.8")

    # approved, the run is locked: running the month again is refused, and nothing changes
    ok(gateway.post(f"/v1/calculation-runs/{run['id']}/approval"))
    again = gateway.post(
        "/v1/calculation-runs", json={"programme_id": programme["programme_id"], "period": period}
    )
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")
    stored = ok(gateway.get(f"/v1/calculation-runs/{run['id']}"))
    assert (stored["status"], Decimal(stored["totals"]["payout"]["amount"])) == ("approved", expected)


def test_paid_basis_counts_lines_by_their_payment_day_sent_or_taken_from_the_sale(
    gateway: httpx.Client,
) -> None:
    """A paid-basis rebate counts the lines paid within the month: one sent already paid (paid the day it
    occurred), one paid later by `sales.payment_updated`; not one paid the month after, nor one never paid."""
    period, first = _previous_month(datetime.now(UTC).date())
    day = lambda n: first + timedelta(days=n - 1)  # noqa: E731 - the n-th day of the month
    partner = _tiered_partner(gateway, "Zahltag Systemhaus GmbH", "gold", first)
    partner.send(
        gateway,
        "msg_paid_1",
        [
            _line("P-1", day(4), 2, "500.00", "EUR", payment_status="paid"),  # 1,000.00, a cash sale
            _line("P-2", day(6), 1, "800.00", "EUR"),  # 800.00, paid on day 20 below
            _line("P-3", day(8), 1, "600.00", "EUR", payment_status="paid", paid_on=_next_month(first)),
            _line("P-4", day(9), 1, "400.00", "EUR"),  # never paid
        ],
    )
    update = {"external_id": "P-2", "payment_status": "paid", "paid_on": day(20).isoformat()}
    body = json.dumps({"type": "sales.payment_updated", "data": {"updates": [update]}})
    assert ok(partner.post(gateway, "msg_paid_2", body))["counts"]["accepted"] == 1
    programme = ok(
        gateway.post(
            "/v1/programmes",
            json={
                "name": "Paid-basis rebate",
                "currency": "EUR",
                "period_type": "month",
                "version": {
                    "effective_from": first.isoformat(),
                    "basis": "paid",
                    "eligibility": {"tiers": ["gold"], "active_at_sale": False},
                    "rules": [{"kind": "rebate", "rate": "0.02"}],
                },
            },
        ),
        201,
    )
    ok(gateway.post(f"/v1/programmes/{programme['programme_id']}/versions/1/publish"))

    def payout_of_both_paid_lines() -> dict[str, Any] | None:
        response = gateway.post(
            "/v1/calculation-runs", json={"programme_id": programme["programme_id"], "period": period}
        )
        assert response.status_code in (200, 201), response.text
        payouts = ok(gateway.get(f"/v1/calculation-runs/{response.json()['id']}/payouts"))["items"]
        mine = [p for p in payouts if p["partner_id"] == partner.partner_id and p["lines"] == 2]
        return mine[0] if mine else None

    payout = wait_for(payout_of_both_paid_lines, "the two lines paid within the month in incentives")

    # By hand: P-1 1,000.00 (paid the day it occurred) + P-2 800.00 (paid on day 20) = 1,800.00 EUR;
    # P-3 was paid the month after, P-4 never. 2 % of 1,800.00 = 36.00
    assert Decimal(payout["volume"]) == Decimal("1800.00")
    assert Decimal(payout["amount"]["amount"]) == Decimal("36.00")


def _next_month(first: date) -> str:
    return (first + timedelta(days=32)).replace(day=1).isoformat()
