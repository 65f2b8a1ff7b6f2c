"""Incentive programmes and calculation runs as they cross boundaries.

A programme (name, currency, period type) has versions; a version carries its effective dates, its basis
(invoiced or paid sales, always net of returns), a hold period, eligibility and its rules. Rules are a list
discriminated by `kind`. Rates are fractions written as decimal strings (`"0.03"` is 3 %); amounts are money
amount strings in the programme's currency. JSON numbers are refused wherever a decimal is expected, as a
float cannot say what it means exactly. The maths each rule does is in services/incentives/README.md.

These models are the contract of the incentives API: add fields, never rename or remove one.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from prm_contracts.counts import VersionNumber
from prm_contracts.dates import IsoDate
from prm_contracts.money import Amount, CurrencyCode, Money
from prm_contracts.partners import CountryCode, PartnerType
from prm_contracts.periods import PeriodKind, PeriodLabel
from prm_contracts.text import NOT_BLANK, SINGLE_LINE, STRIPPED

MAX_RULES = 20
MAX_BANDS = 20
MAX_LIST = 200
RATE_PATTERN = r"^[0-9](\.[0-9]{1,8})?$"
# Looser than the pattern, so that a sign, a rate above 1 and a 9th place each get their own message; what
# passes every check below matches RATE_PATTERN, so a stored rate is echoed as the document says.
_RATE_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_RATE_STRICT_RE = re.compile(RATE_PATTERN)
_MAX_RATE = Decimal(1)

Name = Annotated[str, StringConstraints(min_length=1, max_length=200), NOT_BLANK, SINGLE_LINE]
Label = Annotated[str, StringConstraints(min_length=1, max_length=100), NOT_BLANK, SINGLE_LINE]
Description = Annotated[str, StringConstraints(max_length=4000), STRIPPED]


def parse_rate(value: Any) -> Decimal:
    """A fraction from 0 to 1 as a decimal string with up to 8 places; JSON numbers and negatives refused."""
    if isinstance(value, Decimal) and value.is_finite():
        value = format(value, "f")
    if isinstance(value, bool | int | float):
        raise PydanticCustomError(
            "rate_type", 'a rate must be a decimal string such as "0.03" (3 %), not a JSON number'
        )
    if not isinstance(value, str) or not _RATE_RE.fullmatch(value.strip()):
        raise PydanticCustomError(
            "rate_format",
            'a rate must be a plain decimal string such as "0.03", got {value}',
            {"value": repr(value)[:40]},
        )
    text = value.strip()
    rate = Decimal(text)
    if text.startswith("-"):  # "-0" too: it is not a number the document allows
        raise PydanticCustomError("rate_negative", "a rate cannot be negative, got {value}", {"value": value})
    if rate > _MAX_RATE:
        raise PydanticCustomError(
            "rate_too_large", "a rate is a fraction from 0 to 1 (0.03 is 3 %), got {value}", {"value": value}
        )
    if not _RATE_STRICT_RE.fullmatch(text):
        raise PydanticCustomError(
            "rate_places",
            "a rate is one digit before the point and at most 8 decimal places after it, got {value}",
            {"value": value},
        )
    return rate


RuleRate = Annotated[
    Decimal,
    BeforeValidator(parse_rate),
    PlainSerializer(lambda d: format(d, "f"), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": RATE_PATTERN,
            "description": "A fraction: 0.03 is 3 %.",
            "examples": ["0.03"],
        }
    ),
]


def _not_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise PydanticCustomError("amount_negative", "must not be negative")
    return value


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise PydanticCustomError("amount_not_positive", "must be greater than 0")
    return value


PositiveAmount = Annotated[Amount, AfterValidator(_positive)]
NonNegativeAmount = Annotated[Amount, AfterValidator(_not_negative)]


class Basis(StrEnum):
    """Which lines count: all invoiced ones by the day they occurred, or paid ones by the day they were paid."""

    INVOICED = "invoiced"
    PAID = "paid"


class VolumeBonusMode(StrEnum):
    WHOLE_BAND = "whole_band"
    MARGINAL = "marginal"


class SpiffUnit(StrEnum):
    UNIT = "unit"
    DEAL = "deal"


class RuleKind(StrEnum):
    REBATE = "rebate"
    VOLUME_BONUS = "volume_bonus"
    ACCELERATOR = "accelerator"
    SPIFF = "spiff"
    DEAL_REGISTRATION_BONUS = "deal_registration_bonus"
    CAP = "cap"
    FLOOR = "floor"
    BUDGET = "budget"
    MDF_ACCRUAL = "mdf_accrual"


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Label | None = Field(default=None, description="How statements name the rule.")


class RebateRule(_Rule):
    """`rate` * the partner's eligible net volume (each line: rate * its converted amount)."""

    kind: Literal["rebate"]
    rate: RuleRate


