"""CHECK constraints shared by every service's models."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum


def one_of(column: str, values: Iterable[str] | type[Enum]) -> str:
    """The SQL of a CHECK that `column` holds one of `values` (an Enum class gives its members' values):
    `sa.CheckConstraint(one_of("status", PartnerStatus), name="status")`."""
    if isinstance(values, type) and issubclass(values, Enum):
        values = [str(member.value) for member in values]
    return f"{column} IN ({', '.join(repr(value) for value in values)})"
