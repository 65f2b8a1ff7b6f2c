"""HTTP of onboarding: `/v1/partners/{partner_id}/onboarding-checklist` and `/onboarding-completion`."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Body, Response
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_response, set_etag
from prm_kit.idempotency import IdempotencyDep
from prm_kit.internal_auth import PrincipalDep, require

from partner_registry.onboarding import service
from partner_registry.onboarding.schemas import ChecklistOut, ChecklistPatch, OnboardingCompletionIn
from partner_registry.partners.schemas import StatusTransitionOut

router = APIRouter(prefix="/v1/partners/{partner_id}", tags=["onboarding"])

READ = require("partners:read")
WRITE = require("partners:write")


@router.get(
    "/onboarding-checklist",
    response_model=ChecklistOut,
    summary="Get a partner's onboarding checklist",
    responses={**etag_response(200), **problems(403, 404)},
    dependencies=[READ],
)
async def get_onboarding_checklist(
    partner_id: UUID, session: SessionDep, who: PrincipalDep, response: Response
) -> ChecklistOut:
    """The standard items (agreement_signed, tax_documents_received, first_certification, portal_access)
    and any custom ones, each with who completed it and when. A checklist never changed is at version 0."""
    checklist = await service.checklist(session, partner_id, viewer=who)
    set_etag(response, checklist.version)
    return checklist


@router.patch(
    "/onboarding-checklist",
    response_model=ChecklistOut,
    summary="Complete, undo, add or remove onboarding checklist items",
    responses={**etag_response(200), **problems(403, 404, 409, 412, 422, 428)},
    dependencies=[WRITE],
)
async def update_onboarding_checklist(
    partner_id: UUID,
    body: ChecklistPatch,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> ChecklistOut:
    """Changes items by key: `completed` true/false, a `note`, a `label` and `remove` for custom items; a
    new key adds a custom item. `If-Match` is required (`"0"` before the first change). Not open to a
    partner's own credential; a terminated partner's checklist cannot change (409)."""
    checklist = await service.update_checklist(
        session, partner_id, body, if_match=if_match, actor=who, now=now
    )
    set_etag(response, checklist.version)
    return checklist


@router.post(
    "/onboarding-completion",
    status_code=201,
    response_model=StatusTransitionOut,
    summary="Complete a partner's onboarding (onboarding → active)",
    responses=problems(403, 404, 409, 412, 422),
    dependencies=[WRITE],
)
async def complete_partner_onboarding(
    partner_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
    body: OnboardingCompletionIn | None = Body(default=None),
    if_match: IfMatchHeader = None,
) -> Response:
    """Moves an onboarding partner to active: 409 `onboarding-checklist-incomplete` with `incomplete`
    listing the items not done, 409 `partner-not-onboarding` for a partner in another status, and any
    other rule of the lifecycle (such as a current agreement) applies as for a status transition.
    `If-Match` (the partner's ETag) is optional."""
    transition = await service.complete_onboarding(
        session, partner_id, body or OnboardingCompletionIn(), if_match=if_match, actor=who, now=now
    )
    return await idempotency.respond(session, transition, status_code=201)
