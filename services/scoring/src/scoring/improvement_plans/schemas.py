"""Bodies of the improvement-plan endpoints, and ORM → body conversion."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID

from prm_contracts.dates import IsoDate
from prm_contracts.kpis import KpiNumber, parse_kpi_number
from prm_contracts.money import Money
from prm_contracts.text import NOT_BLANK, SINGLE_LINE
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)

from scoring.improvement_plans.progress import LOWER_IS_BETTER, GoalState, KpiName

if TYPE_CHECKING:
    from scoring.improvement_plans.models import ImprovementGoal, ImprovementPlan

MAX_GOALS = 20
# what the goal columns hold exactly on every backend (NUMERIC(19, 6))
TARGET_LIMIT = Decimal(10) ** 12


class PlanStatus(StrEnum):
    OPEN = "open"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def parse_target(value: Any) -> Decimal | Money:
    """A decimal string, or Money (`{"amount", "currency"}`) for amount KPIs; never a JSON number."""
    target: Decimal | Money
    if isinstance(value, Money):
        target = value
    elif isinstance(value, dict):
        target = Money.model_validate(value)
    else:
        target = parse_kpi_number(value)
    amount = target.amount if isinstance(target, Money) else target
    if abs(amount) >= TARGET_LIMIT:
        raise ValueError(f"must be below {TARGET_LIMIT:,} in magnitude")
    return target


def _dump_target(target: Decimal | Money) -> Any:
    return target.model_dump(mode="json") if isinstance(target, Money) else format(target, "f")


Target = Annotated[
    Decimal | Money,
    PlainValidator(parse_target),
    PlainSerializer(_dump_target),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "string", "pattern": r"^-?[0-9]{1,12}(\.[0-9]{1,6})?$", "examples": ["0.9"]},
                {"$ref": "#/components/schemas/Money"},
            ],
            "description": "A decimal string; Money for the amount KPIs (revenue, gross_profit, "
            "customer_acquisition_cost, customer_lifetime_value).",
        }
    ),
]
OneLine = Annotated[str, StringConstraints(min_length=1, max_length=200), NOT_BLANK, SINGLE_LINE]
Notes = Annotated[str, StringConstraints(min_length=1, max_length=4000), NOT_BLANK]


# Spelled out: composed field by field, a goal got a bare number as the target of `revenue` (an amount KPI)
# and a baseline (cumulative KPIs take none), both refused. The plan's example is composed from this and its
# fields' examples (an example of its own would lend the answer, `ImprovementPlanOut`, its goals);
# tests/test_documented_examples.py sends it as it stands.
_EXAMPLE_GOAL: dict[str, Any] = {"kpi": "nps", "target": "40", "due_on": "2027-03-31", "baseline": "10"}


class GoalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE_GOAL]})

    kpi: KpiName = Field(description="A KPI of analytics' snapshot (`KpiSnapshot`).")
    target: Target
    due_on: IsoDate = Field(description="The goal's last day; after it, a goal not met is missed.")
    baseline: KpiNumber | None = Field(
        default=None,
        description="Where a ratio or score KPI stood before the plan; without it, the first progress check's "
        "value. The cumulative KPIs (revenue, gross_profit, new_customers, active_customers, nps_responses, "
        "csat_responses) start from 0 and take none (422).",
    )


class ImprovementPlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner_id: UUID
    title: OneLine = Field(examples=["Back on track in Q1"])
    owner: OneLine = Field(
        description="Who drives the plan, e.g. the partner's channel manager.", examples=["Anna Berger"]
    )
    notes: Notes | None = Field(default=None, examples=["Agreed in the quarterly business review."])
    starts_on: IsoDate | None = Field(
        default=None, description="The plan's first day; default: today (UTC).", examples=["2027-01-01"]
    )
    goals: list[GoalIn] = Field(min_length=1, max_length=MAX_GOALS)


class PlanClosureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["succeeded", "failed"]
    note: Notes | None = Field(default=None, examples=["Revenue and NPS targets reached a month early."])


class GoalProgress(BaseModel):
    """The goal as the latest progress check found it."""

    state: GoalState
    value: KpiNumber | None = Field(description="The KPI over the window; null with `reason` when unknown.")
    expected: KpiNumber | None = Field(description="Where the straight line to the target stands by now.")
    reason: str | None = Field(description="Why `value` is null (analytics' reason).", examples=["no_target"])
    measured_from: IsoDate
    measured_to: IsoDate
    checked_at: AwareDatetime


class GoalOut(BaseModel):
    kpi: KpiName
    target: Target
    due_on: IsoDate
    lower_is_better: bool
    baseline: KpiNumber | None
    baseline_on: IsoDate | None = Field(
        description="The day the baseline was read; null: given with the goal."
    )
    progress: GoalProgress | None = Field(description="Null until the first progress check.")


class ImprovementPlanOut(BaseModel):
    id: UUID
    partner_id: UUID
    title: str = Field(examples=["Back on track in Q1"])
    owner: str = Field(examples=["Anna Berger"])
    notes: str | None = Field(examples=["Agreed in the quarterly business review."])
    status: PlanStatus
    starts_on: IsoDate
    goals: list[GoalOut]
    last_checked_at: AwareDatetime | None
    closed_at: AwareDatetime | None
    closed_by: str | None
    closing_note: str | None = Field(examples=["Revenue and NPS targets reached a month early."])
    created_by: str
    created_at: AwareDatetime
    updated_at: AwareDatetime
    version: int


def tidy(number: Decimal | None, *, places: int = 0) -> Decimal | None:
    """A stored NUMERIC(19, 6) without its padding zeros (`0.900000` → `0.9`), keeping `places` decimals."""
    if number is None:
        return None
    tidied = number.normalize()
    if tidied.as_tuple().exponent > -places:  # type: ignore[operator]
        tidied = tidied.quantize(Decimal(1).scaleb(-places))
    return tidied


def goal_target(goal: ImprovementGoal) -> Decimal | Money:
    if goal.target_currency is None:
        return goal.target.normalize()
    amount = tidy(goal.target, places=2)
    assert amount is not None
    return Money(amount=amount, currency=goal.target_currency)


def goal_out(goal: ImprovementGoal) -> GoalOut:
    kpi = KpiName(goal.kpi)
    progress = None
    if goal.state is not None:
        assert goal.measured_from is not None
        assert goal.measured_to is not None
        assert goal.checked_at is not None
        progress = GoalProgress(
            state=GoalState(goal.state),
            value=tidy(goal.value),
            expected=tidy(goal.expected),
            reason=goal.reason,
            measured_from=goal.measured_from,
            measured_to=goal.measured_to,
            checked_at=goal.checked_at,
        )
    return GoalOut(
        kpi=kpi,
        target=goal_target(goal),
        due_on=goal.due_on,
        lower_is_better=kpi in LOWER_IS_BETTER,
        baseline=tidy(goal.baseline),
        baseline_on=goal.baseline_on,
        progress=progress,
    )


def plan_out(plan: ImprovementPlan, goals: Sequence[ImprovementGoal]) -> ImprovementPlanOut:
    return ImprovementPlanOut(
        id=plan.id,
        partner_id=plan.partner_id,
        title=plan.title,
        owner=plan.owner,
        notes=plan.notes,
        status=PlanStatus(plan.status),
        starts_on=plan.starts_on,
        goals=[goal_out(goal) for goal in sorted(goals, key=lambda goal: goal.position)],
        last_checked_at=plan.last_checked_at,
        closed_at=plan.closed_at,
        closed_by=plan.closed_by,
        closing_note=plan.closing_note,
        created_by=plan.created_by,
        created_at=plan.created_at,
        updated_at=plan.updated_at,
        version=plan.version,
    )