class VolumeBand(BaseModel):
    """Period volume from `from` (inclusive) up to `to` (exclusive; null: no upper end) earns `rate`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    from_: NonNegativeAmount = Field(alias="from")
    to: NonNegativeAmount | None = None
    rate: RuleRate

    @model_validator(mode="after")
    def _not_empty(self) -> VolumeBand:
        if self.to is not None and self.to <= self.from_:
            raise PydanticCustomError(
                "band_empty",
                "band `to` ({to}) must be above its `from` ({from_})",
                {"to": str(self.to), "from_": str(self.from_)},
            )
        return self


class VolumeBonusRule(_Rule):
    """Bands over the partner's period volume. `whole_band`: the rate of the band the volume reached applies to
    all of it; `marginal`: each band's rate applies only to the part of the volume inside that band. Bands are
    contiguous (each starts where the previous ends), the first may start above 0 (volume below it earns
    nothing), and only the last may be open-ended."""

    kind: Literal["volume_bonus"]
    mode: VolumeBonusMode = Field(description="Always stated: there is no default.")
    bands: list[VolumeBand] = Field(min_length=1, max_length=MAX_BANDS)

    @model_validator(mode="after")
    def _contiguous(self) -> VolumeBonusRule:
        for position, (lower, upper) in enumerate(pairwise(self.bands), start=1):
            if lower.to is None:
                raise PydanticCustomError(
                    "band_unbounded_before_last",
                    "only the last band may have no `to`: band {position} is open-ended but band {next} follows",
                    {"position": position, "next": position + 1},
                )
            if upper.from_ < lower.to:
                raise PydanticCustomError(
                    "bands_overlap",
                    "bands must not overlap: band {next} starts at {start}, before band {position} ends at {end}",
                    {
                        "position": position,
                        "next": position + 1,
                        "start": str(upper.from_),
                        "end": str(lower.to),
                    },
                )
            if upper.from_ > lower.to:
                raise PydanticCustomError(
                    "bands_gap",
                    "bands must be contiguous: band {position} ends at {end} but band {next} starts at {start}",
                    {
                        "position": position,
                        "next": position + 1,
                        "start": str(upper.from_),
                        "end": str(lower.to),
                    },
                )
        return self


class AcceleratorRule(_Rule):
    """With the partner's revenue target T for the period and eligible net volume V: when V > `threshold` * T,
    pays `rate` * (V - `threshold` * T), the volume above the attainment threshold; nothing otherwise, and
    nothing for a partner without a target."""

    kind: Literal["accelerator"]
    threshold: Annotated[
        Decimal,
        BeforeValidator(lambda v: _attainment(v)),
        PlainSerializer(lambda d: format(d, "f"), return_type=str),
        WithJsonSchema({"type": "string", "pattern": r"^[0-9]{1,2}(\.[0-9]{1,4})?$", "examples": ["1.0"]}),
    ] = Field(description="Attainment of the target as a fraction: 1.0 is 100 %.")
    rate: RuleRate


def _attainment(value: Any) -> Decimal:
    if isinstance(value, bool | int | float):
        raise PydanticCustomError(
            "threshold_type", 'threshold must be a decimal string such as "1.0", not a number'
        )
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{1,2}(\.[0-9]{1,4})?", value.strip()):
        raise PydanticCustomError(
            "threshold_format",
            'threshold must be a decimal string such as "1.0" (100 % of target), got {value}',
            {"value": repr(value)[:40]},
        )
    return Decimal(value.strip())


class DateWindow(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    from_: IsoDate = Field(alias="from")
    to: IsoDate = Field(description="Inclusive.")

    @model_validator(mode="after")
    def _ordered(self) -> DateWindow:
        if self.to < self.from_:
            raise PydanticCustomError("window_reversed", "window `to` must not be before its `from`")
        return self


class SpiffRule(_Rule):
    """A fixed `amount` (programme currency) per unit sold or per deal (a sales line) of the named SKUs that
    occurred within `window`; a return or credit note of them takes it back the same way."""

    kind: Literal["spiff"]
    skus: list[Label] = Field(min_length=1, max_length=MAX_LIST)
    amount: PositiveAmount
    per: SpiffUnit
    window: DateWindow


class DealRegistrationBonusRule(_Rule):
    """`rate` * the net amount of lines linked to a deal registration approved on or before the line's day."""

    kind: Literal["deal_registration_bonus"]
    rate: RuleRate


