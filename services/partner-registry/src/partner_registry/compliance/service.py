"""A partner's compliance record: audits, policy violations, and the facts other services judge it by.

The summary is what scoring's gates and analytics' compliance KPI read, so it answers with counts and
days, not judgements: whether two high-severity violations bar a tier is scoring's rule, not ours.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid4

from prm_contracts.compliance import (
    OPEN_VIOLATION_STATUSES,
    AuditIn,
    AuditOut,
    AuditPatch,
    ComplianceSummaryOut,
    SeverityCounts,
    ViolationIn,
    ViolationOut,
    ViolationPatch,
    ViolationSeverity,
    ViolationStatus,
    ViolationStatusCounts,
)
from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_kit.db import bump_version
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.agreements import repository as agreements
from partner_registry.compliance import repository
from partner_registry.compliance.models import ComplianceAudit, ComplianceViolation
from partner_registry.compliance.rules import ViolationState, changed_state, resolved
from partner_registry.compliance.schemas import audit_out, violation_out
from partner_registry.partner_records import PartnerRecords, partner_for_change
from partner_registry.partners.service import visible_partner

RECORDS = "compliance records"
AUDITS = PartnerRecords(repository.audit_of, noun="compliance audit")
VIOLATIONS = PartnerRecords(repository.violation_of, noun="compliance violation")
AUDIT_ORDER = "-audited_on"
VIOLATION_ORDER = "-opened_on"


# --- audits ------------------------------------------------------------------------------------------------


async def list_audits(
    session: AsyncSession, partner_id: UUID, *, viewer: Principal, limit: int, cursor: str | None
) -> Page[AuditOut]:
    """The partner's audits, the latest first."""
    await visible_partner(session, partner_id, viewer=viewer)
    after = keyset_position(cursor, AUDIT_ORDER, date)
    audits = await repository.audit_page(session, partner_id, after=after, limit=limit + 1)
    return page_of(
        audits, limit, out=audit_out, cursor_of=lambda a: keyset_cursor(AUDIT_ORDER, a.audited_on, a.id)
    )


async def visible_audit(
    session: AsyncSession, partner_id: UUID, audit_id: UUID, *, viewer: Principal
) -> ComplianceAudit:
    return await AUDITS.visible(session, partner_id, audit_id, viewer=viewer)


async def record_audit(
    session: AsyncSession, partner_id: UUID, body: AuditIn, *, actor: Principal, now: datetime
) -> ComplianceAudit:
    await partner_for_change(session, partner_id, actor=actor, adding=True, records=RECORDS)
    audit = ComplianceAudit(
        id=uuid4(),
        partner_id=partner_id,
        audited_on=body.audited_on,
        auditor=body.auditor,
        scope=body.scope,
        outcome=body.outcome.value,
        notes=body.notes,
        version=1,
        created_at=now,
        updated_at=now,
    )
    await repository.add_record(session, audit)
    return audit


