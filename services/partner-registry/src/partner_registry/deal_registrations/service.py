"""Deal registrations: submission with its conflict check, review, protection, extension, outcome, expiry.

Every step bumps the registration's version, writes one history entry and, for the steps other services care
about, one outbox event, all in the caller's transaction (the request's session commits once, at the end).
The conflict check narrows candidates in the database (domain index, name-token index, territory and house
account indexes) and scores only those few with `matching`, so it stays fast however many registrations
exist.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from prm_contracts.deal_registrations import (
    DEAL_REGISTRATION_APPROVED,
    DEAL_REGISTRATION_EXPIRED,
    DEAL_REGISTRATION_EXTENDED,
    DEAL_REGISTRATION_LOST,
    DEAL_REGISTRATION_REJECTED,
    DEAL_REGISTRATION_WON,
    DealDecision,
    DealRegistrationApproved,
    DealRegistrationExpired,
    DealRegistrationExtended,
    DealRegistrationIn,
    DealRegistrationLost,
    DealRegistrationOut,
    DealRegistrationRejected,
    DealRegistrationStatus,
    DealRegistrationWon,
    DecisionIn,
    ExpirySweepOut,
    ExtensionIn,
    LostOutcome,
    WonOutcome,
)
from prm_contracts.pagination import Page
from prm_contracts.partners import PartnerStatus
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict, Forbidden, NotFound, UnprocessableContent, ValidationIssue
from prm_kit.etag import check_if_match
from prm_kit.outbox import add_event
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.deal_registrations import matching, repository
from partner_registry.deal_registrations.lifecycle import check_transition, effective_status
from partner_registry.deal_registrations.models import (
    DealHistoryKind,
    DealRegistration,
    DealRegistrationConflict,
    DealRegistrationHistoryEntry,
)
from partner_registry.deal_registrations.schemas import (
    DealFilters,
    DealHistoryEntryOut,
    deal_registration_out,
    history_entry_out,
)
from partner_registry.house_accounts.repository import matching_house_accounts
from partner_registry.paging import keyset_cursor, keyset_position, page_of
from partner_registry.partners.service import EVENT_SOURCE
from partner_registry.territories.overlap import region_key
from partner_registry.territories.repository import exclusive_territories_covering
from partner_registry.territories.schemas import scope_of

S = DealRegistrationStatus
AUTO_APPROVER = "system:auto-approval"
EXPIRY_SWEEPER = "system:expiry-sweep"
EXPIRY_BATCH = 500
# A registration's status moves with the clock (approved → expired) and a partner's own credential sees its
# conflicts redacted: one version has several representations, so its entity tags are weak (prm_kit.etag).
WEAK_ETAGS = True


@dataclass(frozen=True)
class DealPolicy:
    """The rules the channel team tunes through settings (see config.Settings, `deal_*`)."""

    auto_approve: bool = True
    name_threshold: float = 88.0
    protection: timedelta = timedelta(days=90)
    extension: timedelta = timedelta(days=30)
    candidate_limit: int = 200


class PartnerNotActive(Conflict):
    slug, title = "partner-not-active", "Partner is not active"


class ExtensionNotAllowed(Conflict):
    slug, title = "extension-not-allowed", "Only an approved, protected registration can be extended"


class ExtensionAlreadyUsed(Conflict):
    slug, title = "extension-already-used", "The registration was already extended once"


# --- reading -----------------------------------------------------------------------------------------------


async def visible_registration(
    session: AsyncSession, registration_id: UUID, *, viewer: Principal, for_update: bool = False
) -> DealRegistration:
    """The registration if it exists and `viewer` may see it: 404, or 403 for another partner's credential."""
    registration = await repository.registration_by_id(session, registration_id, for_update=for_update)
    if registration is None:
        raise NotFound(f"no deal registration {registration_id}")
    viewer.partner_scope(registration.partner_id)
    return registration


