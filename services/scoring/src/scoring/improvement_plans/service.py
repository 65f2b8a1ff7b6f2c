"""Improvement plans: goals (KPI, target, due date) for a partner, their progress read from analytics' KPI
snapshots, and the plan closed as succeeded or failed.

Progress comes from snapshots over each goal's window (`progress.goal_window`). Two ways in, one rule:

- `POST /v1/improvement-plans/{id}/progress-checks`: the windows are read, the transaction ended, analytics
  asked (`AnalyticsClient.kpi_snapshot`, no transaction open), then the plan is written;
- an event worker (a `kpi.updated` for the partner): `snapshot_windows_for(session, partner_id, today=)` says
  which snapshots the partner's open plans read; with no transaction open it fetches each
  (`kpi_snapshot(partner_id, first_day=, last_day=, currency=)`), then calls
  `refresh_plans_for(session, partner_id, snapshot, now=)` once per snapshot. A snapshot updates the goals
  whose window it covers exactly; the others are left as they were.

A plan is the vendor's: a partner's own credential reads its own plans only and changes none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import structlog
from prm_contracts.clients.analytics import AnalyticsClient
from prm_contracts.clients.registry import RegistryClient
from prm_contracts.kpis import KPI_RANGE_MAX_DAYS, Kpi, KpiSnapshot
from prm_contracts.money import Money
from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_contracts.problem import (
    AppError,
    BadGateway,
    Conflict,
    NotFound,
    UnprocessableContent,
    ValidationIssue,
)
from prm_kit.db import bump_version, end_reading, ordered_id
from prm_kit.etag import check_if_match
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.improvement_plans import repository
from scoring.improvement_plans.models import ImprovementGoal, ImprovementPlan
from scoring.improvement_plans.progress import (
    AMOUNT_KPIS,
    CUMULATIVE_KPIS,
    KpiName,
    Terms,
    Window,
    goal_window,
    judge,
)
from scoring.improvement_plans.schemas import (
    TARGET_LIMIT,
    ImprovementPlanIn,
    ImprovementPlanOut,
    PlanClosureIn,
    PlanStatus,
    plan_out,
)

ORDER = "-created_at"
_log = structlog.get_logger("improvement_plans")
NO_PARTNER_DATA = "analytics has no data of this partner"


class PlanClosed(Conflict):
    slug, title = "improvement-plan-closed", "Improvement plan is closed"


def _invalid(detail: str, loc: list[str | int], kind: str) -> UnprocessableContent:
    return UnprocessableContent(detail, errors=[ValidationIssue(loc=loc, msg=detail, type=kind)])


def _check_goals(body: ImprovementPlanIn, starts_on: date) -> None:
    """Each goal due after the plan starts, within the range analytics reads KPIs over (a longer window could
    never be checked), with a target of the kind its KPI is measured in and a baseline only where one counts."""
    for index, goal in enumerate(body.goals):
        loc: list[str | int] = ["body", "goals", index]
        if goal.due_on <= starts_on:
            raise _invalid(
                f"goal {index} ({goal.kpi.value}) is due on {goal.due_on}, not after the plan's start on "
                f"{starts_on}",
                [*loc, "due_on"],
                "due_before_start",
            )
        read = goal_window(starts_on, goal.due_on, goal.kpi, None, today=goal.due_on)
        assert read is not None  # due after the start
        days = (read.last_day - read.first_day).days + 1
        if days > KPI_RANGE_MAX_DAYS:
            raise _invalid(
                f"goal {index} ({goal.kpi.value}) is read over {days:,} days, from {read.first_day} to "
                f"{read.last_day} (the plan's start on {starts_on} to the goal's due date {goal.due_on}); a "
                f"goal may be read over at most {KPI_RANGE_MAX_DAYS:,} days, the longest range analytics reads "
                "KPIs over",
                [*loc, "due_on"],
                "goal_too_long",
            )
        amount = goal.kpi in AMOUNT_KPIS
        if amount != isinstance(goal.target, Money):
            wanted = (
                'Money ({"amount": "…", "currency": "EUR"})' if amount else 'a decimal string such as "0.9"'
            )
            raise _invalid(
                f"the target of goal {index} ({goal.kpi.value}) must be {wanted}",
                [*loc, "target"],
                "target_kind",
            )
        if goal.baseline is not None and goal.kpi in CUMULATIVE_KPIS:
            raise _invalid(
                f"goal {index} ({goal.kpi.value}) takes no baseline: a cumulative KPI is summed over the plan's "
                "window and starts from 0",
                [*loc, "baseline"],
                "baseline_not_applicable",
            )


async def create_plan(
    session: AsyncSession,
    registry: RegistryClient,
    body: ImprovementPlanIn,
    *,
    actor: Principal,
    now: datetime,
) -> tuple[ImprovementPlan, list[ImprovementGoal]]:
    """A plan for a partner the registry knows (unknown: 422), open, its goals not checked yet."""
    actor.require_vendor("create improvement plans")
    starts_on = body.starts_on or now.date()
    _check_goals(body, starts_on)
    await end_reading(session)
    try:
        await registry.partner(body.partner_id)
    except NotFound as error:
        raise _invalid(
            f"the registry has no partner {body.partner_id}", ["body", "partner_id"], "partner_unknown"
        ) from error
    plan = ImprovementPlan(
        id=ordered_id(),
        partner_id=body.partner_id,
        title=body.title,
        owner=body.owner,
        notes=body.notes,
        status=PlanStatus.OPEN.value,
        starts_on=starts_on,
        created_by=actor.subject,
        version=1,
        created_at=now,
        updated_at=now,
    )
    goals = [
        ImprovementGoal(
            plan_id=plan.id,
            position=position,
            kpi=goal.kpi.value,
            target=goal.target.amount if isinstance(goal.target, Money) else goal.target,
            target_currency=goal.target.currency if isinstance(goal.target, Money) else None,
            due_on=goal.due_on,
            baseline=goal.baseline,
            baseline_on=None,
        )
        for position, goal in enumerate(body.goals)
    ]
    await repository.add(session, plan, goals)
    return plan, goals


async def visible_plan(
    session: AsyncSession, plan_id: UUID, *, viewer: Principal, for_update: bool = False
) -> ImprovementPlan:
    """The plan; another partner's is as unknown to a partner's own credential as a missing one."""
    plan = await repository.plan_by_id(session, plan_id, for_update=for_update)
    if plan is None or (viewer.partner_id is not None and plan.partner_id != viewer.partner_id):
        raise NotFound(f"no improvement plan {plan_id}")
    return plan


async def plan_answer(session: AsyncSession, plan: ImprovementPlan) -> ImprovementPlanOut:
    return plan_out(plan, (await repository.goals_of(session, [plan.id]))[plan.id])


async def list_plans(
    session: AsyncSession,
    *,
    partner_id: UUID | None,
    status: PlanStatus | None,
    viewer: Principal,
    limit: int,
    cursor: str | None,
) -> Page[ImprovementPlanOut]:
    """Plans newest first; a partner's own credential sees its own only (another's list is empty)."""
    after = keyset_position(cursor, ORDER, datetime)
    if viewer.partner_id is not None:
        if partner_id is not None and partner_id != viewer.partner_id:
            return Page[ImprovementPlanOut](items=[])
        partner_id = viewer.partner_id
    plans = await repository.plan_page(
        session, partner_id=partner_id, status=status, after=after, limit=limit + 1
    )
    goals = await repository.goals_of(session, [plan.id for plan in plans[:limit]])
    return page_of(
        plans,
        limit,
        out=lambda plan: plan_out(plan, goals[plan.id]),
        cursor_of=lambda plan: keyset_cursor(ORDER, plan.created_at, plan.id),
    )


def _ensure_open(plan: ImprovementPlan) -> None:
    if plan.status != PlanStatus.OPEN.value:
        raise PlanClosed(
            f"improvement plan {plan.id} was closed as {plan.status} at {plan.closed_at:%Y-%m-%dT%H:%M:%SZ}; "
            "a closed plan does not change",
            plan_status=plan.status,
        )


async def close_plan(
    session: AsyncSession,
    plan_id: UUID,
    body: PlanClosureIn,
    *,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> ImprovementPlanOut:
    """Close an open plan read at the version `if_match` names, as succeeded or failed (409 once closed)."""
    actor.require_vendor("close improvement plans")
    plan = await visible_plan(session, plan_id, viewer=actor, for_update=True)
    _ensure_open(plan)
    check_if_match(if_match, plan.version, required=True, resource="improvement plan")
    plan.status = body.outcome
    plan.closed_at = now
    plan.closed_by = actor.subject
    plan.closing_note = body.note
    await bump_version(session, plan, at=now)
    return await plan_answer(session, plan)


# ---- progress -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """A snapshot's KPIs over its window, or (`values` empty) why there are none."""

    window: Window
    values: dict[str, Kpi] = field(default_factory=dict)
    missing_reason: str = NO_PARTNER_DATA


