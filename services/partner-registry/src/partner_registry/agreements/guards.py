"""The rule agreements set on the partner lifecycle: an active partner has a current agreement.

Registered in `partners.service.TRANSITION_GUARDS`; it imports nothing of the partners service, so that
module can import it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from prm_contracts.problem import Conflict
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.agreements import repository

if TYPE_CHECKING:
    from partner_registry.partners.models import Partner


class NoCurrentAgreement(Conflict):
    slug, title = "no-current-agreement", "Partner has no current agreement"


async def require_current_agreement(session: AsyncSession, partner: Partner, *, now: datetime) -> None:
    """409 unless the partner has an agreement that is active and runs on the day of `now` (UTC)."""
    today = now.date()
    if await repository.current_agreement_id(session, partner.id, today) is None:
        raise NoCurrentAgreement(
            f"partner {partner.id} cannot become active without a current agreement: one with status active, "
            f"starts_on on or before {today} and ends_on empty or on or after {today}; record or activate one "
            f"at /v1/partners/{partner.id}/agreements first",
            partner_id=str(partner.id),
        )
