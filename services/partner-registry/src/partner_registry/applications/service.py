"""Partner applications: submission (which registers the partner as `applied`), screening by scoring, and
the decision, which moves the partner along its lifecycle (approved → onboarding, rejected → terminated).

The partner is created and moved only through `partners.service`, so its history and events are those of
every other partner change. Every change to an application bumps its version and writes an outbox event.

Scoring is asked with no transaction open (read, call, then write): a screening is up to two calls of up to
5 s each, and a write transaction held meanwhile would hold SQLite's one write lock all that time.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from prm_contracts.applications import (
    PARTNER_APPLICATION_APPROVED,
    PARTNER_APPLICATION_REJECTED,
    PARTNER_APPLICATION_SCREENED,
    PARTNER_APPLICATION_SUBMITTED,
    ApplicationIn,
    ApplicationOut,
    ApplicationStatus,
    PartnerApplicationEvent,
    ScreeningStatus,
)
from prm_contracts.clients.scoring import ScoringClient
from prm_contracts.pagination import Page
from prm_contracts.partners import PartnerIn, PartnerStatus
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict, Forbidden, NotFound
from prm_contracts.scoring import ApplicantFacts
from prm_kit.db import bump_version, end_reading
from prm_kit.etag import check_if_match
from prm_kit.outbox import add_event
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.applications import repository
from partner_registry.applications.models import PartnerApplication
from partner_registry.applications.schemas import ApplicationFilters, ApprovalIn, RejectionIn, application_out
from partner_registry.applications.screening import Screening, screen
from partner_registry.partners import repository as partners_repository
from partner_registry.partners.changes import registration_key
from partner_registry.partners.schemas import StatusTransitionIn
from partner_registry.partners.service import (
    EVENT_SOURCE,
    PartnerTerminated,
    create_partner,
    ensure_registration_free,
    transition_status,
)

ORDER = "-created_at"
_AT_OR_PAST_ONBOARDING = frozenset({PartnerStatus.ONBOARDING, PartnerStatus.ACTIVE, PartnerStatus.SUSPENDED})


class ApplicationDecided(Conflict):
    slug, title = "application-decided", "Application already decided"


class ScreeningNotPassed(Conflict):
    slug, title = "screening-not-passed", "Application screening has not passed"


def _applicant(application_id: UUID, body: ApplicationIn) -> ApplicantFacts:
    company = body.company
    return ApplicantFacts(
        application_id=application_id,
        legal_name=company.legal_name,
        partner_type=company.partner_type,
        country=company.country,
        website_domain=company.website_domain,
        year_founded=company.year_founded,
        employee_count=company.employee_count,
        annual_revenue=company.annual_revenue,
        specialisations=company.specialisations,
        segments_served=[segment.value for segment in company.segments_served],
        questionnaire=body.questionnaire,
    )


def _record_screening(application: PartnerApplication, screening: Screening, *, now: datetime) -> None:
    application.screening_attempts += 1
    application.screening_status = screening.status.value
    application.screening_error = screening.error
    if screening.status != ScreeningStatus.PENDING:
        application.screened_at = now
        application.prequalification = (
            screening.prequalification.model_dump(mode="json") if screening.prequalification else None
        )
        application.evaluation = (
            screening.evaluation.model_dump(mode="json") if screening.evaluation else None
        )


async def _announce(
    session: AsyncSession, event_type: str, application: PartnerApplication
) -> ApplicationOut:
    out = application_out(application)
    await add_event(
        session, type=event_type, source=EVENT_SOURCE, data=PartnerApplicationEvent(application=out)
    )
    return out


# --- reading -----------------------------------------------------------------------------------------------


async def visible_application(
    session: AsyncSession, application_id: UUID, *, viewer: Principal, for_update: bool = False
) -> PartnerApplication:
    """The application if it exists; 403 when `viewer` is bound to another partner than its applicant."""
    application = await repository.application_by_id(session, application_id, for_update=for_update)
    if application is None:
        raise NotFound(f"no application {application_id}")
    viewer.partner_scope(application.partner_id)
    return application


async def list_applications(
    session: AsyncSession,
    filters: ApplicationFilters,
    *,
    viewer: Principal,
    limit: int,
    cursor: str | None,
) -> Page[ApplicationOut]:
    """Newest first; a partner's own credential sees only its own partner's application."""
    after = keyset_position(cursor, ORDER, datetime)
    rows = await repository.application_page(
        session, filters, after=after, limit=limit + 1, only_partner_id=viewer.partner_id
    )
    return page_of(
        rows, limit, out=application_out, cursor_of=lambda a: keyset_cursor(ORDER, a.created_at, a.id)
    )


# --- changing ----------------------------------------------------------------------------------------------


async def submit(
    session: AsyncSession, body: ApplicationIn, *, actor: Principal, scoring: ScoringClient, now: datetime
) -> PartnerApplication:
    """Register the applicant as a partner in status `applied`, screen it with scoring and store the
    application with what scoring said (or `pending` when scoring could not answer)."""
    if actor.partner_id is not None:
        raise Forbidden("a partner's own credential cannot submit applications")
    partner_in = PartnerIn.model_validate(body.company.model_dump(mode="json"))
    # refused before scoring is asked; create_partner checks again, in the writing transaction
    await ensure_registration_free(
        session,
        partner_in.country,
        registration_key(partner_in.registration_number),
        other_than=None,
        viewer=actor,
    )
    await end_reading(session)
    application_id = uuid4()
    screening = await screen(scoring, _applicant(application_id, body))
    partner = await create_partner(session, partner_in, actor=actor, now=now)
    await transition_status(
        session,
        partner.id,
        StatusTransitionIn(to_status=PartnerStatus.APPLIED, reason=f"application {application_id} submitted"),
        if_match=None,
        actor=actor,
        now=now,
    )
    application = PartnerApplication(
        id=application_id,
        partner_id=partner.id,
        status=ApplicationStatus.SUBMITTED.value,
        company=body.company.model_dump(mode="json"),
        questionnaire=body.questionnaire,
        screening_status=ScreeningStatus.PENDING.value,
        screening_attempts=0,
        screening_error=None,
        screened_at=None,
        prequalification=None,
        evaluation=None,
        submitted_by=actor.subject,
        decided_by=None,
        decided_at=None,
        decision_reason=None,
        screening_override_reason=None,
        version=1,
        created_at=now,
        updated_at=now,
    )
    _record_screening(application, screening, now=now)
    await repository.add_application(session, application)
    await _announce(session, PARTNER_APPLICATION_SUBMITTED, application)
    if screening.status != ScreeningStatus.PENDING:
        await _announce(session, PARTNER_APPLICATION_SCREENED, application)
    return application


def _ensure_undecided(application: PartnerApplication) -> None:
    if application.status != ApplicationStatus.SUBMITTED:
        raise ApplicationDecided(
            f"application {application.id} is {application.status} already; a decided application cannot "
            "be screened or decided again",
            current_status=application.status,
        )


def _ensure_channel_team(actor: Principal) -> None:
    if actor.partner_id is not None:
        raise Forbidden("a partner's own credential cannot screen or decide applications")


async def _undecided_application(
    session: AsyncSession,
    application_id: UUID,
    *,
    actor: Principal,
    if_match: str | None,
    for_update: bool = False,
) -> PartnerApplication:
    """The application `actor` is about to screen or decide: 412 when `if_match` (optional) names another
    version, 409 once it is decided."""
    application = await visible_application(session, application_id, viewer=actor, for_update=for_update)
    check_if_match(if_match, application.version, required=False, resource="application")
    _ensure_undecided(application)
    return application


async def rescreen(
    session: AsyncSession,
    application_id: UUID,
    *,
    if_match: str | None,
    actor: Principal,
    scoring: ScoringClient,
    now: datetime,
) -> PartnerApplication:
    """Ask scoring again about an undecided application (after a `pending` screening, or a new model).

    Checked before scoring is asked and again, locked, after: it may have been decided or changed meanwhile.
    """
    _ensure_channel_team(actor)
    read = await _undecided_application(session, application_id, actor=actor, if_match=if_match)
    submitted = ApplicationIn.model_validate({"company": read.company, "questionnaire": read.questionnaire})
    await end_reading(session)
    screening = await screen(scoring, _applicant(application_id, submitted))
    application = await _undecided_application(
        session, application_id, actor=actor, if_match=if_match, for_update=True
    )
    _record_screening(application, screening, now=now)
    await bump_version(session, application, at=now)
    if screening.status != ScreeningStatus.PENDING:
        await _announce(session, PARTNER_APPLICATION_SCREENED, application)
    return application


async def approve(
    session: AsyncSession,
    application_id: UUID,
    body: ApprovalIn,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> PartnerApplication:
    """Approve: the partner moves applied → onboarding (one already moved there or further by hand stays
    where it is; a terminated one is 409: such an application can only be rejected). An application whose
    screening has not passed is approved only with a `screening_override_reason` (409 otherwise)."""
    _ensure_channel_team(actor)
    application = await _undecided_application(
        session, application_id, actor=actor, if_match=if_match, for_update=True
    )
    if application.screening_status != ScreeningStatus.PASSED and body.screening_override_reason is None:
        raise ScreeningNotPassed(
            f"the screening of application {application_id} is {application.screening_status}; retry it at "
            f"/v1/applications/{application_id}/screening, or approve with a screening_override_reason",
            screening_status=application.screening_status,
        )
    partner = await partners_repository.partner_by_id(session, application.partner_id, for_update=True)
    if partner is not None and partner.status == PartnerStatus.TERMINATED:
        raise PartnerTerminated(
            f"partner {partner.id} has been terminated since application {application_id} was submitted; the "
            f"application can only be rejected (/v1/applications/{application_id}/rejection)"
        )
    # A partner moved on by hand (to onboarding, or further) keeps where it is: the approval is recorded.
    if partner is None or partner.status not in _AT_OR_PAST_ONBOARDING:
        await transition_status(
            session,
            application.partner_id,
            StatusTransitionIn(
                to_status=PartnerStatus.ONBOARDING,
                reason=body.note or f"application {application_id} approved",
            ),
            if_match=None,
            actor=actor,
            now=now,
        )
    application.status = ApplicationStatus.APPROVED.value
    application.decided_by = actor.subject
    application.decided_at = now
    application.decision_reason = body.note
    application.screening_override_reason = (
        body.screening_override_reason if application.screening_status != ScreeningStatus.PASSED else None
    )
    await bump_version(session, application, at=now)
    await _announce(session, PARTNER_APPLICATION_APPROVED, application)
    return application


async def reject(
    session: AsyncSession,
    application_id: UUID,
    body: RejectionIn,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> PartnerApplication:
    """Reject with a reason. The partner, when still `applied`, is terminated with that reason; one that
    has been moved on by hand meanwhile is left as it is."""
    _ensure_channel_team(actor)
    application = await _undecided_application(
        session, application_id, actor=actor, if_match=if_match, for_update=True
    )
    partner = await partners_repository.partner_by_id(session, application.partner_id)
    if partner is not None and partner.status == PartnerStatus.APPLIED:
        await transition_status(
            session,
            partner.id,
            StatusTransitionIn(to_status=PartnerStatus.TERMINATED, reason=body.reason),
            if_match=None,
            actor=actor,
            now=now,
        )
    application.status = ApplicationStatus.REJECTED.value
    application.decided_by = actor.subject
    application.decided_at = now
    application.decision_reason = body.reason
    await bump_version(session, application, at=now)
    await _announce(session, PARTNER_APPLICATION_REJECTED, application)
    return application
