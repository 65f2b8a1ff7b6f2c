"""The tier ladder as pure rules: promote / keep / demote, the gap to the next tier with exact shortfalls,
named criteria to confirm, and demotion risk that remembers since when a requirement fails."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from prm_contracts.scoring import TierAction
from prm_contracts.tiers import TierOut
from scoring.tier_recommendations.ladder import Revenue, TierFacts, standing

from ..scores.helpers import LADDER, tier_body

TODAY = date(2026, 11, 15)
TIERS = [TierOut.model_validate(body) for body in reversed(LADDER)]  # any order: ranks decide


def facts(tier: str | None, revenue: str | None, staff: int | None, **fields: object) -> TierFacts:
    amounts = {"EUR": Revenue(None if revenue is None else Decimal(revenue), fields.pop("reason", None))}  # type: ignore[arg-type]
    return TierFacts(
        current_tier=tier,
        revenue=amounts,
        certified_staff=staff,
        today=TODAY,
        failing_since=fields.pop("failing_since", {}),  # type: ignore[arg-type]
    )


def test_a_partner_short_of_the_next_tier_keeps_its_tier_and_sees_the_gap() -> None:
    result = standing(TIERS, facts("silver", "880000.00", 4))

    assert (result.action, result.recommended_tier) == (TierAction.KEEP, "silver")
    # gold: 1,000,000.00 - 880,000.00 = 120,000.00 EUR; 5 - 4 = 1 person
    assert result.gap.summary == "120000.00 EUR more trailing-12-month revenue; 1 more certified staff member"
    revenue, staff = result.gap.unmet
    assert revenue.shortfall is not None
    assert revenue.shortfall.model_dump(mode="json") == {
        "amount": "120000.00",
        "currency": "EUR",
    }
    assert staff.shortfall == 1
    assert result.gap.to_confirm == ["Joint business plan"]
    assert result.demotion_risk == []


def test_a_partner_meeting_a_higher_tier_is_promoted_to_the_highest_it_meets() -> None:
    result = standing(TIERS, facts("silver", "1250000.00", 6))

    assert (result.action, result.recommended_tier) == (TierAction.PROMOTE, "gold")
    assert result.reasons == [
        "meets every measured requirement of gold: trailing-12-month revenue 1250000.00 EUR meets "
        "1000000.00 EUR; 6 certified staff meets 5"
    ]
    assert result.gap.next_tier == "gold"
    assert result.gap.summary == "meets every measured requirement of gold"


def test_a_partner_failing_its_tier_is_demoted_and_the_shortfall_rounds_up_to_the_cent() -> None:
    # 1,000,000.00 - 900,000.004 = 99,999.996 → 100,000.00 (rounded up: that much more is always enough)
    result = standing(TIERS, facts("gold", "900000.004", 6))

    assert (result.action, result.recommended_tier) == (TierAction.DEMOTE, "silver")
    assert result.reasons[0] == "fails gold: 100000.00 EUR more trailing-12-month revenue"
    assert result.reasons[1] == "the highest tier met is silver"
    [risk] = result.demotion_risk
    assert risk.requirement == "min_trailing_12m_revenue"
    assert risk.actual is not None
    assert risk.actual.model_dump(mode="json") == {
        "amount": "900000.00",
        "currency": "EUR",
    }
    assert risk.failing_since == TODAY
    assert result.failing_since == {"gold:min_trailing_12m_revenue": TODAY}
    # the gap is to the tier above the current one
    assert result.gap.next_tier == "platinum"


def test_demotion_risk_keeps_the_first_day_a_requirement_failed() -> None:
    first_seen = date(2026, 10, 1)
    result = standing(
        TIERS, facts("gold", "900000.00", 6, failing_since={"gold:min_trailing_12m_revenue": first_seen})
    )
    recovered = standing(
        TIERS, facts("gold", "1000000.00", 6, failing_since={"gold:min_trailing_12m_revenue": first_seen})
    )

    assert result.demotion_risk[0].failing_since == first_seen
    assert recovered.action is TierAction.KEEP
    assert recovered.failing_since == {}  # passing again forgets it


def test_a_partner_without_a_tier_meeting_none_keeps_none() -> None:
    ladder = [tier for tier in TIERS if tier.key != "silver"]

    result = standing(ladder, facts(None, "10.00", 0))

    assert (result.action, result.recommended_tier) == (TierAction.KEEP, None)
    assert result.gap.next_tier == "gold"


def test_the_top_tier_has_no_next_tier() -> None:
    result = standing(TIERS, facts("platinum", "5000000.00", 20))

    assert result.action is TierAction.KEEP
    assert (result.gap.next_tier, result.gap.summary) == (None, "top of the ladder")


def test_revenue_analytics_could_not_compute_counts_as_unmet_with_the_reason() -> None:
    result = standing(TIERS, facts("gold", None, 6, reason="fx_rate_missing: USD→EUR on 2026-07-31"))

    assert result.action is TierAction.DEMOTE
    assert result.demotion_risk[0].text == (
        "trailing-12-month revenue in EUR unknown (fx_rate_missing: USD→EUR on 2026-07-31); 1000000.00 EUR needed"
    )
    assert result.demotion_risk[0].shortfall is None


def test_amounts_are_shown_to_the_minor_unit_of_their_currency() -> None:
    # JPY has no minor unit and KWD three decimals (ISO 4217): 150,000,000 - 149,999,999.4 = 0.6 → 1 JPY
    # short (rounded up); 40,000 - 39,999.9994 = 0.0006 → 0.001 KWD short
    for currency, required, revenue, shortfall, shown in [
        ("JPY", "150000000", "149999999.4", "1", "149999999"),
        ("KWD", "40000.000", "39999.9994", "0.001", "39999.999"),
    ]:
        tiers = [
            TierOut.model_validate(body)
            for body in (tier_body("silver", 1), tier_body("gold", 2, revenue=required, currency=currency))
        ]
        result = standing(
            tiers,
            TierFacts(
                current_tier="gold",
                revenue={currency: Revenue(Decimal(revenue))},
                certified_staff=None,
                today=TODAY,
                failing_since={},
            ),
        )

        assert result.reasons[0] == f"fails gold: {shortfall} {currency} more trailing-12-month revenue"
        [risk] = result.demotion_risk
        assert risk.actual is not None
        assert risk.actual.model_dump(mode="json") == {"amount": shown, "currency": currency}
