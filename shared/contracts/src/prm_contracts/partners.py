"""Partners as they cross boundaries: the registry's API bodies and the `partner.*` events.

Scoring and incentives read partners through these models, so they are the contract: add fields, never
rename or remove one without a new version.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlsplit
from uuid import UUID

import pycountry
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from prm_contracts.counts import WHOLE_NUMBER
from prm_contracts.json_values import JsonObject
from prm_contracts.money import Money
from prm_contracts.patch import Omittable
from prm_contracts.text import NOT_BLANK, SINGLE_LINE

PARTNER_CREATED = "partner.created"
PARTNER_UPDATED = "partner.updated"
PARTNER_STATUS_CHANGED = "partner.status_changed"

CUSTOM_ATTRIBUTES_MAX_BYTES = 16 * 1024
CUSTOM_ATTRIBUTES_MAX_DEPTH = 5
MAX_LABELS = 50


class PartnerType(StrEnum):
    DISTRIBUTOR = "distributor"
    RESELLER = "reseller"
    VAR = "var"
    SYSTEM_INTEGRATOR = "system_integrator"
    MSP = "msp"
    REFERRAL = "referral"
    AGENT = "agent"


class PartnerStatus(StrEnum):
    """The lifecycle: prospect → applied → onboarding → active ⇄ suspended; any of them → terminated (final)."""

    PROSPECT = "prospect"
    APPLIED = "applied"
    ONBOARDING = "onboarding"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class CustomerSegment(StrEnum):
    """The customer segments a partner sells to."""

    CONSUMER = "consumer"
    SMB = "smb"
    MID_MARKET = "mid_market"
    ENTERPRISE = "enterprise"
    PUBLIC_SECTOR = "public_sector"


# --- value types -------------------------------------------------------------------------------------------

_ALPHA2 = re.compile(r"^[A-Z]{2}$")


def parse_country(value: Any) -> str:
    """An ISO 3166-1 alpha-2 code, upper-cased; anything pycountry does not know is refused."""
    if not isinstance(value, str):
        raise PydanticCustomError("country_code", "country must be an ISO 3166-1 alpha-2 code such as DE")
    return _country_of(value)


# Cached (a refusal raises, so only valid values are kept): a delivery of sales lines names a few countries
# and customers' domains hundreds of times, and the lookups cost more than the rest of a line's validation.
@lru_cache(maxsize=4096)
def _country_of(value: str) -> str:
    code = value.strip().upper()
    if not _ALPHA2.fullmatch(code) or pycountry.countries.get(alpha_2=code) is None:
        raise PydanticCustomError(
            "country_code",
            "country must be an ISO 3166-1 alpha-2 code such as DE or US, got {value}",
            {"value": repr(value)[:100]},
        )
    return code


CountryCode = Annotated[
    str,
    BeforeValidator(parse_country),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^[A-Za-z]{2}$",
            "description": "ISO 3166-1 alpha-2",
            "examples": ["DE"],
        }
    ),
]

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalise_domain(value: Any) -> str:
    """`https://www.Example.COM/about` → `example.com`: host only, lower case, no `www.`, IDNA (punycode)."""
    if not isinstance(value, str):
        raise PydanticCustomError("domain", "website_domain must be a domain name such as example.com")
    return _domain_of(value)


@lru_cache(maxsize=16384)
def _domain_of(value: str) -> str:
    text = value.strip().lower()
    host = urlsplit(text if "://" in text else f"//{text}").hostname or ""
    host = host.rstrip(".")
    bare = host.removeprefix("www.")
    host = bare if "." in bare else host  # `www.com` is a domain of its own
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = ""
    labels = host.split(".")
    valid = (
        len(host) <= 253
        and len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
        and not labels[-1].isdigit()
    )
    if not valid:
        raise PydanticCustomError(
            "domain",
            "website_domain must be a domain name such as example.com, got {value}",
            {"value": repr(value)[:100]},
        )
    return host


WebsiteDomain = Annotated[
    str,
    BeforeValidator(normalise_domain),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 253,
            "description": "A domain or URL; stored as the bare host name without `www.`, in punycode.",
            "examples": ["example.com"],
        }
    ),
]

# one line each (prm_contracts.text): names, labels and regions are shown, exported and compared as one line
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), NOT_BLANK, SINGLE_LINE]
Label = Annotated[str, StringConstraints(min_length=1, max_length=100), NOT_BLANK, SINGLE_LINE]
Region = Annotated[str, StringConstraints(min_length=1, max_length=100), NOT_BLANK, SINGLE_LINE]
# Surrounding whitespace is allowed (NOT_BLANK strips it); spaces alone are not, nor punctuation alone: numbers
# are compared by their letters and digits only, so "-" or "./-" would be no number (and all one number). The
# pattern says so without a lookahead, which the fuzzers generating from the document do not handle: any
# leading punctuation, then the first letter or digit, then the rest.
REGISTRATION_NUMBER_PATTERN = r"^\s*([./-][ ./-]*)?[A-Za-z0-9]([A-Za-z0-9 ./-]*[A-Za-z0-9./-])?\s*$"
REGISTRATION_NUMBER_RULE = (
    "Must hold at least one letter or digit; compared ignoring case, spaces, dots, slashes and dashes."
)
RegistrationNumber = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=REGISTRATION_NUMBER_PATTERN), NOT_BLANK
]
EmployeeCount = Annotated[int, Field(ge=0, le=10_000_000, strict=True), WHOLE_NUMBER]


def _not_in_future(year: int) -> int:
    if year > datetime.now(UTC).year:
        raise PydanticCustomError("year_in_future", "year_founded cannot be in the future")
    return year


# 9999 is the calendar's last year, so the document states a bound; the current year is the real one
YearFounded = Annotated[
    int, Field(ge=1800, le=9999, strict=True), WHOLE_NUMBER, AfterValidator(_not_in_future)
]


def _distinct_labels(values: list[str]) -> list[str]:
    """Case-insensitive de-duplication, keeping the first spelling and the order given."""
    seen: set[str] = set()
    kept = []
    for value in values:
        key = " ".join(value.split()).casefold()
        if key not in seen:
            seen.add(key)
            kept.append(" ".join(value.split()))
    return kept


Labels = Annotated[list[Label], Field(max_length=MAX_LABELS), AfterValidator(_distinct_labels)]


def _distinct_segments(values: list[CustomerSegment]) -> list[CustomerSegment]:
    return list(dict.fromkeys(values))


Segments = Annotated[list[CustomerSegment], AfterValidator(_distinct_segments)]


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def check_custom_attributes(value: dict[str, Any]) -> dict[str, Any]:
    """A JSON object of at most 16 KiB (compact UTF-8 JSON) nested at most 5 levels deep."""
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > CUSTOM_ATTRIBUTES_MAX_BYTES:
        raise PydanticCustomError(
            "custom_attributes_too_large",
            "custom_attributes may hold at most {limit} bytes of JSON; this one has {size}",
            {"limit": CUSTOM_ATTRIBUTES_MAX_BYTES, "size": size},
        )
    if _depth(value) > CUSTOM_ATTRIBUTES_MAX_DEPTH:
        raise PydanticCustomError(
            "custom_attributes_too_deep",
            "custom_attributes may nest at most {limit} levels deep",
            {"limit": CUSTOM_ATTRIBUTES_MAX_DEPTH},
        )
    if any(not key.strip() for key in value):
        raise PydanticCustomError("custom_attributes_key", "custom_attributes keys may not be blank")
    return value


# JsonObject's check runs first: measuring the size encodes the value, which a lone surrogate fails and which
# writes NaN or Infinity as if JSON had them (the JSON column would store null in their place).
CustomAttributes = Annotated[
    JsonObject,
    AfterValidator(check_custom_attributes),
    Field(
        description=f"Free-form facts about the partner: a JSON object of at most {CUSTOM_ATTRIBUTES_MAX_BYTES} "
        f"bytes, nested at most {CUSTOM_ATTRIBUTES_MAX_DEPTH} levels.",
        examples=[{"crm_account_id": "0015g00000XyZ", "preferred_language": "de"}],
    ),
]


# --- bodies ------------------------------------------------------------------------------------------------


class Specialisations(BaseModel):
    """What a partner is specialised in. In a PATCH, each list sent replaces that list; one left out stays."""

    model_config = ConfigDict(extra="forbid")

    product_lines: Labels = Field(default_factory=list, examples=[["networking", "security"]])
    industries: Labels = Field(default_factory=list, examples=[["healthcare"]])


def _revenue_not_negative(value: Money | None) -> Money | None:
    if value is not None and value.amount < 0:
        raise PydanticCustomError("negative_revenue", "annual_revenue cannot be negative")
    return value


AnnualRevenue = Annotated[Money | None, AfterValidator(_revenue_not_negative)]


def _tier_moves_by_tier_changes(_cls: Any, _value: Any) -> Any:
    """A tier is set only by a tier change, which keeps the tier history and tells the other services."""
    raise PydanticCustomError(
        "tier_by_tier_change",
        "a partner's tier is not set here; use POST /v1/partners/{partner_id}/tier-changes",
    )


class PartnerIn(BaseModel):
    """A partner to register. It starts as a `prospect`; its status then moves only by status transitions."""

    model_config = ConfigDict(extra="forbid")

    legal_name: Name = Field(examples=["Acme Networks GmbH"])
    display_name: Name | None = Field(
        default=None, description="Defaults to the legal name.", examples=["Acme Networks"]
    )
    partner_type: PartnerType
    country: CountryCode
    region: Region | None = Field(default=None, examples=["DACH"])
    registration_number: RegistrationNumber | None = Field(
        default=None,
        description=f"Company registration or tax number; unique per country. {REGISTRATION_NUMBER_RULE}",
        examples=["HRB 123456"],
    )
    website_domain: WebsiteDomain | None = None
    year_founded: YearFounded | None = None
    employee_count: EmployeeCount | None = None
    annual_revenue: AnnualRevenue = None
    specialisations: Specialisations = Field(default_factory=Specialisations)
    segments_served: Segments = Field(default_factory=list)
    custom_attributes: CustomAttributes = Field(default_factory=dict)
    # Not part of the schema: only here to answer a client that sends it with where tiers are set.
    tier: SkipJsonSchema[Any] = Field(default=None, exclude=True)

    _tier = field_validator("tier")(_tier_moves_by_tier_changes)


class PartnerPatch(BaseModel):
    """The fields to change; a field left out keeps its value, `null` clears an optional one.

    Needs `If-Match`. Status moves by `POST /v1/partners/{id}/status-transitions`, not here. A partner's own
    credential may change only display_name, website_domain, year_founded, employee_count, specialisations
    and segments_served.
    """

    model_config = ConfigDict(extra="forbid")

    legal_name: Omittable[Name] = None
    display_name: Omittable[Name] = None
    partner_type: Omittable[PartnerType] = None
    country: Omittable[CountryCode] = None
    region: Region | None = None
    registration_number: RegistrationNumber | None = Field(
        default=None,
        description=f"Company registration or tax number; unique per country. {REGISTRATION_NUMBER_RULE}",
    )
    website_domain: WebsiteDomain | None = None
    year_founded: YearFounded | None = None
    employee_count: EmployeeCount | None = None
    annual_revenue: AnnualRevenue = None
    specialisations: Omittable[Specialisations] = None
    segments_served: Omittable[Segments] = None
    custom_attributes: Omittable[CustomAttributes] = None
    tier: SkipJsonSchema[Any] = Field(default=None, exclude=True)

    _tier = field_validator("tier")(_tier_moves_by_tier_changes)


class PartnerOut(BaseModel):
    """A partner as the registry holds it."""

    id: UUID
    legal_name: str = Field(examples=["Acme Networks GmbH"])
    display_name: str = Field(examples=["Acme Networks"])
    partner_type: PartnerType
    status: PartnerStatus
    status_changed_at: AwareDatetime
    status_reason: str | None = Field(description="The reason given with the last status transition.")
    tier: str | None
    country: str = Field(description="ISO 3166-1 alpha-2", examples=["DE"])
    region: str | None
    registration_number: str | None
    website_domain: str | None
    year_founded: int | None
    employee_count: int | None
    annual_revenue: Money | None
    specialisations: Specialisations
    segments_served: list[CustomerSegment]
    custom_attributes: dict[str, Any]
    version: int = Field(description="Incremented on every change; the ETag is this number in quotes.")
    created_at: AwareDatetime
    updated_at: AwareDatetime


# --- events ------------------------------------------------------------------------------------------------


class FieldChange(BaseModel):
    """One field's value before and after a change (JSON values; money as its object)."""

    field: str = Field(examples=["display_name"])
    before: Any = Field(default=None, examples=["Acme Networks"])
    after: Any = Field(default=None, examples=["Acme Networks Europe"])


class PartnerCreated(BaseModel):
    """Data of `partner.created`."""

    partner: PartnerOut


class PartnerUpdated(BaseModel):
    """Data of `partner.updated`: the partner after the change and what changed."""

    partner: PartnerOut
    changes: list[FieldChange]


class PartnerStatusChanged(BaseModel):
    """Data of `partner.status_changed`."""

    partner_id: UUID
    from_status: PartnerStatus
    to_status: PartnerStatus
    reason: str | None
    changed_at: AwareDatetime
    partner: PartnerOut
