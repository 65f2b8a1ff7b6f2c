"""HTTP of a partner's compliance record: `/v1/partners/{partner_id}/compliance/...`."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from prm_contracts.compliance import (
    AuditIn,
    AuditOut,
    AuditPatch,
    ComplianceSummaryOut,
    ViolationIn,
    ViolationOut,
    ViolationPatch,
    ViolationSeverity,
    ViolationStatus,
)
from prm_contracts.pagination import Page
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_response, set_etag
from prm_kit.idempotency import IdempotencyDep, created
from prm_kit.internal_auth import PrincipalDep, require
from prm_kit.pagination import CursorQuery, LimitQuery

from partner_registry.compliance import service
from partner_registry.compliance.schemas import audit_out, violation_out

router = APIRouter(prefix="/v1/partners/{partner_id}/compliance", tags=["compliance"])

READ = require("partners:read")
WRITE = require("partners:write")


@router.get(
    "/summary",
    response_model=ComplianceSummaryOut,
    summary="Get a partner's compliance summary",
    responses=problems(403, 404),
    dependencies=[READ],
)
async def get_partner_compliance_summary(
    partner_id: UUID, session: SessionDep, who: PrincipalDep, now: NowDep
) -> ComplianceSummaryOut:
    """The facts scoring's gates and analytics' compliance KPI read, as of today (UTC): open violations by
    severity and the oldest one's opening day, violations by status, audit counts and the last audit, and
    whether the partner has a current agreement."""
    return await service.compliance_summary(session, partner_id, viewer=who, now=now)


# --- audits ------------------------------------------------------------------------------------------------


@router.get(
    "/audits",
    response_model=Page[AuditOut],
    summary="List a partner's compliance audits",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def list_partner_compliance_audits(
    partner_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[AuditOut]:
    """The partner's audits, the latest first."""
    return await service.list_audits(session, partner_id, viewer=who, limit=limit, cursor=cursor)


@router.post(
    "/audits",
    status_code=201,
    response_model=AuditOut,
    summary="Record a compliance audit of a partner",
    responses={**etag_response(201), **problems(403, 404, 409, 422)},
    dependencies=[WRITE],
)
async def record_partner_compliance_audit(
    partner_id: UUID,
    body: AuditIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
) -> Response:
    """Records an audit that took place (not in the future). 409 when the partner is terminated. Not open
    to a partner's own credential."""
    audit = await service.record_audit(session, partner_id, body, actor=who, now=now)
    location = f"/v1/partners/{partner_id}/compliance/audits/{audit.id}"
    return await created(session, idempotency, audit_out(audit), location=location, version=audit.version)


@router.get(
    "/audits/{audit_id}",
    response_model=AuditOut,
    summary="Get a partner's compliance audit",
    responses={**etag_response(200), **problems(403, 404)},
    dependencies=[READ],
)
async def get_partner_compliance_audit(
    partner_id: UUID, audit_id: UUID, session: SessionDep, who: PrincipalDep, response: Response
) -> AuditOut:
    """The audit, with its version as `ETag` for a later update."""
    audit = await service.visible_audit(session, partner_id, audit_id, viewer=who)
    set_etag(response, audit.version)
    return audit_out(audit)


@router.patch(
    "/audits/{audit_id}",
    response_model=AuditOut,
    summary="Correct a partner's compliance audit",
    responses={**etag_response(200), **problems(403, 404, 412, 422, 428)},
    dependencies=[WRITE],
)
async def update_partner_compliance_audit(
    partner_id: UUID,
    audit_id: UUID,
    body: AuditPatch,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> AuditOut:
    """Changes the fields sent. `If-Match` is required (428 without, 412 when stale). Audits are evidence:
    they are corrected, never removed."""
    audit = await service.update_audit(
        session, partner_id, audit_id, body, if_match=if_match, actor=who, now=now
    )
    set_etag(response, audit.version)
    return audit_out(audit)


# --- violations --------------------------------------------------------------------------------------------


@router.get(
    "/violations",
    response_model=Page[ViolationOut],
    summary="List a partner's compliance violations",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def list_partner_compliance_violations(
    partner_id: UUID,
    session: SessionDep,
    who: PrincipalDep,
    status: Annotated[list[ViolationStatus] | None, Query(description="Any of these statuses.")] = None,
    severity: Annotated[list[ViolationSeverity] | None, Query(description="Any of these severities.")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ViolationOut]:
    """The partner's violations, the latest opened first."""
    return await service.list_violations(
        session,
        partner_id,
        viewer=who,
        statuses=status or [],
        severities=severity or [],
        limit=limit,
        cursor=cursor,
    )


@router.post(
    "/violations",
    status_code=201,
    response_model=ViolationOut,
    summary="Record a compliance violation of a partner",
    responses={**etag_response(201), **problems(403, 404, 409, 422)},
    dependencies=[WRITE],
)
async def record_partner_compliance_violation(
    partner_id: UUID,
    body: ViolationIn,
    session: SessionDep,
    who: PrincipalDep,
    idempotency: IdempotencyDep,
    now: NowDep,
) -> Response:
    """Records a violation, `open` unless said otherwise; a closed one (`resolved`, `waived`) gets
    `resolved_on`, today when not given. 409 when the partner is terminated. Not open to a partner's own
    credential."""
    violation = await service.record_violation(session, partner_id, body, actor=who, now=now)
    location = f"/v1/partners/{partner_id}/compliance/violations/{violation.id}"
    return await created(
        session, idempotency, violation_out(violation), location=location, version=violation.version
    )


@router.get(
    "/violations/{violation_id}",
    response_model=ViolationOut,
    summary="Get a partner's compliance violation",
    responses={**etag_response(200), **problems(403, 404)},
    dependencies=[READ],
)
async def get_partner_compliance_violation(
    partner_id: UUID, violation_id: UUID, session: SessionDep, who: PrincipalDep, response: Response
) -> ViolationOut:
    """The violation, with its version as `ETag` for a later update."""
    violation = await service.visible_violation(session, partner_id, violation_id, viewer=who)
    set_etag(response, violation.version)
    return violation_out(violation)


@router.patch(
    "/violations/{violation_id}",
    response_model=ViolationOut,
    summary="Update a partner's compliance violation",
    responses={**etag_response(200), **problems(403, 404, 412, 422, 428)},
    dependencies=[WRITE],
)
async def update_partner_compliance_violation(
    partner_id: UUID,
    violation_id: UUID,
    body: ViolationPatch,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> ViolationOut:
    """Moves its status (closing sets `resolved_on`, today when not given; reopening clears it) or corrects
    its facts. `If-Match` is required (428 without, 412 when stale). Violations are evidence: one raised in
    error is `waived`, not removed."""
    violation = await service.update_violation(
        session, partner_id, violation_id, body, if_match=if_match, actor=who, now=now
    )
    set_etag(response, violation.version)
    return violation_out(violation)