def view(
    registration: DealRegistration, *, viewer: Principal, now: datetime | None = None
) -> DealRegistrationOut:
    """The registration as `viewer` sees it now: a partner's own credential without its conflicts' parties."""
    return deal_registration_out(
        registration, now=now or datetime.now(UTC), disclose=viewer.partner_id is None
    )


async def list_registrations(
    session: AsyncSession, filters: DealFilters, *, viewer: Principal, limit: int, cursor: str | None
) -> Page[DealRegistrationOut]:
    """Newest first; a partner's own credential lists only its own partner's (403 when it asks for another)."""
    partner_id = viewer.partner_scope(filters.partner_id)
    filters = replace(filters, partner_id=partner_id)
    after = keyset_position(cursor, "-created_at", timestamp_key=True)
    now = datetime.now(UTC)
    rows = await repository.registration_page(session, filters, now=now, after=after, limit=limit + 1)
    return page_of(
        rows,
        limit,
        out=lambda r: view(r, viewer=viewer, now=now),
        cursor_of=lambda r: keyset_cursor("-created_at", r.created_at.isoformat(), r.id),
    )


async def registration_history(
    session: AsyncSession, registration_id: UUID, *, viewer: Principal, limit: int, cursor: str | None
) -> Page[DealHistoryEntryOut]:
    await visible_registration(session, registration_id, viewer=viewer)
    after = keyset_position(cursor, "-occurred_at", timestamp_key=True)
    entries = await repository.history_page(session, registration_id, after=after, limit=limit + 1)
    return page_of(
        entries,
        limit,
        out=history_entry_out,
        cursor_of=lambda e: keyset_cursor("-occurred_at", e.occurred_at.isoformat(), e.id),
    )


# --- submission and the conflict check ---------------------------------------------------------------------


async def _registering_partner(
    session: AsyncSession, body: DealRegistrationIn, submitted_by: Principal
) -> UUID:
    """The partner the registration is for: a bound credential's own (403 for another), else the one named.
    An unknown partner is 422: the body names something that does not exist."""
    partner_id = submitted_by.partner_scope(body.partner_id)
    if partner_id is None:
        raise UnprocessableContent(
            "partner_id is required unless the credential is bound to a partner",
            errors=[ValidationIssue(loc=["body", "partner_id"], msg="Field required", type="missing")],
        )
    status = await repository.partner_status(session, partner_id)
    if status is None:
        raise UnprocessableContent(
            f"no partner {partner_id}",
            errors=[ValidationIssue(loc=["body", "partner_id"], msg="no such partner", type="not_found")],
        )
    if status != PartnerStatus.ACTIVE:
        raise PartnerNotActive(
            f"partner {partner_id} is {status}; only active partners register deals", partner_status=status
        )
    return partner_id


async def conflict_candidates(
    session: AsyncSession, submission: matching.Submission, *, policy: DealPolicy, now: datetime
) -> matching.Candidates:
    """What the submission could conflict with, narrowed by indexes: never every registration."""
    tokens = matching.name_tokens(submission.name_key)
    ids = await repository.open_ids_for_domain(
        session,
        submission.customer_domain,
        not_of=submission.partner_id,
        now=now,
        limit=policy.candidate_limit,
    )
    ids += await repository.ids_sharing_name_tokens(
        session, tokens, not_of=submission.partner_id, limit=policy.candidate_limit
    )
    registrations = [
        matching.RegistrationCandidate(
            id=r.id,
            partner_id=r.partner_id,
            customer_name=r.customer_name,
            customer_domain=r.customer_domain,
            status=S(r.status),
            name_key=r.customer_name_key,
            products=r.products,
        )
        for r in await repository.open_registrations(session, ids, now=now)
    ]
    accounts = [
        matching.HouseAccountCandidate(
            id=a.id,
            customer_name=a.customer_name,
            customer_domain=a.customer_domain,
            name_key=a.customer_name_key,
        )
        for a in await matching_house_accounts(
            session, domain=submission.customer_domain, tokens=tokens, limit=policy.candidate_limit
        )
    ]
    territories = [
        matching.TerritoryCandidate(id=t.id, partner_id=t.partner_id, scope=scope_of(t))
        for t in await exclusive_territories_covering(
            session,
            country=submission.country,
            region_key=region_key(submission.region),
            segment=submission.customer_segment,
            not_of=submission.partner_id,
        )
    ]
    return matching.Candidates(registrations=registrations, house_accounts=accounts, territories=territories)


