"""Submitting a deal registration: the conflict check, then approval (none found, auto-approval on) or review.

The check narrows candidates in the database (domain index, name-token index, territory and house account
indexes) and scores only those few with `matching`, so it stays fast however many registrations exist.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from prm_contracts.deal_registrations import (
    DEAL_REGISTRATION_APPROVED,
    DealRegistrationApproved,
    DealRegistrationIn,
    DealRegistrationStatus,
)
from prm_contracts.partners import PartnerStatus
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict, UnprocessableContent, ValidationIssue
from prm_kit.outbox import add_event
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.deal_registrations import matching, repository
from partner_registry.deal_registrations.history import event_fields, record_step
from partner_registry.deal_registrations.models import (
    DealHistoryKind,
    DealRegistration,
    DealRegistrationConflict,
    DealRegistrationNameToken,
)
from partner_registry.deal_registrations.policy import DealPolicy
from partner_registry.house_accounts.models import HouseAccountNameToken
from partner_registry.house_accounts.repository import matching_house_accounts
from partner_registry.name_search import FREQUENT_TOKEN_POSTINGS, NameSearch, token_frequencies
from partner_registry.partners.service import EVENT_SOURCE
from partner_registry.territories.overlap import region_key
from partner_registry.territories.repository import exclusive_territories_covering
from partner_registry.territories.schemas import scope_of

S = DealRegistrationStatus
AUTO_APPROVER = "system:auto-approval"


class PartnerNotActive(Conflict):
    slug, title = "partner-not-active", "Partner is not active"


def _registering_partner(body: DealRegistrationIn, submitted_by: Principal) -> UUID:
    """The partner the registration is for: a bound credential's own (403 for another), else the one named."""
    partner_id = submitted_by.partner_scope(body.partner_id)
    if partner_id is None:
        raise UnprocessableContent(
            "partner_id is required unless the credential is bound to a partner",
            errors=[ValidationIssue(loc=["body", "partner_id"], msg="Field required", type="missing")],
        )
    return partner_id


async def _ensure_active(session: AsyncSession, partner_id: UUID, *, customer_key: str) -> None:
    """422 for an unknown partner (the body names something that does not exist), 409 unless it is active.
    Submissions for the customer `customer_key` wait for each other from here (`repository.partner_status`)."""
    status = await repository.partner_status(session, partner_id, lock_customer=customer_key)
    if status is None:
        raise UnprocessableContent(
            f"no partner {partner_id}",
            errors=[ValidationIssue(loc=["body", "partner_id"], msg="no such partner", type="not_found")],
        )
    if status != PartnerStatus.ACTIVE:
        raise PartnerNotActive(
            f"partner {partner_id} is {status}; only active partners register deals", partner_status=status
        )


async def conflict_candidates(
    session: AsyncSession, submission: matching.Submission, *, policy: DealPolicy, now: datetime
) -> matching.Candidates:
    """What the submission could conflict with, narrowed by indexes: never every registration. Four
    statements: the tokens' postings in both token tables, then the registrations, the house accounts and
    the territories."""
    registration_postings, account_postings = await token_frequencies(
        session,
        submission.tokens,
        DealRegistrationNameToken.token,
        HouseAccountNameToken.token,
        bound=FREQUENT_TOKEN_POSTINGS,
    )
    found = await repository.registration_candidates(
        session,
        domain=submission.customer_domain,
        names=NameSearch.of(registration_postings),
        not_of=submission.partner_id,
        now=now,
        limit=policy.candidate_limit,
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
            country=r.country,
        )
        for r in found
    ]
    accounts = [
        matching.HouseAccountCandidate(
            id=a.id,
            customer_name=a.customer_name,
            customer_domain=a.customer_domain,
            name_key=a.customer_name_key,
            country=a.country,
        )
        for a in await matching_house_accounts(
            session,
            domain=submission.customer_domain,
            names=NameSearch.of(account_postings),
            limit=policy.candidate_limit,
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


def _explanation_document(explanation: matching.Explanation | None) -> dict[str, Any] | None:
    if explanation is None:
        return None
    document = asdict(explanation)
    document["fields"] = list(explanation.fields)
    return document


async def submit(
    session: AsyncSession,
    body: DealRegistrationIn,
    *,
    submitted_by: Principal,
    policy: DealPolicy,
    now: datetime,
) -> DealRegistration:
    """Register an opportunity: checked for conflicts, then approved (none found, auto-approval on) or
    routed to review with the conflicts listed."""
    partner_id = _registering_partner(body, submitted_by)
    submission = matching.Submission(
        partner_id=partner_id,
        customer_name=body.customer_name,
        customer_domain=body.customer_domain,
        country=body.country,
        region=body.region,
        customer_segment=body.customer_segment.value if body.customer_segment else None,
        products=body.products,
    )
    customer_key = body.customer_domain or f"{body.country}:{submission.name_key}"
    await _ensure_active(session, partner_id, customer_key=customer_key)
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
                explanation=_explanation_document(conflict.explanation),
            )
            for position, conflict in enumerate(conflicts)
        ],
    )
    await repository.add_registration(session, registration)
    await repository.add_name_tokens(session, registration.id, partner_id, submission.tokens)
    if approve:
        reason = "no conflicts found: approved automatically"
    elif conflicts:
        reason = f"{len(conflicts)} conflict(s) found: routed to review"
    else:
        reason = "auto-approval is off: routed to review"
    await record_step(
        session, registration, DealHistoryKind.SUBMITTED, actor=submitted_by.subject, at=now, reason=reason
    )
    if approve:
        await add_event(
            session,
            type=DEAL_REGISTRATION_APPROVED,
            source=EVENT_SOURCE,
            data=DealRegistrationApproved(
                **event_fields(registration, None, AUTO_APPROVER, now),
                automatic=True,
                protected_until=registration.protected_until,
            ),
        )
    return registration
