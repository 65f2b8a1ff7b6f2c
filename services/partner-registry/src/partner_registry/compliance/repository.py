"""Every query of the compliance domain."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import sqlalchemy as sa
from prm_contracts.compliance import OPEN_VIOLATION_STATUSES, AuditOutcome, ViolationSeverity, ViolationStatus
from prm_kit.pagination import KeysetPosition, keyset_after, keyset_order
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.compliance.models import ComplianceAudit, ComplianceViolation

_OPEN = [status.value for status in OPEN_VIOLATION_STATUSES]


async def audit_of(session: AsyncSession, partner_id: UUID, audit_id: UUID) -> ComplianceAudit | None:
    audit: ComplianceAudit | None = await session.scalar(
        sa.select(ComplianceAudit)
        .where(ComplianceAudit.id == audit_id, ComplianceAudit.partner_id == partner_id)
        .execution_options(populate_existing=True)
    )
    return audit


async def audit_page(
    session: AsyncSession, partner_id: UUID, *, after: KeysetPosition[date] | None, limit: int
) -> list[ComplianceAudit]:
    """A partner's audits, the latest first."""
    statement = (
        sa.select(ComplianceAudit)
        .where(
            ComplianceAudit.partner_id == partner_id,
            keyset_after(ComplianceAudit.audited_on, ComplianceAudit.id, after, descending=True),
        )
        .order_by(*keyset_order(ComplianceAudit.audited_on, ComplianceAudit.id, descending=True))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def violation_of(
    session: AsyncSession, partner_id: UUID, violation_id: UUID
) -> ComplianceViolation | None:
    violation: ComplianceViolation | None = await session.scalar(
        sa.select(ComplianceViolation)
        .where(ComplianceViolation.id == violation_id, ComplianceViolation.partner_id == partner_id)
        .execution_options(populate_existing=True)
    )
    return violation


async def violation_page(
    session: AsyncSession,
    partner_id: UUID,
    *,
    statuses: list[ViolationStatus],
    severities: list[ViolationSeverity],
    after: KeysetPosition[date] | None,
    limit: int,
) -> list[ComplianceViolation]:
    """A partner's violations, the latest opened first."""
    statement = sa.select(ComplianceViolation).where(ComplianceViolation.partner_id == partner_id)
    if statuses:
        statement = statement.where(ComplianceViolation.status.in_([s.value for s in statuses]))
    if severities:
        statement = statement.where(ComplianceViolation.severity.in_([s.value for s in severities]))
    statement = (
        statement.where(
            keyset_after(ComplianceViolation.opened_on, ComplianceViolation.id, after, descending=True)
        )
        .order_by(*keyset_order(ComplianceViolation.opened_on, ComplianceViolation.id, descending=True))
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def add_record(session: AsyncSession, record: ComplianceAudit | ComplianceViolation) -> None:
    session.add(record)
    await session.flush()


async def violation_counts(session: AsyncSession, partner_id: UUID) -> dict[tuple[str, str], int]:
    """How many violations the partner has, by (status, severity)."""
    rows = await session.execute(
        sa.select(ComplianceViolation.status, ComplianceViolation.severity, sa.func.count())
        .where(ComplianceViolation.partner_id == partner_id)
        .group_by(ComplianceViolation.status, ComplianceViolation.severity)
    )
    return {(status, severity): int(count) for status, severity, count in rows.all()}


async def oldest_open_violation_opened_on(session: AsyncSession, partner_id: UUID) -> date | None:
    oldest: date | None = await session.scalar(
        sa.select(sa.func.min(ComplianceViolation.opened_on)).where(
            ComplianceViolation.partner_id == partner_id, ComplianceViolation.status.in_(_OPEN)
        )
    )
    return oldest


async def audit_counts(session: AsyncSession, partner_id: UUID) -> tuple[int, int]:
    """(all audits, failed audits) of the partner."""
    failed = sa.func.count().filter(ComplianceAudit.outcome == AuditOutcome.FAILED.value)
    row = (
        await session.execute(
            sa.select(sa.func.count(), failed).where(ComplianceAudit.partner_id == partner_id)
        )
    ).one()
    return int(row[0]), int(row[1])


async def last_audit(session: AsyncSession, partner_id: UUID) -> ComplianceAudit | None:
    audit: ComplianceAudit | None = await session.scalar(
        sa.select(ComplianceAudit)
        .where(ComplianceAudit.partner_id == partner_id)
        .order_by(
            ComplianceAudit.audited_on.desc(), ComplianceAudit.created_at.desc(), ComplianceAudit.id.desc()
        )
        .limit(1)
    )
    return audit