async def submit(
    session: AsyncSession, body: DealRegistrationIn, *, submitted_by: Principal, policy: DealPolicy
) -> DealRegistration:
    """Register an opportunity: checked for conflicts, then approved (none found, auto-approval on) or
    routed to review with the conflicts listed."""
    partner_id = await _registering_partner(session, body, submitted_by)
    await repository.lock_customer(session, body.customer_domain)
    now = datetime.now(UTC)
    submission = matching.Submission(
        partner_id=partner_id,
        customer_name=body.customer_name,
        customer_domain=body.customer_domain,
        country=body.country,
        region=body.region,
        customer_segment=body.customer_segment.value if body.customer_segment else None,
        products=body.products,
    )
    candidates = await conflict_candidates(session, submission, policy=policy, now=now)
    conflicts = matching.score_conflicts(submission, candidates, name_threshold=policy.name_threshold)
    approve = not conflicts and policy.auto_approve
    registration_id = uuid4()
    registration = DealRegistration(
        id=registration_id,
        partner_id=partner_id,
        customer_name=body.customer_name,
        customer_name_key=submission.name_key,
        customer_domain=body.customer_domain,
        country=body.country,
        region=body.region,
        customer_segment=submission.customer_segment,
        products=list(body.products),
        estimated_value_amount=body.estimated_value.amount,
        estimated_value_currency=body.estimated_value.currency,
        expected_close_on=body.expected_close_on,
        notes=body.notes or None,
        status=(S.APPROVED if approve else S.PENDING_REVIEW).value,
        has_conflicts=bool(conflicts),
        submitted_by=submitted_by.subject,
        decided_by=AUTO_APPROVER if approve else None,
        decided_at=now if approve else None,
        decision_reason="no conflicts found" if approve else None,
        protected_until=now + policy.protection if approve else None,
        extension_used=False,
        version=1,
        created_at=now,
        updated_at=now,
        conflicts=[
            DealRegistrationConflict(
                id=uuid4(),
                deal_registration_id=registration_id,
                position=position,
                kind=conflict.kind.value,
                reason=conflict.reason,
                score=conflict.score,
                other_deal_registration_id=conflict.other_registration_id,
                other_partner_id=conflict.other_partner_id,
                house_account_id=conflict.house_account_id,
                territory_id=conflict.territory_id,
            )
            for position, conflict in enumerate(conflicts)
        ],
    )
    await repository.add_registration(session, registration)
    await repository.add_name_tokens(
        session, registration.id, partner_id, matching.name_tokens(submission.name_key)
    )
    if approve:
        reason = "no conflicts found: approved automatically"
    elif conflicts:
        reason = f"{len(conflicts)} conflict(s) found: routed to review"
    else:
        reason = "auto-approval is off: routed to review"
    await _record(
        session, registration, DealHistoryKind.SUBMITTED, actor=submitted_by.subject, at=now, reason=reason
    )
    if approve:
        await add_event(
            session,
            type=DEAL_REGISTRATION_APPROVED,
            source=EVENT_SOURCE,
            data=DealRegistrationApproved(
                **_event_base(registration, None, AUTO_APPROVER, now),
                automatic=True,
                protected_until=registration.protected_until,
            ),
        )
    return registration


# --- review, extension, outcome, expiry --------------------------------------------------------------------


