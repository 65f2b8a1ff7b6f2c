"""Channel-conflict cases: opening, tagging root causes, the stage workflow with its steps, statistics.

Every change bumps the case's version, records a step (for moves and notes) and writes an outbox event, in
the caller's transaction. A partner's own credential sees only the cases it is a party to (others do not
exist for it: 404), may open a case it is a party to and add notes, but not edit or move cases. The ids it
names in a body are its own (registrations, territories) or ones it can see (partners it shares a case
with); any other id gets the answer a made-up one gets.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from prm_contracts.conflicts import (
    CONFLICT_CASE_OPENED,
    CONFLICT_CASE_STAGE_CHANGED,
    CONFLICT_CASE_UPDATED,
    VENDOR_DIRECT,
    ConflictCaseIn,
    ConflictCaseOpened,
    ConflictCaseOut,
    ConflictCasePatch,
    ConflictCaseStageChanged,
    ConflictCaseUpdated,
    ConflictStage,
    ConflictType,
    Party,
    Resolution,
    ResolutionIn,
    RootCause,
    RootCauseTag,
)
from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_contracts.problem import Conflict, Forbidden, NotFound, UnprocessableContent, ValidationIssue
from prm_kit.db import bump_version, ordered_id
from prm_kit.db.core import is_postgresql
from prm_kit.db.json_items import page_body
from prm_kit.etag import check_if_match
from prm_kit.outbox import add_event
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from partner_registry.conflicts import repository
from partner_registry.conflicts.models import (
    ConflictCase,
    ConflictCaseParty,
    ConflictCaseRootCause,
    ConflictCaseStep,
    StepKind,
)
from partner_registry.conflicts.schemas import (
    CaseFilters,
    ConflictStatistics,
    MonthCounts,
    OpenCasesByAge,
    RecordedStepOut,
    StepIn,
    StepOut,
    TimeToResolution,
    case_item,
    case_out,
    parties_of,
    step_out,
)
from partner_registry.conflicts.statistics import (
    Period,
    age_bucket_bounds,
    exact_median_seconds,
    months,
)
from partner_registry.conflicts.workflow import check_move
from partner_registry.deal_registrations.models import DealRegistration
from partner_registry.partners.models import Partner
from partner_registry.partners.service import EVENT_SOURCE
from partner_registry.territories.models import Territory

CASE_ORDER = "-reported_at"
CASE_PAGE = Page[ConflictCaseOut]
STEP_ORDER = "occurred_at"


class ConflictCaseClosed(Conflict):
    slug, title = "conflict-case-closed", "Conflict case is closed"


# --- reading -----------------------------------------------------------------------------------------------


async def visible_case(
    session: AsyncSession, case_id: UUID, *, viewer: Principal, for_update: bool = False
) -> ConflictCase:
    """The case if it exists and `viewer` may see it: a partner's own credential sees its own cases only."""
    case = await repository.case_by_id(session, case_id, for_update=for_update)
    if case is None or (
        viewer.partner_id is not None and viewer.partner_id not in {p.partner_id for p in case.parties}
    ):
        raise NotFound(f"no conflict case {case_id}")
    return case


async def list_cases(
    session: AsyncSession, filters: CaseFilters, *, viewer: Principal, limit: int, cursor: str | None
) -> bytes:
    """A page of cases as JSON (`Page[ConflictCaseOut]`), most recently reported first; a partner's own
    credential sees only the cases it is a party to."""
    after = keyset_position(cursor, CASE_ORDER, datetime)
    cases = await repository.case_page(
        session, filters, after=after, limit=limit + 1, only_party=viewer.partner_id
    )
    return page_body(
        cases,
        limit,
        cursor_of=lambda row: keyset_cursor(CASE_ORDER, row.reported_at, row.id),
        items_are_json=is_postgresql(session),
        out=case_item,
        page=CASE_PAGE,
    )


async def list_steps(
    session: AsyncSession, case_id: UUID, *, viewer: Principal, limit: int, cursor: str | None
) -> Page[StepOut]:
    await visible_case(session, case_id, viewer=viewer)
    after = keyset_position(cursor, STEP_ORDER, datetime)
    steps = await repository.step_page(session, case_id, after=after, limit=limit + 1)
    return page_of(
        steps,
        limit,
        out=step_out,
        cursor_of=lambda s: keyset_cursor(STEP_ORDER, s.occurred_at, s.id),
    )


