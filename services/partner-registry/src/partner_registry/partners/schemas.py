"""Bodies of the partner endpoints that stay inside the registry, and ORM → contract conversions.

PartnerIn / PartnerPatch / PartnerOut cross service boundaries and live in `prm_contracts.partners`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from prm_contracts.partners import (
    FieldChange,
    PartnerOut,
    PartnerStatus,
    PartnerType,
    Specialisations,
)
from prm_contracts.text import STRIPPED
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from partner_registry.partners.models import HistoryKind, Partner, PartnerHistoryEntry


class PartnerSort(StrEnum):
    """Sort orders of the partner list; a leading `-` means descending. Names sort case-insensitively."""

    DISPLAY_NAME = "display_name"
    DISPLAY_NAME_DESC = "-display_name"
    LEGAL_NAME = "legal_name"
    LEGAL_NAME_DESC = "-legal_name"
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"


@dataclass(frozen=True)
class PartnerFilters:
    """List filters: each list matches any of its values; empty lists do not filter."""

    partner_types: list[PartnerType] = field(default_factory=list)
    statuses: list[PartnerStatus] = field(default_factory=list)
    tiers: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    specialisations: list[str] = field(default_factory=list)
    name_contains: str | None = None
    registration_number_key: str | None = None  # compared form (partners.changes.registration_key)
    website_domain: str | None = None  # normalised
    # True: only partners with an agreement current on `today`; False: only those without one
    has_current_agreement: bool | None = None
    today: date | None = None


Reason = Annotated[str, StringConstraints(max_length=2000), STRIPPED]


class StatusTransitionIn(BaseModel):
    """Move a partner to another lifecycle status. `suspended` and `terminated` need a reason."""

    model_config = ConfigDict(extra="forbid")

    to_status: PartnerStatus
    reason: Reason | None = Field(default=None, examples=["Unpaid invoices for 90 days"])


class StatusTransitionOut(BaseModel):
    """A status transition that took place, and the partner after it."""

    id: UUID = Field(description="The id of the history entry that records the transition.")
    partner_id: UUID
    from_status: PartnerStatus
    to_status: PartnerStatus
    reason: str | None
    transitioned_by: str = Field(description="The subject of the principal who made the transition.")
    transitioned_at: AwareDatetime
    partner: PartnerOut


class HistoryEntryOut(BaseModel):
    """One change to a partner: who, when, what (fields before/after) and, for a transition, why."""

    id: UUID
    partner_id: UUID
    kind: HistoryKind
    occurred_at: AwareDatetime
    actor: str = Field(description="The subject of the principal who made the change.")
    changes: list[FieldChange]
    from_status: PartnerStatus | None = None
    to_status: PartnerStatus | None = None
    reason: str | None = None
    contact_id: UUID | None = Field(default=None, description="Set on contact_* entries.")
    territory_id: UUID | None = Field(default=None, description="Set on territory_* entries.")
    partner_version: int = Field(description="The partner's version after the change.")


def canonical_amount(amount: Decimal) -> Decimal:
    """One spelling per value, whether read back from the database (4 places) or just received:
    at least 2 and at most 4 decimal places ("1250.50", "0.1234")."""
    exact = amount.quantize(Decimal("0.0001"))
    for places in (2, 3):
        shorter = exact.quantize(Decimal(1).scaleb(-places))
        if shorter == exact:
            return shorter
    return exact


def _partner_fields(partner: Any, product_lines: list[str], industries: list[str]) -> dict[str, Any]:
    """PartnerOut's fields of a partner entity or a row with its columns."""
    revenue = None
    if partner.annual_revenue_amount is not None and partner.annual_revenue_currency is not None:
        revenue = {
            "amount": canonical_amount(partner.annual_revenue_amount),
            "currency": partner.annual_revenue_currency,
        }
    return {
        "id": partner.id,
        "legal_name": partner.legal_name,
        "display_name": partner.display_name,
        "partner_type": partner.partner_type,
        "status": partner.status,
        "status_changed_at": partner.status_changed_at,
        "status_reason": partner.status_reason,
        "tier": partner.tier,
        "country": partner.country,
        "region": partner.region,
        "registration_number": partner.registration_number,
        "website_domain": partner.website_domain,
        "year_founded": partner.year_founded,
        "employee_count": partner.employee_count,
        "annual_revenue": revenue,
        # stored as validated (distinct, one line each): built, not validated again per partner
        "specialisations": Specialisations.model_construct(
            product_lines=product_lines, industries=industries
        ),
        "segments_served": partner.segments_served,
        "custom_attributes": partner.custom_attributes,
        "version": partner.version,
        "created_at": partner.created_at,
        "updated_at": partner.updated_at,
    }


def partner_out(partner: Partner) -> PartnerOut:
    product_lines = [s.value for s in partner.specialisations if s.kind == "product_line"]
    industries = [s.value for s in partner.specialisations if s.kind == "industry"]
    return PartnerOut.model_validate(_partner_fields(partner, product_lines, industries))


def partner_item(row: Any) -> dict[str, Any]:
    """PartnerOut's fields of a list row (`repository.partner_page`), validated with the page."""
    specialisations = sorted(row.specialisations or ())  # [kind, position, value]: by kind, then position
    return _partner_fields(
        row,
        [value for kind, _, value in specialisations if kind == "product_line"],
        [value for kind, _, value in specialisations if kind == "industry"],
    )


def history_entry_out(entry: PartnerHistoryEntry) -> HistoryEntryOut:
    return HistoryEntryOut(
        id=entry.id,
        partner_id=entry.partner_id,
        kind=HistoryKind(entry.kind),
        occurred_at=entry.occurred_at,
        actor=entry.actor,
        changes=[FieldChange.model_validate(change) for change in entry.changes],
        from_status=PartnerStatus(entry.from_status) if entry.from_status else None,
        to_status=PartnerStatus(entry.to_status) if entry.to_status else None,
        reason=entry.reason,
        contact_id=entry.contact_id,
        territory_id=entry.territory_id,
        partner_version=entry.partner_version,
    )