class CapRule(_Rule):
    """A partner earns at most `amount` per period (rebates, bonuses, accelerators, SPIFFs together)."""

    kind: Literal["cap"]
    amount: PositiveAmount


class FloorRule(_Rule):
    """A partner who earned more than 0 in the period earns at least `amount`."""

    kind: Literal["floor"]
    amount: PositiveAmount


class BudgetRule(_Rule):
    """The programme pays at most `amount` per period: when the partners' positive payouts add up to more, each
    of them is reduced in the same proportion (budget / total)."""

    kind: Literal["budget"]
    amount: PositiveAmount


class MdfAccrualRule(_Rule):
    """`rate` * eligible net volume accrues to the partner's MDF balance (reported apart, not paid out)."""

    kind: Literal["mdf_accrual"]
    rate: RuleRate


Rule = Annotated[
    RebateRule
    | VolumeBonusRule
    | AcceleratorRule
    | SpiffRule
    | DealRegistrationBonusRule
    | CapRule
    | FloorRule
    | BudgetRule
    | MdfAccrualRule,
    Field(discriminator="kind"),
]
SINGLETON_KINDS = (RuleKind.CAP, RuleKind.FLOOR, RuleKind.BUDGET)
EARNING_KINDS = (
    RuleKind.REBATE,
    RuleKind.VOLUME_BONUS,
    RuleKind.ACCELERATOR,
    RuleKind.SPIFF,
    RuleKind.DEAL_REGISTRATION_BONUS,
)


class Eligibility(BaseModel):
    """Which lines count. A list left null means "any"; an empty list is refused (it would match nothing).
    Tier and status are judged as of each line's day; type, country and region as the partner is now."""

    model_config = ConfigDict(extra="forbid")

    tiers: list[Label] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_LIST,
        description="Tier keys exactly as the registry's tier ladder has them (lower-case, such as `gold`), "
        "each judged as of the line's day. A key the ladder lacks (`Gold`) is 422 `unknown-tier` listing the "
        "ladder's keys; the registry is asked when the terms are stored or tried.",
    )
    partner_types: list[PartnerType] | None = Field(default=None, min_length=1)
    countries: list[CountryCode] | None = Field(default=None, min_length=1, max_length=MAX_LIST)
    regions: list[Label] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_LIST,
        description="Regions as the registry places partners (`EMEA`, `UK & Ireland`), matched as the registry "
        "compares them: ignoring case and runs of spaces (`emea` is `EMEA`).",
    )
    active_at_sale: StrictBool = Field(
        default=True, description="Only lines of a partner active on the line's day."
    )
    categories_included: list[Label] | None = Field(default=None, min_length=1, max_length=MAX_LIST)
    categories_excluded: list[Label] = Field(default_factory=list, max_length=MAX_LIST)
    skus_included: list[Label] | None = Field(default=None, min_length=1, max_length=MAX_LIST)
    skus_excluded: list[Label] = Field(default_factory=list, max_length=MAX_LIST)
    registered_deals_only: StrictBool = Field(
        default=False,
        description="Only lines linked to a deal registration approved on or before the line's day.",
    )


