"""ORM → contract conversions of tiers and tier changes (the bodies live in `prm_contracts.tiers`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prm_contracts.money import Money
from prm_contracts.tiers import (
    TierBenefits,
    TierChangeOut,
    TierChangeSource,
    TierCriterion,
    TierOut,
    TierRequirements,
)

from partner_registry.partners.schemas import canonical_amount

if TYPE_CHECKING:
    from partner_registry.tiers.models import PartnerTierChange, Tier


def tier_out(tier: Tier) -> TierOut:
    revenue = None
    if tier.min_revenue_amount is not None and tier.min_revenue_currency is not None:
        revenue = Money(amount=canonical_amount(tier.min_revenue_amount), currency=tier.min_revenue_currency)
    return TierOut(
        id=tier.id,
        key=tier.key,
        name=tier.name,
        rank=tier.rank,
        requirements=TierRequirements(
            min_trailing_12m_revenue=revenue,
            min_certified_staff=tier.min_certified_staff,
            criteria=[TierCriterion.model_validate(criterion) for criterion in tier.criteria],
        ),
        benefits=TierBenefits(
            description=tier.benefits_description,
            discount_percent=None
            if tier.discount_percent is None
            else canonical_amount(tier.discount_percent),
            rebate_percent=None if tier.rebate_percent is None else canonical_amount(tier.rebate_percent),
        ),
        version=tier.version,
        created_at=tier.created_at,
        updated_at=tier.updated_at,
    )


def tier_change_out(change: PartnerTierChange) -> TierChangeOut:
    return TierChangeOut(
        id=change.id,
        partner_id=change.partner_id,
        from_tier=change.from_tier,
        to_tier=change.to_tier,
        effective_on=change.effective_on,
        reason=change.reason,
        source=TierChangeSource(change.source),
        recommendation_id=change.recommendation_id,
        changed_by=change.changed_by,
        changed_at=change.changed_at,
        partner_version=change.partner_version,
    )
