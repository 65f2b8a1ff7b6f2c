"""ORM → contract conversions of audits and violations (the bodies live in `prm_contracts.compliance`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prm_contracts.compliance import AuditOut, AuditOutcome, ViolationOut, ViolationSeverity, ViolationStatus

if TYPE_CHECKING:
    from partner_registry.compliance.models import ComplianceAudit, ComplianceViolation


def audit_out(audit: ComplianceAudit) -> AuditOut:
    return AuditOut(
        id=audit.id,
        partner_id=audit.partner_id,
        audited_on=audit.audited_on,
        auditor=audit.auditor,
        scope=audit.scope,
        outcome=AuditOutcome(audit.outcome),
        notes=audit.notes,
        version=audit.version,
        created_at=audit.created_at,
        updated_at=audit.updated_at,
    )


def violation_out(violation: ComplianceViolation) -> ViolationOut:
    return ViolationOut(
        id=violation.id,
        partner_id=violation.partner_id,
        policy=violation.policy,
        finding=violation.finding,
        severity=ViolationSeverity(violation.severity),
        status=ViolationStatus(violation.status),
        opened_on=violation.opened_on,
        resolved_on=violation.resolved_on,
        version=violation.version,
        created_at=violation.created_at,
        updated_at=violation.updated_at,
    )
