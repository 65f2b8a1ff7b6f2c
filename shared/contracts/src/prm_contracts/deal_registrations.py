"""Deal registrations as they cross boundaries: the registry's API bodies and the `deal_registration.*` events.

A partner registers an opportunity; the registry checks it for conflicts with other partners' open
registrations, the vendor's direct (house) accounts and other partners' exclusive territories, then approves
it or routes it to a channel manager. An approved registration protects the partner's claim on the deal
until `protected_until`; incentives honour that protection. Add fields, never rename or remove one.

    pending_review → approved | rejected
    approved → won | lost | expired
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from prm_contracts.dates import DATE_PATTERN, parse_date
from prm_contracts.money import Money, in_minor_units, minor_unit
from prm_contracts.partners import CountryCode, CustomerSegment, Label, Name, Region, normalise_domain
from prm_contracts.text import NOT_BLANK, STRIPPED

DEAL_REGISTRATION_APPROVED = "deal_registration.approved"
DEAL_REGISTRATION_REJECTED = "deal_registration.rejected"
DEAL_REGISTRATION_EXTENDED = "deal_registration.extended"
DEAL_REGISTRATION_EXPIRED = "deal_registration.expired"
DEAL_REGISTRATION_WON = "deal_registration.won"
DEAL_REGISTRATION_LOST = "deal_registration.lost"

MAX_PRODUCTS = 50


class DealRegistrationStatus(StrEnum):
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    WON = "won"
    LOST = "lost"
    EXPIRED = "expired"


class ConflictKind(StrEnum):
    """Why a registration conflicts.

    - `customer_domain`: another partner's open or approved registration is for the same customer domain
    - `customer_name`: … for a customer whose name matches closely (the domains differ)
    - `same_group`: … for another company of the same group: a holding or parent ("Acme Holding"), a country
      company ("Acme Deutschland"), an international arm, or a sister company on its own country domain
    - `product_overlap`: … for the same customer (by domain or name) and some of the same products
    - `house_account`: the customer is one of the vendor's direct (house) accounts
    - `exclusive_territory`: the customer's country (and region) lies in another partner's exclusive territory
    """

    CUSTOMER_DOMAIN = "customer_domain"
    CUSTOMER_NAME = "customer_name"
    PRODUCT_OVERLAP = "product_overlap"
    HOUSE_ACCOUNT = "house_account"
    EXCLUSIVE_TERRITORY = "exclusive_territory"
    SAME_GROUP = "same_group"


# --- value types -------------------------------------------------------------------------------------------


def normalise_customer_domain(value: Any) -> str:
    """A domain or URL → the bare host name, lower case, without `www.`, port or path, in punycode."""
    try:
        return normalise_domain(value)
    except PydanticCustomError as exc:
        raise PydanticCustomError(
            "domain",
            "customer_domain must be a domain name such as example.com, got {value}",
            {"value": repr(value)[:100]},
        ) from exc


CustomerDomain = Annotated[
    str,
    BeforeValidator(normalise_customer_domain),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 253,
            "description": "A domain or URL; stored as the bare host name without `www.`, in punycode.",
            "examples": ["example.com"],
        }
    ),
]


def _positive(value: Money) -> Money:
    if value.amount <= 0:
        raise PydanticCustomError("amount_not_positive", "the amount must be greater than zero")
    return value


def _in_minor_units(value: Money) -> Money:
    """A deal is priced in what its currency can pay (1.001 EUR is no price), as MDF and payouts are."""
    if not in_minor_units(value.amount, value.currency):
        raise PydanticCustomError(
            "amount_places",
            "{amount} {currency} is finer than the currency's minor unit ({unit})",
            {
                "amount": str(value.amount),
                "currency": value.currency,
                "unit": str(minor_unit(value.currency)),
            },
        )
    return value


PositiveMoney = Annotated[Money, AfterValidator(_positive), AfterValidator(_in_minor_units)]


def earliest_close_date(now: datetime | None = None) -> date:
    """Today where the day started last (UTC-12): a date before it is in the past everywhere on Earth."""
    return ((now or datetime.now(UTC)) - timedelta(hours=12)).date()


def _not_in_past(value: date) -> date:
    if value < earliest_close_date():
        raise PydanticCustomError("date_in_past", "expected_close_on cannot be in the past")
    return value


CloseDate = Annotated[
    date,
    BeforeValidator(parse_date),
    AfterValidator(_not_in_past),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN, "examples": ["2031-06-30"]}),
    Field(description="ISO 8601 date; not in the past (anywhere on Earth: checked against UTC-12)."),
]


def _distinct_products(values: list[str]) -> list[str]:
    """Case-insensitive de-duplication, keeping the first spelling and the order given."""
    seen: set[str] = set()
    kept = []
    for value in values:
        spelled = " ".join(value.split())
        if spelled.casefold() not in seen:
            seen.add(spelled.casefold())
            kept.append(spelled)
    return kept


Products = Annotated[
    list[Label],
    Field(min_length=1, max_length=MAX_PRODUCTS, examples=[["firewall", "vpn"]]),
    AfterValidator(_distinct_products),
]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000), NOT_BLANK]
Notes = Annotated[str, StringConstraints(max_length=4000), STRIPPED]


# --- bodies ------------------------------------------------------------------------------------------------


class DealRegistrationIn(BaseModel):
    """An opportunity a partner registers to claim it.

    A partner's own credential registers for its own partner (`partner_id` may be left out); any other
    credential names the partner.
    """

    model_config = ConfigDict(extra="forbid")

    partner_id: UUID | None = Field(
        default=None, description="Required unless the credential is bound to a partner."
    )
    customer_name: Name = Field(examples=["Globex Corporation"])
    customer_domain: CustomerDomain | None = Field(
        default=None,
        description="The customer's domain, if known; without it the customer is matched by name and country.",
    )
    country: CountryCode
    region: Region | None = Field(default=None, description="The customer's region or state, if known.")
    customer_segment: CustomerSegment | None = Field(
        default=None, description="The customer's segment, if known; narrows the territory check."
    )
    products: Products
    estimated_value: PositiveMoney
    expected_close_on: CloseDate
    notes: Notes | None = None


class ConflictExplanation(BaseModel):
    """What a customer conflict rests on, for the channel manager deciding it."""

    relation: Literal["same_domain", "domain_alias", "same_name", "same_group"] = Field(
        description="`same_domain`: one registrable domain (a subdomain or `www.` of the other); "
        "`domain_alias`: the same domain name under another top-level domain in one country; `same_name`: "
        "names alike (legal forms, spelling, script, typos, acronyms aside); `same_group`: another company "
        "of one group (holding, country company, sister company) — not the same customer."
    )
    rule: str = Field(description="The rule that matched, in words, with any penalty applied.")
    fields: list[str] = Field(
        description="The fields compared, e.g. `customer_name`, `customer_domain`.",
        examples=[["customer_domain"]],
    )
    submitted_form: str = Field(
        description="The submitted customer as compared (normalised name or domain).",
        examples=["contoso.com"],
    )
    other_form: str = Field(description="The other customer as compared.", examples=["contoso.de"])
    score: int = Field(ge=0, le=100)


class ConflictOut(BaseModel):
    """One reason a registration conflicts. The ids name what it conflicts with (shown to the channel team;
    a partner's own credential sees no conflicts, only `has_conflicts`)."""

    kind: ConflictKind
    reason: str
    score: int = Field(ge=0, le=100, description="How strong the match is: 100 is certain.")
    other_registration_id: UUID | None = None
    other_partner_id: UUID | None = None
    house_account_id: UUID | None = None
    territory_id: UUID | None = None
    explanation: ConflictExplanation | None = Field(
        default=None, description="Why a customer conflict was found (customer conflicts only)."
    )


class DealRegistrationOut(BaseModel):
    """A deal registration as the registry holds it.

    `status` is as of the answer: an approved registration whose protection has run out is `expired` even
    before the expiry sweep has recorded it.
    """

    id: UUID
    partner_id: UUID
    customer_name: str
    customer_domain: str | None = Field(description="Null when the partner gave none.")
    country: str = Field(description="ISO 3166-1 alpha-2", examples=["DE"])
    region: str | None
    customer_segment: CustomerSegment | None
    products: list[str]
    estimated_value: Money
    expected_close_on: date
    notes: str | None
    status: DealRegistrationStatus
    has_conflicts: bool
    conflicts: list[ConflictOut] = Field(
        description="Empty for a partner's own credential, whatever `has_conflicts` says: a conflict's kind "
        "would tell which customers the vendor serves itself, where other partners hold exclusive "
        "territories or what a rival quoted."
    )
    submitted_by: str = Field(description="The subject of the principal who registered it.")
    decided_by: str | None = Field(
        description="Who approved or rejected it; `system:auto-approval` when approved automatically."
    )
    decided_at: AwareDatetime | None
    decision_reason: str | None
    protected_until: AwareDatetime | None = Field(
        description="Set once approved: the claim is protected until then."
    )
    extension_used: bool = Field(description="One extension of the protection may be requested.")
    final_amount: Money | None = Field(description="The amount the deal was won at.")
    lost_reason: str | None
    closed_at: AwareDatetime | None = Field(description="When it was recorded as won or lost.")
    expired_at: AwareDatetime | None = Field(description="When its protection ran out without an outcome.")
    version: int = Field(description='Incremented on every change; the (weak) ETag is W/"<version>".')
    created_at: AwareDatetime
    updated_at: AwareDatetime


class DealDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class DecisionIn(BaseModel):
    """A channel manager's decision on a registration in review; the reason is kept for the partner and audit."""

    model_config = ConfigDict(extra="forbid")

    decision: DealDecision
    reason: Reason = Field(examples=["Only registration for this customer; conflict was a name look-alike"])


class ExtensionIn(BaseModel):
    """Ask for the one extension of an approved registration's protection."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason | None = Field(default=None, examples=["Customer moved the purchase decision to Q3"])


class WonOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["won"]
    final_amount: PositiveMoney


class LostOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["lost"]
    reason: Reason = Field(examples=["Customer chose a competitor"])


OutcomeIn = Annotated[WonOutcome | LostOutcome, Field(discriminator="outcome")]


class ExpirySweepOut(BaseModel):
    """An expiry sweep that ran: the approved registrations whose protection had run out, now `expired`."""

    swept_at: AwareDatetime
    expired_count: int
    expired_ids: list[UUID]


# --- events ------------------------------------------------------------------------------------------------


class DealRegistrationChanged(BaseModel):
    """What every `deal_registration.*` event carries."""

    deal_registration_id: UUID
    partner_id: UUID
    from_status: DealRegistrationStatus | None = Field(
        description="Null when the registration was approved on submission."
    )
    to_status: DealRegistrationStatus
    actor: str = Field(description="The subject who caused it; `system:…` for the registry itself.")
    occurred_at: AwareDatetime
    registration: DealRegistrationOut


class DealRegistrationApproved(DealRegistrationChanged):
    """Data of `deal_registration.approved`."""

    automatic: bool = Field(description="Approved on submission because no conflict was found.")
    protected_until: AwareDatetime


class DealRegistrationRejected(DealRegistrationChanged):
    """Data of `deal_registration.rejected`."""

    reason: str


class DealRegistrationExtended(DealRegistrationChanged):
    """Data of `deal_registration.extended`: the protection now lasts longer."""

    previous_protected_until: AwareDatetime
    protected_until: AwareDatetime


class DealRegistrationExpired(DealRegistrationChanged):
    """Data of `deal_registration.expired`: the protection ran out without an outcome."""

    protected_until: AwareDatetime


class DealRegistrationWon(DealRegistrationChanged):
    """Data of `deal_registration.won`."""

    final_amount: Money


class DealRegistrationLost(DealRegistrationChanged):
    """Data of `deal_registration.lost`."""

    reason: str
