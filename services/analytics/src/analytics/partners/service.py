"""Applying the registry's events to the replica, in any order and any number of times.

Delivery is at least once and not necessarily in order (a retried batch may arrive after a later one). So:
- the current dimensions are overwritten only by an event that occurred later than the one they came from
  (`*_as_of`, per group of fields: the partner record, its status, its tier);
- the histories are sets (a status from its `status_changed_at`, a tier change by its id), which the same
  entries arriving again or late leave as they should be;
- a deal registration's outcome follows the latest event about it by `occurred_at`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prm_contracts.deal_registrations import DealRegistrationChanged, DealRegistrationStatus
from prm_contracts.partners import PartnerOut
from prm_contracts.tiers import PartnerTierChanged
from prm_kit.db import ordered_id
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.kpis.announcements import announce, per_month
from analytics.market_sizes.schemas import region_key
from analytics.partners import repository
from analytics.partners.models import DealRegistrationOutcome, PartnerStatusPeriod, PartnerTierPeriod

_APPROVED_ONCE = frozenset(
    {
        DealRegistrationStatus.APPROVED,
        DealRegistrationStatus.WON,
        DealRegistrationStatus.LOST,
        DealRegistrationStatus.EXPIRED,
    }
)


def _newer(occurred_at: datetime, as_of: datetime | None) -> bool:
    return as_of is None or occurred_at > as_of


async def apply_partner_record(
    session: AsyncSession, partner: PartnerOut, *, occurred_at: datetime, now: datetime
) -> None:
    """A full partner record (`partner.created`, `partner.updated`, `partner.status_changed`)."""
    row = await repository.dimension_for_update(session, partner.id, now=now)
    if _newer(occurred_at, row.record_as_of):
        row.name = partner.display_name
        row.partner_type = partner.partner_type.value
        row.country = partner.country
        row.region = partner.region
        row.market_region = region_key(partner.region)
        row.website_domain = partner.website_domain
        row.record_as_of = occurred_at
    if _newer(occurred_at, row.status_as_of):
        row.status, row.status_as_of = partner.status.value, occurred_at
    if _newer(occurred_at, row.tier_as_of):
        row.tier, row.tier_as_of = partner.tier, occurred_at
    row.updated_at = now
    await session.flush()
    await repository.insert_if_absent(
        session,
        PartnerStatusPeriod,
        {
            "id": ordered_id(),
            "partner_id": partner.id,
            "status": partner.status.value,
            "valid_from": partner.status_changed_at,
        },
    )


async def apply_tier_change(
    session: AsyncSession, change: PartnerTierChanged, *, occurred_at: datetime, now: datetime
) -> None:
    row = await repository.dimension_for_update(session, change.partner_id, now=now)
    if _newer(occurred_at, row.tier_as_of):
        row.tier, row.tier_as_of = change.to_tier, occurred_at
    row.updated_at = now
    await session.flush()
    await repository.insert_if_absent(
        session,
        PartnerTierPeriod,
        {
            "tier_change_id": change.tier_change_id,
            "partner_id": change.partner_id,
            "from_tier": change.from_tier,
            "tier": change.to_tier,
            "valid_from": change.effective_on,
            "changed_at": change.changed_at,
        },
    )


async def apply_deal_registration(
    session: AsyncSession, change: DealRegistrationChanged, *, occurred_at: datetime
) -> None:
    registration = change.registration
    status = DealRegistrationStatus(registration.status)
    values = {
        "partner_id": registration.partner_id,
        "status": status.value,
        "registered_at": registration.created_at,
        "approved_at": registration.decided_at if status in _APPROVED_ONCE else None,
        "closed_at": registration.closed_at,
        "expired_at": registration.expired_at,
        "estimated_amount": registration.estimated_value.amount,
        "estimated_currency": registration.estimated_value.currency,
        "final_amount": registration.final_amount.amount if registration.final_amount else None,
        "final_currency": registration.final_amount.currency if registration.final_amount else None,
        "as_of": occurred_at,
    }
    row = await repository.deal_for_update(session, registration.id)
    if row is None:
        closed = [registration.closed_at]
        await repository.add(session, DealRegistrationOutcome(deal_registration_id=registration.id, **values))
    elif occurred_at > row.as_of:
        closed = [row.closed_at, registration.closed_at]
        for name, value in values.items():
            setattr(row, name, value)
        await session.flush()
    else:
        return
    # the win rate counts registrations by the instant they closed: the months left and entered change
    await announce(
        session,
        per_month((registration.partner_id, at.astimezone(UTC).date()) for at in closed if at is not None),
    )
