"""The rule onboarding sets on the partner lifecycle: onboarding → active only with a complete checklist.

Registered in `partners.service.TRANSITION_GUARDS`; it imports nothing of the partners service, so that
module can import it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from prm_contracts.partners import PartnerStatus
from prm_contracts.problem import Conflict
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.onboarding import repository
from partner_registry.onboarding.checklist import Item, incomplete_keys, standard_items

if TYPE_CHECKING:
    from partner_registry.onboarding.models import OnboardingChecklist
    from partner_registry.partners.models import Partner


class OnboardingChecklistIncomplete(Conflict):
    slug, title = "onboarding-checklist-incomplete", "Onboarding checklist is incomplete"


def checklist_items(checklist: OnboardingChecklist | None) -> list[Item]:
    """The items of a stored checklist, or the standard ones of a checklist never changed."""
    if checklist is None:
        return standard_items()
    return [
        Item(
            key=row.key,
            label=row.label,
            standard=row.standard,
            completed_at=row.completed_at,
            completed_by=row.completed_by,
            note=row.note,
        )
        for row in checklist.items
    ]


def ensure_complete(partner_id: object, items: Sequence[Item]) -> None:
    missing = incomplete_keys(items)
    if missing:
        raise OnboardingChecklistIncomplete(
            f"partner {partner_id} cannot become active before its onboarding checklist is complete; "
            f"not done yet: {', '.join(missing)} (see /v1/partners/{partner_id}/onboarding-checklist)",
            incomplete=missing,
        )


async def require_complete_checklist(session: AsyncSession, partner: Partner, *, now: datetime) -> None:
    """409 listing the incomplete items when a partner in onboarding would become active. A suspended
    partner returning to active has been through onboarding already: not checked again."""
    if partner.status != PartnerStatus.ONBOARDING:
        return
    ensure_complete(partner.id, checklist_items(await repository.checklist_of(session, partner.id)))