def reading_of(snapshot: KpiSnapshot) -> Reading:
    values = {kpi.value: getattr(snapshot, kpi.value) for kpi in KpiName}
    return Reading(Window(snapshot.first_day, snapshot.last_day, snapshot.currency), values)


def _window(plan: ImprovementPlan, goal: ImprovementGoal, today: date) -> Window | None:
    return goal_window(plan.starts_on, goal.due_on, KpiName(goal.kpi), goal.target_currency, today=today)


def snapshot_windows(
    plans: list[tuple[ImprovementPlan, list[ImprovementGoal]]], *, today: date
) -> list[Window]:
    """The snapshots the plans' goals read, each once: an amount goal's in its target's currency, the others'
    in any currency (the partner's own when no amount goal shares their days)."""
    windows: list[Window] = []
    for plan, goals in plans:
        for goal in goals:
            window = _window(plan, goal, today)
            if window is not None and window not in windows:
                windows.append(window)
    priced_days = {(w.first_day, w.last_day) for w in windows if w.currency is not None}
    return [w for w in windows if w.currency is not None or (w.first_day, w.last_day) not in priced_days]


def _covers(reading: Window, wanted: Window) -> bool:
    return (reading.first_day, reading.last_day) == (wanted.first_day, wanted.last_day) and (
        wanted.currency is None or wanted.currency == reading.currency
    )