def check_rules(rules: list[Any]) -> list[Any]:
    for kind in SINGLETON_KINDS:
        if sum(1 for rule in rules if rule.kind == kind) > 1:
            raise PydanticCustomError(
                "rule_repeated", "a version has at most one {kind} rule", {"kind": kind.value}
            )
    if not any(rule.kind in EARNING_KINDS or rule.kind == RuleKind.MDF_ACCRUAL for rule in rules):
        raise PydanticCustomError(
            "rules_earn_nothing", "a version needs at least one rule that earns or accrues something"
        )
    caps = [rule.amount for rule in rules if rule.kind == RuleKind.CAP]
    floors = [rule.amount for rule in rules if rule.kind == RuleKind.FLOOR]
    if caps and floors and floors[0] > caps[0]:
        raise PydanticCustomError(
            "floor_above_cap",
            "the floor ({floor}) is above the cap ({cap})",
            {"floor": str(floors[0]), "cap": str(caps[0])},
        )
    return rules


class VersionTerms(BaseModel):
    """What a version decides: when it applies and how it pays."""

    model_config = ConfigDict(extra="forbid")

    effective_from: IsoDate
    effective_to: IsoDate | None = Field(default=None, description="Inclusive; null: open-ended.")
    basis: Basis
    hold_days: int = Field(
        default=0, ge=0, le=366, description="A line becomes payable this many days after it occurred."
    )
    eligibility: Eligibility = Field(default_factory=Eligibility)
    rules: Annotated[list[Rule], AfterValidator(check_rules)] = Field(min_length=1, max_length=MAX_RULES)
    notes: Description | None = None

    @model_validator(mode="after")
    def _dates(self) -> VersionTerms:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise PydanticCustomError("effective_reversed", "effective_to must not be before effective_from")
        return self


class ProgrammeIn(BaseModel):
    """A programme and its first version (a draft)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    currency: CurrencyCode
    period_type: PeriodKind
    description: Description | None = None
    version: VersionTerms


class VersionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class ProgrammeOut(BaseModel):
    id: UUID
    name: str
    currency: str
    period_type: PeriodKind
    description: str | None
    latest_version: int
    created_by: str
    created_at: AwareDatetime
    updated_at: AwareDatetime


class ProgrammeVersionOut(VersionTerms):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    programme_id: UUID
    programme_name: str
    currency: str
    period_type: PeriodKind
    number: int
    status: VersionStatus
    created_by: str
    published_by: str | None
    published_at: AwareDatetime | None
    version: int = Field(description="Incremented on every change; the ETag is this number in quotes.")
    created_at: AwareDatetime
    updated_at: AwareDatetime


# --- calculation runs -----------------------------------------------------------------------------------------


class RunStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PAID = "paid"


class CalculationRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    programme_id: UUID
    version: VersionNumber | None = Field(
        default=None, description="A published version's number; default: the one effective in the period."
    )
    period: PeriodLabel = Field(description="A period of the programme's period type.")
    as_of: IsoDate | None = Field(
        default=None,
        description="The day the hold period is judged on (a line is payable once hold_days have passed since "
        "it occurred); default: today (UTC). Part of the run's inputs: the same as_of gives the same result.",
    )


class FxRateApplied(BaseModel):
    """The rate a run converted one currency's lines of one day with: programme units per line unit."""

    currency: str
    day: date
    rate: str = Field(
        description="Programme-currency units per unit of `currency` (10 places when inverted)."
    )
    effective_on: date = Field(description="The day the stored rate holds from.")
    inverted: bool = Field(description="True when analytics stores the reverse pair and the run used 1/rate.")


class MissingFxRate(BaseModel):
    currency: str
    day: date


class RunTotals(BaseModel):
    partners: int
    payout: Money
    mdf_accrual: Money
    held_lines: int