# --- changing ----------------------------------------------------------------------------------------------


async def _ensure_partners_exist(session: AsyncSession, parties: list[Party], *, actor: Principal) -> None:
    """422 naming each party the registry does not hold or, for a partner's own credential, that it cannot
    see: itself and the partners it shares a case with (it sees them there). Other partners are hidden from
    it, so naming one gets the answer an unknown id gets (no existence oracle); the other side of a conflict
    the registry detected stays hidden too, and a channel manager brings it in."""
    wanted = [party for party in parties if isinstance(party, UUID)]
    if actor.partner_id is not None:
        visible = {actor.partner_id} | await repository.co_parties(session, actor.partner_id, wanted)
        wanted = [party for party in wanted if party in visible]
    found = await repository.existing_ids(session, Partner.id, wanted)
    issues = [
        ValidationIssue(loc=["body", "parties", index], msg=f"no partner {party}", type="partner_unknown")
        for index, party in enumerate(parties)
        if isinstance(party, UUID) and party not in found
    ]
    if issues:
        raise UnprocessableContent("parties: " + "; ".join(issue.msg for issue in issues), errors=issues)


async def _ensure_linked_records_exist(
    session: AsyncSession,
    deal_registration_ids: list[UUID] | None,
    territory_ids: list[UUID] | None,
    *,
    actor: Principal,
) -> None:
    """422 naming each linked deal registration or territory the registry does not hold or, for a partner's
    own credential, that is not the partner's own: a rival's registration or territory is linked by the
    conflict detector or a channel manager, and to the partner it is as unknown as a made-up id."""
    issues = []
    for field, ids, id_column, owner_column, noun in (
        (
            "deal_registration_ids",
            deal_registration_ids,
            DealRegistration.id,
            DealRegistration.partner_id,
            "deal registration",
        ),
        ("territory_ids", territory_ids, Territory.id, Territory.partner_id, "territory"),
    ):
        found = await repository.existing_ids(
            session, id_column, ids or [], owner_column=owner_column, owner=actor.partner_id
        )
        issues += [
            ValidationIssue(loc=["body", field, index], msg=f"no {noun} {linked}", type=f"{field}_unknown")
            for index, linked in enumerate(ids or [])
            if linked not in found
        ]
    if issues:
        raise UnprocessableContent("; ".join(issue.msg for issue in issues), errors=issues)


def _root_cause_rows(case_id: UUID, tags: list[RootCauseTag]) -> list[ConflictCaseRootCause]:
    return [
        ConflictCaseRootCause(case_id=case_id, cause=tag.cause.value, detail=tag.detail, position=position)
        for position, tag in enumerate(tags)
    ]


def _replace_root_causes(case: ConflictCase, tags: list[RootCauseTag]) -> None:
    """Update kept rows in place (a delete and an insert of one key in the same flush would collide)."""
    existing = {row.cause: row for row in case.root_causes}
    rows = []
    for position, tag in enumerate(tags):
        row = existing.get(tag.cause.value) or ConflictCaseRootCause(case_id=case.id, cause=tag.cause.value)
        row.detail, row.position = tag.detail, position
        rows.append(row)
    case.root_causes = rows


async def open_case(
    session: AsyncSession, body: ConflictCaseIn, *, actor: Principal, now: datetime
) -> ConflictCase:
    """Open a case in stage `reported`; a partner's own credential only for a conflict it is a party to."""
    if actor.partner_id is not None and actor.partner_id not in body.parties:
        raise Forbidden("a partner's own credential may only open cases it is a party to")
    await _ensure_partners_exist(session, body.parties, actor=actor)
    await _ensure_linked_records_exist(session, body.deal_registration_ids, body.territory_ids, actor=actor)
    case_id = uuid4()
    partners = [party for party in body.parties if isinstance(party, UUID)]
    case = ConflictCase(
        id=case_id,
        conflict_type=body.conflict_type.value,
        stage=ConflictStage.REPORTED.value,
        description=body.description,
        vendor_direct=VENDOR_DIRECT in body.parties,
        deal_registration_ids=[str(i) for i in body.deal_registration_ids],
        territory_ids=[str(i) for i in body.territory_ids],
        reported_by=actor.subject,
        reported_at=now,
        stage_changed_at=now,
        closed_at=None,
        ruling=None,
        outcome=None,
        awarded_to=None,
        decided_by=None,
        decided_at=None,
        version=1,
        updated_at=now,
        parties=[
            ConflictCaseParty(case_id=case_id, partner_id=partner_id, position=position)
            for position, partner_id in enumerate(partners)
        ],
        root_causes=_root_cause_rows(case_id, body.root_causes),
    )
    await repository.add_case(session, case)
    await _add_step(session, case, StepKind.OPENED, actor=actor, at=now, to_stage=ConflictStage.REPORTED)
    await add_event(
        session, type=CONFLICT_CASE_OPENED, source=EVENT_SOURCE, data=ConflictCaseOpened(case=case_out(case))
    )
    return case


