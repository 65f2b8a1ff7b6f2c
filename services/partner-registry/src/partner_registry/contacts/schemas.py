"""Bodies of the contact endpoints, and ORM → body conversion."""

from __future__ import annotations

import re
from typing import Annotated, Any
from uuid import UUID

from prm_contracts.partners import Name
from prm_contracts.patch import Omittable
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from partner_registry.contacts.models import Contact, ContactRole

# The "valid e-mail address" of the HTML standard (what browsers check), with a dot in the domain required:
# contacts are reached over the internet, not at `user@localhost`.
_LOCAL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")
_DOMAIN_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def normalise_email(value: Any) -> str:
    """`Anna.Berg@Example.COM` → `Anna.Berg@example.com`: trimmed, domain lower-cased and in IDNA form."""
    invalid = PydanticCustomError(
        "email",
        "email must be an address such as anna@example.com, got {value}",
        {"value": repr(value)[:100]},
    )
    if not isinstance(value, str):
        raise invalid
    local, at, domain = value.strip().rpartition("@")
    try:
        domain = domain.lower().encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise invalid from exc
    labels = domain.split(".")
    if not (
        at
        and _LOCAL.fullmatch(local)
        and len(labels) >= 2
        and all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
        and len(local) + 1 + len(domain) <= 254
    ):
        raise invalid
    return f"{local}@{domain}"


Email = Annotated[
    str,
    BeforeValidator(normalise_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 254, "examples": ["anna@example.com"]}),
]


def normalise_phone(value: Any) -> str:
    """Digits with optional `+`, spaces, dots, dashes, slashes and parentheses; 6 to 20 digits."""
    if not isinstance(value, str) or not re.fullmatch(r"\+?[0-9 ()./-]{6,32}", value.strip()):
        raise PydanticCustomError(
            "phone",
            "phone must be a number such as +49 30 1234567, got {value}",
            {"value": repr(value)[:100]},
        )
    digits = sum(ch.isdigit() for ch in value)
    if not 6 <= digits <= 20:
        raise PydanticCustomError("phone", "phone must have 6 to 20 digits")
    return " ".join(value.split())


Phone = Annotated[
    str,
    BeforeValidator(normalise_phone),
    WithJsonSchema({"type": "string", "maxLength": 32, "examples": ["+49 30 1234567"]}),
]


class ContactIn(BaseModel):
    """A person at the partner. At most one contact per partner has the role `primary`."""

    model_config = ConfigDict(extra="forbid")

    name: Name = Field(examples=["Anna Berg"])
    email: Email
    phone: Phone | None = None
    role: ContactRole


class ContactPatch(BaseModel):
    """The fields to change; left out keeps, `null` clears `phone`. Needs `If-Match`."""

    model_config = ConfigDict(extra="forbid")

    name: Omittable[Name] = None
    email: Omittable[Email] = None
    phone: Phone | None = None
    role: Omittable[ContactRole] = None


class ContactOut(BaseModel):
    id: UUID
    partner_id: UUID
    name: str
    email: str
    phone: str | None
    role: ContactRole
    version: int = Field(description="Incremented on every change; the ETag is this number in quotes.")
    created_at: AwareDatetime
    updated_at: AwareDatetime


def contact_out(contact: Contact) -> ContactOut:
    return ContactOut(
        id=contact.id,
        partner_id=contact.partner_id,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        role=ContactRole(contact.role),
        version=contact.version,
        created_at=contact.created_at,
        updated_at=contact.updated_at,
    )