async def _record(
    session: AsyncSession,
    registration: DealRegistration,
    kind: DealHistoryKind,
    *,
    actor: str,
    at: datetime,
    from_status: DealRegistrationStatus | None = None,
    reason: str | None = None,
) -> None:
    await repository.add_history_entry(
        session,
        DealRegistrationHistoryEntry(
            id=uuid4(),
            deal_registration_id=registration.id,
            kind=kind.value,
            occurred_at=at,
            actor=actor,
            from_status=from_status.value if from_status else None,
            to_status=registration.status,
            reason=reason,
            protected_until=registration.protected_until,
        ),
    )


def _event_base(
    registration: DealRegistration, from_status: DealRegistrationStatus | None, actor: str, at: datetime
) -> dict[str, Any]:
    """The fields every `deal_registration.*` event's data has (DealRegistrationChanged)."""
    return {
        "deal_registration_id": registration.id,
        "partner_id": registration.partner_id,
        "from_status": from_status,
        "to_status": S(registration.status),
        "actor": actor,
        "occurred_at": at,
        "registration": deal_registration_out(registration, now=at),
    }


def _touch(registration: DealRegistration, now: datetime) -> None:
    registration.version += 1
    registration.updated_at = now


async def decide(
    session: AsyncSession,
    registration_id: UUID,
    body: DecisionIn,
    *,
    if_match: str | None,
    actor: Principal,
    policy: DealPolicy,
) -> DealRegistration:
    """A channel manager approves (protection starts now) or rejects a registration in review."""
    if actor.partner_id is not None:
        raise Forbidden("registrations are approved or rejected by the vendor's channel team")
    registration = await visible_registration(session, registration_id, viewer=actor, for_update=True)
    check_if_match(
        if_match, registration.version, required=False, weak=WEAK_ETAGS, resource="deal registration"
    )
    now = datetime.now(UTC)
    current = effective_status(S(registration.status), registration.protected_until, now)
    target = S.APPROVED if body.decision == DealDecision.APPROVED else S.REJECTED
    check_transition(current, target)
    registration.status = target.value
    registration.decided_by = actor.subject
    registration.decided_at = now
    registration.decision_reason = body.reason
    if target == S.APPROVED:
        registration.protected_until = now + policy.protection
    else:
        await repository.remove_name_tokens(session, [registration.id])
    _touch(registration, now)
    await session.flush()
    kind = DealHistoryKind.APPROVED if target == S.APPROVED else DealHistoryKind.REJECTED
    await _record(
        session, registration, kind, actor=actor.subject, at=now, from_status=current, reason=body.reason
    )
    base = _event_base(registration, current, actor.subject, now)
    if target == S.APPROVED:
        assert registration.protected_until is not None
        approved = DealRegistrationApproved(
            **base, automatic=False, protected_until=registration.protected_until
        )
        await add_event(session, type=DEAL_REGISTRATION_APPROVED, source=EVENT_SOURCE, data=approved)
    else:
        rejected = DealRegistrationRejected(**base, reason=body.reason)
        await add_event(session, type=DEAL_REGISTRATION_REJECTED, source=EVENT_SOURCE, data=rejected)
    return registration


async def extend(
    session: AsyncSession,
    registration_id: UUID,
    body: ExtensionIn,
    *,
    if_match: str | None,
    actor: Principal,
    policy: DealPolicy,
) -> DealRegistration:
    """Lengthen an approved, still protected registration's protection once, by the policy's extension."""
    registration = await visible_registration(session, registration_id, viewer=actor, for_update=True)
    check_if_match(
        if_match, registration.version, required=False, weak=WEAK_ETAGS, resource="deal registration"
    )
    now = datetime.now(UTC)
    current = effective_status(S(registration.status), registration.protected_until, now)
    if current != S.APPROVED:
        raise ExtensionNotAllowed(
            f"the registration is {current}; only an approved registration whose protection has not run out "
            "can be extended",
            current_status=current.value,
        )
    if registration.extension_used:
        raise ExtensionAlreadyUsed(
            f"the registration was extended once already; it stays protected until "
            f"{registration.protected_until.isoformat() if registration.protected_until else 'its end'}"
        )
    previous = registration.protected_until
    assert previous is not None
    registration.protected_until = previous + policy.extension
    registration.extension_used = True
    _touch(registration, now)
    await session.flush()
    await _record(
        session,
        registration,
        DealHistoryKind.EXTENDED,
        actor=actor.subject,
        at=now,
        from_status=current,
        reason=body.reason,
    )
    extended = DealRegistrationExtended(
        **_event_base(registration, current, actor.subject, now),
        previous_protected_until=previous,
        protected_until=registration.protected_until,
    )
    await add_event(session, type=DEAL_REGISTRATION_EXTENDED, source=EVENT_SOURCE, data=extended)
    return registration