def _fits(value: Decimal | None) -> bool:
    return value is None or abs(value) < TARGET_LIMIT * 10


def apply_reading(
    plan: ImprovementPlan, goals: list[ImprovementGoal], reading: Reading, *, now: datetime
) -> bool:
    """Update the plan's goals whose window `reading` covers; True when it covered any."""
    today = now.date()
    touched = False
    for goal in goals:
        window = _window(plan, goal, today)
        if window is None or not _covers(reading.window, window):
            continue
        kpi = reading.values.get(goal.kpi)
        value, reason = (None, reading.missing_reason) if kpi is None else (kpi.value, kpi.reason)
        if not _fits(value):
            value, reason = None, f"value {value} is beyond what a goal can hold"
        terms = Terms(
            KpiName(goal.kpi), goal.target, plan.starts_on, goal.due_on, goal.baseline, goal.baseline_on
        )
        # the day judged: the window's last, which a whole-month read (WHOLE_MONTH_KPIS) may run past
        progress = judge(terms, value, reason, as_of=min(today, goal.due_on), today=today)
        goal.state = progress.state.value
        goal.value, goal.expected, goal.reason = progress.value, progress.expected, progress.reason
        goal.baseline, goal.baseline_on = progress.baseline, progress.baseline_on
        goal.measured_from, goal.measured_to, goal.checked_at = window.first_day, window.last_day, now
        touched = True
    return touched


