"""The health signals as pure rules: each fires at its threshold and not below, with the values it compared,
and a fact that could not be read leaves its signal unchecked and says so."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from prm_contracts.certifications import CertificationOut
from prm_contracts.compliance import SeverityCounts
from prm_contracts.scoring import HealthLevel
from scoring.health.rules import HealthFacts, HealthThresholds, health_of, health_rank

from ..fake_analytics import kpi_snapshot
from ..scores.helpers import certification_body

TODAY = date(2026, 11, 15)
PARTNER = UUID("00000000-0000-4000-8000-000000000001")
LIMITS = HealthThresholds(
    attainment=Decimal("0.8"), nps_drop_points=Decimal("10"), no_sales_days=45, certification_days=60
)


def facts(
    latest: dict[str, str] | None = None,
    previous: dict[str, str] | None = None,
    *,
    last_sale_on: date | None = date(2026, 11, 10),
    last_sale_known: bool = True,
    violations: SeverityCounts | None = None,
    certifications: list[CertificationOut] | None = None,
) -> HealthFacts:
    return HealthFacts(
        today=TODAY,
        latest_period="2026-Q3",
        previous_period="2026-Q2",
        latest=kpi_snapshot(PARTNER, date(2026, 7, 1), date(2026, 9, 30), period="2026-Q3", **(latest or {})),
        previous=kpi_snapshot(
            PARTNER, date(2026, 4, 1), date(2026, 6, 30), period="2026-Q2", **(previous or {})
        ),
        last_sale_known=last_sale_known,
        last_sale_on=last_sale_on,
        open_violations=violations or SeverityCounts(),
        certifications=certifications or [],
    )


def signals(health: Any) -> list[tuple[str, str]]:
    return [(s.kind.value, s.severity.value) for s in health.signals]


@pytest.mark.parametrize(
    ("attainment", "expected"),
    [
        ("0.62", [("attainment_low", "warning")]),
        ("0.4", [("attainment_low", "warning")]),  # half of 0.8 is not under half
        ("0.39", [("attainment_low", "critical")]),
        ("0.8", []),  # at the threshold is not under it
    ],
)
def test_attainment_under_the_threshold_is_a_warning_and_under_half_of_it_critical(
    attainment: str, expected: list[tuple[str, str]]
) -> None:
    health = health_of(facts({"target_attainment": attainment}), LIMITS)

    assert signals(health) == expected
    if expected:
        assert health.signals[0].values == {"period": "2026-Q3", "actual": attainment, "threshold": "0.8"}


def test_revenue_down_two_periods_in_a_row_is_a_warning_but_once_is_not() -> None:
    twice = health_of(facts({"growth_previous_period": "-0.10"}, {"growth_previous_period": "-0.05"}), LIMITS)
    once = health_of(facts({"growth_previous_period": "-0.10"}, {"growth_previous_period": "0.02"}), LIMITS)

    assert signals(twice) == [("revenue_declining", "warning")]
    assert twice.signals[0].values == {
        "period": "2026-Q3",
        "growth": "-0.10",
        "previous_period": "2026-Q2",
        "previous_growth": "-0.05",
    }
    assert signals(once) == []


def test_an_nps_drop_beyond_the_allowed_points_is_a_warning() -> None:
    # 40 → 25 is a drop of 15 > 10; 40 → 30 is exactly 10, not beyond
    dropped = health_of(facts({"nps": "25"}, {"nps": "40"}), LIMITS)
    within = health_of(facts({"nps": "30"}, {"nps": "40"}), LIMITS)

    assert signals(dropped) == [("nps_drop", "warning")]
    assert dropped.signals[0].values["drop"] == "15"
    assert signals(within) == []


@pytest.mark.parametrize(
    ("last_sale_on", "expected", "days_since"),
    [
        (date(2026, 10, 1), [], 45),  # 15 Nov - 1 Oct = 45 days: not more than 45
        (date(2026, 9, 30), [("no_recent_sales", "warning")], 46),
        # 17 Aug → 15 Nov: 14 + 30 + 31 + 15 = 90 days, not more than 2 · 45; a day earlier is 91
        (date(2026, 8, 17), [("no_recent_sales", "warning")], 90),
        (date(2026, 8, 16), [("no_recent_sales", "critical")], 91),
        (None, [("no_recent_sales", "critical")], None),  # no sale in the trailing 12 months
    ],
)
def test_no_sales_for_more_than_n_days_is_a_warning_and_twice_as_long_critical(
    last_sale_on: date | None, expected: list[tuple[str, str]], days_since: int | None
) -> None:
    health = health_of(facts(last_sale_on=last_sale_on), LIMITS)

    assert signals(health) == expected
    if expected:
        assert health.signals[0].values["days_since"] == days_since


def test_no_snapshot_up_to_today_leaves_the_sales_signal_unchecked() -> None:
    assert signals(health_of(facts(last_sale_on=None, last_sale_known=False), LIMITS)) == []


def test_certifications_expiring_within_60_days_are_counted_from_today() -> None:
    def cert(expires_on: date | None) -> CertificationOut:
        return CertificationOut.model_validate(certification_body(uuid4(), expires_on=expires_on))

    certifications = [
        cert(date(2026, 11, 15)),  # today: still counts
        cert(date(2027, 1, 14)),  # today + 60 days
        cert(date(2027, 1, 15)),  # day 61: not yet
        cert(date(2026, 11, 14)),  # expired yesterday: no longer expiring
        cert(None),  # never expires
    ]

    health = health_of(facts(certifications=certifications), LIMITS)

    assert signals(health) == [("certifications_expiring", "info")]
    assert health.signals[0].values == {"count": 2, "first_expires_on": "2026-11-15", "within_days": 60}
    assert health.level is HealthLevel.INFO


def test_open_violations_are_a_warning_and_a_high_one_makes_them_critical() -> None:
    medium = health_of(facts(violations=SeverityCounts(medium=2)), LIMITS)
    high = health_of(facts(violations=SeverityCounts(low=1, high=1)), LIMITS)

    assert signals(medium) == [("open_compliance_violations", "warning")]
    assert medium.signals[0].reason == "2 open compliance violations"
    assert signals(high) == [("open_compliance_violations", "critical")]
    assert high.signals[0].values == {"open": 2, "high": 1, "critical": 0}


def test_the_most_severe_signal_comes_first_and_sets_the_level() -> None:
    health = health_of(
        facts(
            {"target_attainment": "0.7"}, violations=SeverityCounts(critical=1), last_sale_on=date(2026, 9, 1)
        ),
        LIMITS,
    )

    # violations critical; attainment 0.7 < 0.8 warning; 75 days without a sale > 45 warning
    assert signals(health) == [
        ("open_compliance_violations", "critical"),
        ("attainment_low", "warning"),
        ("no_recent_sales", "warning"),
    ]
    assert health.level is HealthLevel.CRITICAL
    assert health_rank(health.level) == 3


def test_a_kpi_that_cannot_be_computed_is_named_not_taken_for_healthy() -> None:
    health = health_of(facts(), LIMITS)

    assert health.level is HealthLevel.HEALTHY
    assert "target_attainment 2026-Q3: not_in_test" in health.unavailable
    assert "nps 2026-Q2: not_in_test" in health.unavailable