class CalculationRunOut(BaseModel):
    id: UUID
    programme_id: UUID
    programme_name: str = Field(examples=["Reseller rebate 2026"])
    version_number: int
    period: str
    first_day: date
    last_day: date
    as_of: date
    status: RunStatus
    totals: RunTotals
    budget_factor: str | None = Field(
        description="Budget / the partners' positive payouts when the budget bound."
    )
    fx_rates: list[FxRateApplied]
    computed_by: str
    computed_at: AwareDatetime
    approved_by: str | None
    approved_at: AwareDatetime | None
    paid_by: str | None
    paid_at: AwareDatetime | None
    version: int
    created_at: AwareDatetime
    updated_at: AwareDatetime


class RuleAmount(BaseModel):
    rule: int = Field(description="The rule's position in the version (0-based).")
    kind: RuleKind
    amount: str = Field(description="Exact, before rounding and before cap, floor and budget.")


class PayoutOut(BaseModel):
    run_id: UUID
    partner_id: UUID
    amount: Money = Field(description="Rounded half-even to the currency's minor unit; what is paid.")
    mdf_accrual: Money
    unrounded: str = Field(description="The exact payout before rounding.", examples=["37.035"])
    volume: str = Field(
        description="Eligible net volume in the programme's currency (exact).", examples=["1234.50"]
    )
    lines: int
    held_lines: int
    held_volume: str = Field(examples=["0"])
    target: Money | None
    rules: list[RuleAmount]
    cap_floor_factor: str | None
    budget_factor: str | None


class LineContribution(BaseModel):
    rule: int
    kind: RuleKind
    band: int | None = Field(description="The volume band (0-based) for a volume bonus.")
    rate: str | None = Field(description="The rule's rate, or the SPIFF amount per unit/deal.")
    amount: str = Field(
        description="This line's share of the rounded payout (or MDF accrual), in minor units."
    )


class PayoutLineOut(BaseModel):
    line_id: UUID
    external_id: str = Field(examples=["INV-2026-0042"])
    kind: str = Field(description="`sale`, `return` or `credit_note`.", examples=["sale"])
    occurred_on: date
    product_sku: str = Field(examples=["SKU-CLOUD-100"])
    quantity: str = Field(examples=["10"])
    amount: Money = Field(description="As recorded, in the line's currency, signed by its kind.")
    fx_rate: str = Field(examples=["1"])
    converted: str = Field(
        description="The signed amount in the programme's currency (exact).", examples=["1234.50"]
    )
    held: str | None = Field(description="`flagged` or `hold_period` when the line is held, not paid.")
    contributions: list[LineContribution]
    payout: str = Field(description="The sum of the line's contributions to the payout.", examples=["37.04"])


# --- run lifecycle, adjustments, statements, payables, backtests (IN-C) ---

PAYOUT_APPROVED = "payout.approved"
STATEMENT_PUBLISHED = "statement.published"


class PayoutStatus(StrEnum):
    """A payout's own decision inside its run: pending → approved | held; held → released; approved → paid."""

    PENDING = "pending"
    APPROVED = "approved"
    HELD = "held"
    PAID = "paid"


class PayoutDecisionOut(BaseModel):
    run_id: UUID
    partner_id: UUID
    status: PayoutStatus
    amount: Money
    hold_reason: str | None
    decided_by: str | None
    decided_at: AwareDatetime | None
    run_status: RunStatus = Field(description="The run is approved once every payout is approved or held.")


class PayoutHoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000), NOT_BLANK]


class PayoutApproved(BaseModel):
    """Event `payout.approved`: one partner's payout of a run is approved (to be paid)."""

    run_id: UUID
    programme_id: UUID
    period: str
    partner_id: UUID
    amount: Money
    mdf_accrual: Money
    approved_by: str
    approved_at: AwareDatetime


class StatementPublished(BaseModel):
    """Event `statement.published`: a partner's statement of a period is final (its run is approved)."""

    run_id: UUID
    programme_id: UUID
    period: str
    partner_id: UUID
    amount: Money
    href: str = Field(description="The statement's path at the gateway.")


class AdjustmentKind(StrEnum):
    MANUAL = "manual"
    CLAWBACK = "clawback"
    DELTA = "delta"