async def _checked(session: AsyncSession, plan: ImprovementPlan, *, now: datetime) -> None:
    plan.last_checked_at = now
    await bump_version(session, plan, at=now)


async def snapshot_windows_for(session: AsyncSession, partner_id: UUID, *, today: date) -> list[Window]:
    """The snapshots the partner's open plans read today (for an event worker: fetch them, then call
    `refresh_plans_for` with each)."""
    plans = await repository.open_plans_of(session, partner_id, for_update=False)
    goals = await repository.goals_of(session, [plan.id for plan in plans])
    return snapshot_windows([(plan, goals[plan.id]) for plan in plans], today=today)


async def refresh_plans_for(
    session: AsyncSession, partner_id: UUID, snapshot: KpiSnapshot, *, now: datetime
) -> int:
    """Apply one KPI snapshot of the partner to the goals of its open plans whose window it covers; how many
    plans changed. Makes no remote call: the caller fetched `snapshot` with no transaction open."""
    plans = await repository.open_plans_of(session, partner_id, for_update=True)
    goals = await repository.goals_of(session, [plan.id for plan in plans])
    reading = reading_of(snapshot)
    changed = 0
    for plan in plans:
        if apply_reading(plan, goals[plan.id], reading, now=now):
            await _checked(session, plan, now=now)
            changed += 1
    return changed


async def fetched_snapshots(
    analytics: AnalyticsClient, partner_id: UUID, windows: list[Window]
) -> list[KpiSnapshot]:
    """The snapshots of `windows` analytics has (for an event worker, with no transaction open); a window
    analytics has no data for, or refuses (a plan older than the range it reads), is left out, so the goals
    reading it stay as they were and the partner's score is refreshed all the same."""
    found: list[KpiSnapshot] = []
    for window in windows:
        try:
            found.append(
                await analytics.kpi_snapshot(
                    partner_id, first_day=window.first_day, last_day=window.last_day, currency=window.currency
                )
            )
        except NotFound:
            continue
        except AppError as error:
            if error.status >= 500:
                raise
            _log.warning(
                "plan_window_refused",
                partner_id=str(partner_id),
                window=f"{window.first_day}..{window.last_day}",
                status=error.status,
                detail=error.detail,
            )
    return found


async def _read(analytics: AnalyticsClient, partner_id: UUID, window: Window) -> Reading:
    try:
        snapshot = await analytics.kpi_snapshot(
            partner_id, first_day=window.first_day, last_day=window.last_day, currency=window.currency
        )
    except NotFound:
        return Reading(window)
    except AppError as error:
        if error.status >= 500:
            raise
        # analytics refused our question (its 422 would name its own query parameters, not the caller's)
        raise BadGateway(
            f"analytics refused the partner's KPIs over {window.first_day}..{window.last_day} "
            f"({error.status}: {error.detail})"
        ) from error
    return reading_of(snapshot)


async def check_progress(
    session: AsyncSession, analytics: AnalyticsClient, plan_id: UUID, *, actor: Principal, now: datetime
) -> ImprovementPlanOut:
    """Read the plan's windows, ask analytics with no transaction open, then write every goal's progress."""
    actor.require_vendor("check improvement plans")
    plan = await visible_plan(session, plan_id, viewer=actor)
    _ensure_open(plan)
    goals = (await repository.goals_of(session, [plan.id]))[plan.id]
    windows = snapshot_windows([(plan, goals)], today=now.date())
    await end_reading(session)
    readings = [await _read(analytics, plan.partner_id, window) for window in windows]

    plan = await visible_plan(session, plan_id, viewer=actor, for_update=True)
    _ensure_open(plan)  # closed while analytics answered
    goals = (await repository.goals_of(session, [plan.id]))[plan.id]
    touched = [apply_reading(plan, goals, reading, now=now) for reading in readings]
    if any(touched):
        await _checked(session, plan, now=now)
    return plan_out(plan, goals)