async def record_outcome(
    session: AsyncSession,
    registration_id: UUID,
    body: WonOutcome | LostOutcome,
    *,
    if_match: str | None,
    actor: Principal,
) -> DealRegistration:
    """Close an approved registration as won (at its final amount) or lost (with the reason)."""
    registration = await visible_registration(session, registration_id, viewer=actor, for_update=True)
    check_if_match(
        if_match, registration.version, required=False, weak=WEAK_ETAGS, resource="deal registration"
    )
    now = datetime.now(UTC)
    current = effective_status(S(registration.status), registration.protected_until, now)
    target = S.WON if isinstance(body, WonOutcome) else S.LOST
    check_transition(current, target)
    registration.status = target.value
    registration.closed_at = now
    if isinstance(body, WonOutcome):
        registration.final_amount = body.final_amount.amount
        registration.final_currency = body.final_amount.currency
        reason = None
    else:
        registration.lost_reason = reason = body.reason
    _touch(registration, now)
    await repository.remove_name_tokens(session, [registration.id])
    await session.flush()
    kind = DealHistoryKind.WON if target == S.WON else DealHistoryKind.LOST
    await _record(
        session, registration, kind, actor=actor.subject, at=now, from_status=current, reason=reason
    )
    base = _event_base(registration, current, actor.subject, now)
    if isinstance(body, WonOutcome):
        won = DealRegistrationWon(**base, final_amount=body.final_amount)
        await add_event(session, type=DEAL_REGISTRATION_WON, source=EVENT_SOURCE, data=won)
    else:
        lost = DealRegistrationLost(**base, reason=body.reason)
        await add_event(session, type=DEAL_REGISTRATION_LOST, source=EVENT_SOURCE, data=lost)
    return registration


async def expire_due(session: AsyncSession, now: datetime, *, batch_size: int = EXPIRY_BATCH) -> list[UUID]:
    """Mark every approved registration whose protection ran out by `now` as expired; returns their ids.

    Safe to run from several replicas at once: rows another sweep has locked are skipped, not waited for.
    """
    expired: list[UUID] = []
    while True:
        due = await repository.due_for_expiry(session, now=now, limit=batch_size)
        for registration in due:
            registration.status = S.EXPIRED.value
            registration.expired_at = registration.protected_until
            _touch(registration, now)
        await repository.remove_name_tokens(session, [r.id for r in due])
        await session.flush()
        for registration in due:
            await _record(
                session,
                registration,
                DealHistoryKind.EXPIRED,
                actor=EXPIRY_SWEEPER,
                at=now,
                from_status=S.APPROVED,
                reason="protection ran out",
            )
            assert registration.protected_until is not None
            data = DealRegistrationExpired(
                **_event_base(registration, S.APPROVED, EXPIRY_SWEEPER, now),
                protected_until=registration.protected_until,
            )
            await add_event(session, type=DEAL_REGISTRATION_EXPIRED, source=EVENT_SOURCE, data=data)
        expired += [r.id for r in due]
        if len(due) < batch_size:
            return expired


async def sweep_expired(session: AsyncSession) -> ExpirySweepOut:
    """Run the expiry sweep now (the background loop runs it too)."""
    now = datetime.now(UTC)
    expired = await expire_due(session, now)
    return ExpirySweepOut(swept_at=now, expired_count=len(expired), expired_ids=expired)
