"""Bodies of the house-account endpoints, and ORM → body conversion.

House accounts are the vendor's own business and stay inside the registry, so their bodies live here rather
than in `prm_contracts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated
from uuid import UUID

from prm_contracts.deal_registrations import CustomerDomain
from prm_contracts.partners import CountryCode, Name
from prm_contracts.patch import Omittable
from prm_contracts.text import STRIPPED
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

if TYPE_CHECKING:
    from partner_registry.house_accounts.models import HouseAccount

Notes = Annotated[str, StringConstraints(max_length=4000), STRIPPED]


class HouseAccountIn(BaseModel):
    """A customer the vendor sells to directly: partners' registrations for it are routed to review."""

    model_config = ConfigDict(extra="forbid")

    customer_name: Name = Field(examples=["Initech AG"])
    customer_domain: CustomerDomain = Field(description="Unique among house accounts.")
    country: CountryCode
    notes: Notes | None = None


class HouseAccountPatch(BaseModel):
    """The fields to change; left out keeps, `null` clears `notes`. Needs `If-Match`."""

    model_config = ConfigDict(extra="forbid")

    customer_name: Omittable[Name] = None
    customer_domain: Omittable[CustomerDomain] = None
    country: Omittable[CountryCode] = None
    notes: Notes | None = None


class HouseAccountOut(BaseModel):
    id: UUID
    customer_name: str
    customer_domain: str
    country: str = Field(description="ISO 3166-1 alpha-2", examples=["DE"])
    notes: str | None
    version: int = Field(description="Incremented on every change; the ETag is this number in quotes.")
    created_at: AwareDatetime
    updated_at: AwareDatetime


def house_account_out(account: HouseAccount) -> HouseAccountOut:
    return HouseAccountOut(
        id=account.id,
        customer_name=account.customer_name,
        customer_domain=account.customer_domain,
        country=account.country,
        notes=account.notes,
        version=account.version,
        created_at=account.created_at,
        updated_at=account.updated_at,
    )