class AdjustmentIn(BaseModel):
    """A manual adjustment of a partner's payout of a programme's period (positive or negative)."""

    model_config = ConfigDict(extra="forbid")

    programme_id: UUID
    partner_id: UUID
    period: PeriodLabel
    amount: Money = Field(description="In the programme's currency, not zero, at most its minor unit.")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000), NOT_BLANK]


class AdjustmentOut(BaseModel):
    id: UUID
    programme_id: UUID
    partner_id: UUID
    period: str
    kind: AdjustmentKind
    amount: Money
    reason: str
    source_line_id: UUID | None = Field(description="Clawback: the return or credit note line.")
    original_line_id: UUID | None = Field(description="Clawback: the paid line it takes back.")
    source_run_id: UUID | None = Field(description="Clawback and delta: the locked run it corrects.")
    created_by: str
    created_at: AwareDatetime


class StatementLine(BaseModel):
    run_id: UUID
    line_id: UUID
    external_id: str
    kind: str
    occurred_on: date
    product_sku: str
    quantity: str
    amount: Money
    fx_rate: str
    converted: str
    held: str | None
    contributions: list[LineContribution]
    payout: str


class StatementProgramme(BaseModel):
    run_id: UUID
    programme_id: UUID
    programme_name: str
    version_number: int
    run_status: RunStatus
    payout_status: PayoutStatus
    hold_reason: str | None
    rules: list[RuleAmount]
    calculated: Money = Field(description="What the rules paid (rounded), before adjustments.")
    adjustments: list[AdjustmentOut]
    amount: Money = Field(
        description="Calculated + adjustments: what the payout pays; paid only once `payout_status` is `paid`."
    )
    mdf_accrual: Money
    held_lines: int
    lines: list[StatementLine]
    lines_unavailable: str | None = Field(
        default=None,
        description="Why `lines` is empty although the payout was computed from lines: the partner's lines or "
        "their history changed after this locked run (a payment reported later, a back-dated change), so a trace "
        "rebuilt now would not add up to the run's figures. The figures stand; null when `lines` is the trace.",
    )


class StatementOut(BaseModel):
    partner_id: UUID
    period: str
    programmes: list[StatementProgramme]
    totals: list[Money] = Field(
        description="What is paid, per currency: the amounts of the paid payouts (pending, approved and held "
        "ones are not paid; 0 when none is)."
    )


class PayableRow(BaseModel):
    partner_id: UUID
    currency: str
    earned: str = Field(
        description="Every payout of the filter (draft runs included), in the currency.", examples=["1250.00"]
    )
    approved: str = Field(description="Approved, not yet paid.", examples=["800.00"])
    on_hold: str = Field(examples=["150.00"])
    paid: str = Field(examples=["300.00"])


class BacktestSide(BaseModel):
    """A programme version to compute: a stored version by number, or terms given inline (never stored)."""

    model_config = ConfigDict(extra="forbid")

    version: VersionNumber | None = None
    terms: VersionTerms | None = None

    @model_validator(mode="after")
    def _one(self) -> BacktestSide:
        if (self.version is None) == (self.terms is None):
            raise PydanticCustomError("backtest_side", "give exactly one of `version` or `terms`")
        return self


class BacktestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    programme_id: UUID
    period: PeriodLabel
    as_of: IsoDate | None = None
    candidate: BacktestSide
    baseline: BacktestSide
    top: int = Field(default=5, ge=1, le=50)


class BacktestPartner(BaseModel):
    partner_id: UUID
    baseline: str = Field(
        description="The partner's payout under the baseline, in the programme's currency.",
        examples=["37.04"],
    )
    candidate: str = Field(description="The partner's payout under the candidate.", examples=["49.38"])
    delta: str = Field(description="candidate - baseline.", examples=["12.34"])


class BacktestOut(BaseModel):
    programme_id: UUID
    period: str
    currency: str
    baseline_total: Money
    candidate_total: Money
    delta_total: Money
    partners: list[BacktestPartner] = Field(description="Every partner paid by either side, by partner id.")
    top_gainers: list[BacktestPartner]
    top_losers: list[BacktestPartner]
