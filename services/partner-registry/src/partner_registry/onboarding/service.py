"""Onboarding: a partner's checklist (who completed what, when) and the completion that makes it active.

Only the vendor's channel team changes a checklist or completes onboarding; a partner's own credential may
read its own checklist. The partner row is locked while its checklist changes.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from prm_contracts.partners import PartnerStatus
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict, Forbidden
from prm_kit.db import bump_version
from prm_kit.etag import check_if_match
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.onboarding import repository
from partner_registry.onboarding.checklist import Item, apply_changes
from partner_registry.onboarding.guards import checklist_items
from partner_registry.onboarding.models import OnboardingChecklist, OnboardingChecklistItem
from partner_registry.onboarding.schemas import (
    ChecklistItemOut,
    ChecklistOut,
    ChecklistPatch,
    OnboardingCompletionIn,
)
from partner_registry.partners.schemas import StatusTransitionIn, StatusTransitionOut
from partner_registry.partners.service import ensure_not_terminated, transition_status, visible_partner


class NotOnboarding(Conflict):
    slug, title = "partner-not-onboarding", "Partner is not onboarding"


def checklist_out(partner_id: UUID, checklist: OnboardingChecklist | None) -> ChecklistOut:
    items = checklist_items(checklist)
    incomplete = [item.key for item in items if item.completed_at is None]
    return ChecklistOut(
        partner_id=partner_id,
        items=[
            ChecklistItemOut(
                key=item.key,
                label=item.label,
                standard=item.standard,
                completed=item.completed_at is not None,
                completed_at=item.completed_at,
                completed_by=item.completed_by,
                note=item.note,
            )
            for item in items
        ],
        complete=not incomplete,
        incomplete=incomplete,
        version=checklist.version if checklist else 0,
        updated_at=checklist.updated_at if checklist else None,
    )


async def checklist(session: AsyncSession, partner_id: UUID, *, viewer: Principal) -> ChecklistOut:
    await visible_partner(session, partner_id, viewer=viewer)
    return checklist_out(partner_id, await repository.checklist_of(session, partner_id))


def _store_items(checklist: OnboardingChecklist, items: list[Item]) -> None:
    """Make the stored rows `items`, updating kept rows in place."""
    existing = {row.key: row for row in checklist.items}
    rows = []
    for position, item in enumerate(items):
        row = existing.get(item.key) or OnboardingChecklistItem(partner_id=checklist.partner_id, key=item.key)
        row.label, row.standard, row.position = item.label, item.standard, position
        row.completed_at, row.completed_by, row.note = item.completed_at, item.completed_by, item.note
        rows.append(row)
    checklist.items = rows


async def update_checklist(
    session: AsyncSession,
    partner_id: UUID,
    patch: ChecklistPatch,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> ChecklistOut:
    """Apply item changes to the checklist read at the version named by `if_match`. Changes that change
    nothing make no new version."""
    if actor.partner_id is not None:
        raise Forbidden("a partner's own credential cannot change its onboarding checklist")
    partner = await visible_partner(session, partner_id, viewer=actor, for_update=True)
    stored = await repository.checklist_of(session, partner_id)
    check_if_match(if_match, stored.version if stored else 0, required=True, resource="checklist")
    ensure_not_terminated(partner)
    before = checklist_items(stored)
    after = apply_changes(before, patch.items, actor=actor.subject, now=now)
    if after == before:
        return checklist_out(partner_id, stored)
    if stored is None:
        stored = OnboardingChecklist(
            partner_id=partner_id, version=1, created_at=now, updated_at=now, items=[]
        )
        _store_items(stored, after)
        await repository.add_checklist(session, stored)
    else:
        _store_items(stored, after)
        await bump_version(session, stored, at=now)
    return checklist_out(partner_id, stored)


async def complete_onboarding(
    session: AsyncSession,
    partner_id: UUID,
    body: OnboardingCompletionIn,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> StatusTransitionOut:
    """onboarding → active, through the partner lifecycle (whose guard wants the checklist complete)."""
    if actor.partner_id is not None:
        raise Forbidden("a partner's own credential cannot complete its own onboarding")
    partner = await visible_partner(session, partner_id, viewer=actor, for_update=True)
    if partner.status != PartnerStatus.ONBOARDING:
        raise NotOnboarding(
            f"partner {partner_id} is {partner.status}, not onboarding; only an onboarding partner can "
            "complete its onboarding",
            current_status=partner.status,
        )
    return await transition_status(
        session,
        partner_id,
        StatusTransitionIn(to_status=PartnerStatus.ACTIVE, reason=body.note or "onboarding complete"),
        if_match=if_match,
        actor=actor,
        now=now,
    )