async def update_audit(
    session: AsyncSession,
    partner_id: UUID,
    audit_id: UUID,
    patch: AuditPatch,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> ComplianceAudit:
    """Correct an audit read at the version `if_match` names. A patch that changes nothing changes nothing."""
    await partner_for_change(session, partner_id, actor=actor, adding=False, records=RECORDS)
    audit = await AUDITS.to_change(session, partner_id, audit_id, if_match=if_match, required=True)
    sent = patch.model_dump(exclude_unset=True)
    if "outcome" in sent:
        sent["outcome"] = sent["outcome"].value
    changed = {name: value for name, value in sent.items() if getattr(audit, name) != value}
    if not changed:
        return audit
    for name, value in changed.items():
        setattr(audit, name, value)
    await bump_version(session, audit, at=now)
    return audit


# --- violations --------------------------------------------------------------------------------------------


def _state(violation: ComplianceViolation) -> ViolationState:
    return ViolationState(
        policy=violation.policy,
        finding=violation.finding,
        severity=ViolationSeverity(violation.severity),
        status=ViolationStatus(violation.status),
        opened_on=violation.opened_on,
        resolved_on=violation.resolved_on,
    )


def _apply(violation: ComplianceViolation, state: ViolationState) -> None:
    violation.policy = state.policy
    violation.finding = state.finding
    violation.severity = state.severity.value
    violation.status = state.status.value
    violation.opened_on = state.opened_on
    violation.resolved_on = state.resolved_on


async def list_violations(
    session: AsyncSession,
    partner_id: UUID,
    *,
    viewer: Principal,
    statuses: list[ViolationStatus],
    severities: list[ViolationSeverity],
    limit: int,
    cursor: str | None,
) -> Page[ViolationOut]:
    """The partner's violations, the latest opened first."""
    await visible_partner(session, partner_id, viewer=viewer)
    after = keyset_position(cursor, VIOLATION_ORDER, date)
    violations = await repository.violation_page(
        session, partner_id, statuses=statuses, severities=severities, after=after, limit=limit + 1
    )
    return page_of(
        violations,
        limit,
        out=violation_out,
        cursor_of=lambda v: keyset_cursor(VIOLATION_ORDER, v.opened_on, v.id),
    )


async def visible_violation(
    session: AsyncSession, partner_id: UUID, violation_id: UUID, *, viewer: Principal
) -> ComplianceViolation:
    return await VIOLATIONS.visible(session, partner_id, violation_id, viewer=viewer)


async def record_violation(
    session: AsyncSession, partner_id: UUID, body: ViolationIn, *, actor: Principal, now: datetime
) -> ComplianceViolation:
    """Record a violation; one recorded closed gets `resolved_on` today unless a day is given."""
    await partner_for_change(session, partner_id, actor=actor, adding=True, records=RECORDS)
    state = resolved(
        ViolationState(
            policy=body.policy,
            finding=body.finding,
            severity=body.severity,
            status=body.status,
            opened_on=body.opened_on,
            resolved_on=body.resolved_on,
        ),
        resolved_on_sent="resolved_on" in body.model_fields_set,
        today=now.date(),
    )
    violation = ComplianceViolation(
        id=uuid4(), partner_id=partner_id, version=1, created_at=now, updated_at=now
    )
    _apply(violation, state)
    await repository.add_record(session, violation)
    return violation


async def update_violation(
    session: AsyncSession,
    partner_id: UUID,
    violation_id: UUID,
    patch: ViolationPatch,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> ComplianceViolation:
    """Change a violation read at the version `if_match` names: move its status, correct its facts."""
    await partner_for_change(session, partner_id, actor=actor, adding=False, records=RECORDS)
    violation = await VIOLATIONS.to_change(
        session, partner_id, violation_id, if_match=if_match, required=True
    )
    before = _state(violation)
    after = changed_state(before, patch.model_dump(exclude_unset=True), today=now.date())
    if after == before:
        return violation
    _apply(violation, after)
    await bump_version(session, violation, at=now)
    return violation


# --- the summary -------------------------------------------------------------------------------------------


async def compliance_summary(
    session: AsyncSession, partner_id: UUID, *, viewer: Principal, now: datetime
) -> ComplianceSummaryOut:
    """The partner's compliance facts as of the day of `now` (UTC)."""
    await visible_partner(session, partner_id, viewer=viewer)
    today = now.date()
    counts = await repository.violation_counts(session, partner_id)
    open_by_severity = {
        severity.value: sum(
            counts.get((status.value, severity.value), 0) for status in OPEN_VIOLATION_STATUSES
        )
        for severity in ViolationSeverity
    }
    by_status = {
        status.value: sum(counts.get((status.value, severity.value), 0) for severity in ViolationSeverity)
        for status in ViolationStatus
    }
    audit_count, audits_failed = await repository.audit_counts(session, partner_id)
    last = await repository.last_audit(session, partner_id)
    return ComplianceSummaryOut(
        partner_id=partner_id,
        as_of=today,
        open_violations=SeverityCounts(**open_by_severity),
        open_violations_total=sum(open_by_severity.values()),
        oldest_open_violation_opened_on=await repository.oldest_open_violation_opened_on(session, partner_id),
        violations_by_status=ViolationStatusCounts(**by_status),
        audit_count=audit_count,
        last_audit=audit_out(last) if last is not None else None,
        audits_failed=audits_failed,
        has_current_agreement=await agreements.current_agreement_id(session, partner_id, today) is not None,
    )