async def _add_step(
    session: AsyncSession,
    case: ConflictCase,
    kind: StepKind,
    *,
    actor: Principal,
    at: datetime,
    from_stage: ConflictStage | None = None,
    to_stage: ConflictStage | None = None,
    notes: str | None = None,
    resolution: Resolution | None = None,
) -> ConflictCaseStep:
    details: dict[str, Any] = {"resolution": resolution.model_dump(mode="json")} if resolution else {}
    step = ConflictCaseStep(
        id=ordered_id(),
        case_id=case.id,
        kind=kind.value,
        from_stage=from_stage.value if from_stage else None,
        to_stage=to_stage.value if to_stage else None,
        notes=notes,
        actor=actor.subject,
        occurred_at=at,
        case_version=case.version,
        details=details,
    )
    await repository.add_step(session, step)
    return step


def _values(case: ConflictCaseOut) -> dict[str, Any]:
    return case.model_dump(
        mode="json", include={"description", "deal_registration_ids", "territory_ids", "root_causes"}
    )


async def update_case(
    session: AsyncSession,
    case_id: UUID,
    patch: ConflictCasePatch,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> ConflictCase:
    """Change the description, linked ids or root causes of a case read at the version `if_match` names.
    A closed case keeps its record as it was (409)."""
    if actor.partner_id is not None:
        raise Forbidden("a partner's own credential cannot edit conflict cases; add a note instead")
    case = await visible_case(session, case_id, viewer=actor, for_update=True)
    check_if_match(if_match, case.version, required=True, resource="conflict case")
    before = _values(case_out(case))
    # not exclude_unset: it would drop unset fields of nested root causes too ({"cause": ...} without detail)
    sent = {
        name: value for name, value in patch.model_dump(mode="json").items() if name in patch.model_fields_set
    }
    after = {**before, **sent}
    changed = [name for name in before if before[name] != after[name]]
    if not changed:
        return case
    _ensure_open(case)
    await _ensure_linked_records_exist(session, patch.deal_registration_ids, patch.territory_ids, actor=actor)
    if patch.description is not None:
        case.description = patch.description
    if patch.deal_registration_ids is not None:
        case.deal_registration_ids = [str(i) for i in patch.deal_registration_ids]
    if patch.territory_ids is not None:
        case.territory_ids = [str(i) for i in patch.territory_ids]
    if patch.root_causes is not None:
        _replace_root_causes(case, patch.root_causes)
    await bump_version(session, case, at=now)
    await add_event(
        session,
        type=CONFLICT_CASE_UPDATED,
        source=EVENT_SOURCE,
        data=ConflictCaseUpdated(case=case_out(case), changed_fields=changed),
    )
    return case


def _ensure_open(case: ConflictCase) -> None:
    if case.stage == ConflictStage.CLOSED:
        raise ConflictCaseClosed(f"conflict case {case.id} is closed; its record stays as it was")


def _resolution(body: ResolutionIn, case: ConflictCase, *, actor: Principal, now: datetime) -> Resolution:
    if body.awarded_to is not None and body.awarded_to not in parties_of(case):
        msg = "awarded_to must be one of the case's parties"
        raise UnprocessableContent(
            msg,
            errors=[ValidationIssue(loc=["body", "resolution", "awarded_to"], msg=msg, type="not_a_party")],
        )
    return Resolution(
        ruling=body.ruling,
        outcome=body.outcome,
        awarded_to=body.awarded_to,
        decided_by=body.decided_by or actor.subject,
        decided_at=now,
    )


async def record_step(
    session: AsyncSession,
    case_id: UUID,
    body: StepIn,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> RecordedStepOut:
    """A move to a later stage (with the resolution when moving to ruled/closed) or a note."""
    if body.to_stage is not None and actor.partner_id is not None:
        raise Forbidden("a partner's own credential may add notes to a case but not move it")
    case = await visible_case(session, case_id, viewer=actor, for_update=True)
    check_if_match(if_match, case.version, required=False, resource="conflict case")
    current = ConflictStage(case.stage)
    resolution = None
    if body.to_stage is None:
        _ensure_open(case)
        kind = StepKind.NOTE
    else:
        check_move(current, body.to_stage, body.resolution, ruled=case.ruling is not None)
        kind = StepKind.STAGE_CHANGED
        if body.resolution is not None:
            resolution = _resolution(body.resolution, case, actor=actor, now=now)
            case.ruling, case.outcome = resolution.ruling, resolution.outcome.value
            case.awarded_to = str(resolution.awarded_to) if resolution.awarded_to else None
            case.decided_by, case.decided_at = resolution.decided_by, now
        case.stage = body.to_stage.value
        case.stage_changed_at = now
        if body.to_stage == ConflictStage.CLOSED:
            case.closed_at = now
    await bump_version(session, case, at=now)
    step = await _add_step(
        session,
        case,
        kind,
        actor=actor,
        at=now,
        from_stage=current if body.to_stage else None,
        to_stage=body.to_stage,
        notes=body.notes,
        resolution=resolution,
    )
    out = case_out(case)
    if body.to_stage is not None:
        await add_event(
            session,
            type=CONFLICT_CASE_STAGE_CHANGED,
            source=EVENT_SOURCE,
            data=ConflictCaseStageChanged(
                case_id=case.id,
                from_stage=current,
                to_stage=body.to_stage,
                changed_by=actor.subject,
                changed_at=now,
                case=out,
            ),
        )
    return RecordedStepOut(**step_out(step).model_dump(), case=out)


# --- statistics --------------------------------------------------------------------------------------------


async def statistics(
    session: AsyncSession, period: Period, *, viewer: Principal, now: datetime
) -> ConflictStatistics:
    """Counts by type and root cause per month of the cases reported in the period, the median time from
    reported to closed of the cases closed in it, and the open cases by age at its end (or now)."""
    only_party = viewer.partner_id
    start, end = period.start, period.end
    month_labels = months(period)
    by_month_type: dict[str, Counter[str]] = {label: Counter() for label in month_labels}
    by_month_cause: dict[str, Counter[str]] = {label: Counter() for label in month_labels}
    for month, conflict_type, count in await repository.reported_by_month_and_type(
        session, start, end, only_party=only_party
    ):
        by_month_type[month][conflict_type] += count
    for month, cause, count in await repository.reported_by_month_and_root_cause(
        session, start, end, only_party=only_party
    ):
        by_month_cause[month][cause] += count
    month_counts = [
        MonthCounts(
            month=label,
            reported=sum(by_month_type[label].values()),
            by_type={t: by_month_type[label][t.value] for t in ConflictType},
            by_root_cause={c: by_month_cause[label][c.value] for c in RootCause},
        )
        for label in month_labels
    ]
    durations = await repository.resolution_times(session, start, end, only_party=only_party)
    as_of = min(end, now)
    ages = await repository.open_cases_by_age(session, as_of, age_bucket_bounds(as_of), only_party=only_party)
    return ConflictStatistics(
        period=period.label,
        from_date=period.first_day,
        to_date=period.last_day,
        reported=sum(m.reported for m in month_counts),
        by_type={t: sum(m.by_type[t] for m in month_counts) for t in ConflictType},
        by_root_cause={c: sum(m.by_root_cause[c] for m in month_counts) for c in RootCause},
        months=month_counts,
        time_to_resolution=TimeToResolution(
            resolved=len(durations), median_seconds=exact_median_seconds(durations)
        ),
        open_by_age=OpenCasesByAge(as_of=as_of, **ages),
    )
