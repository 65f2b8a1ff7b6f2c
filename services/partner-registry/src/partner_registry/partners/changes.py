"""What changed, and who may change what: pure rules of partner updates, no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from prm_contracts.partners import FieldChange

# What a partner may edit about itself with its own credential: how it presents itself. Its legal identity,
# type, country and region (territory), registration number, revenue (an input to scoring), custom
# attributes (the vendor's own notes), tier and status belong to the vendor's channel team.
PARTNER_EDITABLE_FIELDS = frozenset(
    {"display_name", "website_domain", "year_founded", "employee_count", "specialisations", "segments_served"}
)

_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")


def registration_key(number: str | None) -> str | None:
    """The form registration numbers are compared in: `"hrb 123-456"` and `"HRB123456"` are one number."""
    if number is None:
        return None
    return _NOT_ALNUM.sub("", number).upper() or None


def label_key(label: str) -> str:
    """How specialisation labels are compared: case-folded, single-spaced."""
    return " ".join(label.split()).casefold()


def fields_not_editable_by_partner(fields: Iterable[str]) -> list[str]:
    return sorted(set(fields) - PARTNER_EDITABLE_FIELDS)


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
    """The fields whose (JSON) value differs, in the order of `after`."""
    return [
        FieldChange(field=name, before=before.get(name), after=value)
        for name, value in after.items()
        if before.get(name) != value
    ]


def _is_empty(value: Any) -> bool:
    if isinstance(value, dict):  # {} or specialisations with empty lists
        return all(v == [] for v in value.values())
    return value is None or value == []


def initial_values(values: Mapping[str, Any]) -> list[FieldChange]:
    """What a newly created record's history lists: each field given a value, from nothing."""
    return [FieldChange(field=name, after=value) for name, value in values.items() if not _is_empty(value)]
