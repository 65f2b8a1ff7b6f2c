"""The scopes an API key can carry: `admin`, or `<resource>:read` / `<resource>:write` per resource.

The one list of them: key creation validates against it, the routing table names its resources from it.
`write` implies `read` on the same resource and `admin` passes everything (see `Principal.has_scope`).
"""

from __future__ import annotations

from prm_contracts.principal import ADMIN_SCOPE
from prm_contracts.problem import UnprocessableContent, ValidationIssue

RESOURCES: tuple[str, ...] = (
    "partners",
    "deal-registrations",
    "conflicts",
    "tiers",
    "scoring",
    "incentives",
    "analytics",
)
ACTIONS: tuple[str, ...] = ("read", "write")

KNOWN_SCOPES: tuple[str, ...] = (
    ADMIN_SCOPE,
    *(f"{resource}:{action}" for resource in RESOURCES for action in ACTIONS),
)
_KNOWN = frozenset(KNOWN_SCOPES)


def read_scope(resource: str) -> str:
    return f"{resource}:read"


def write_scope(resource: str) -> str:
    return f"{resource}:write"


def checked_scopes(scopes: list[str], *, field: str = "scopes") -> list[str]:
    """The scopes, de-duplicated in their given order, or a 422 naming each unknown one."""
    issues = [
        ValidationIssue(loc=["body", field, index], msg=f"unknown scope {scope!r}", type="scope_unknown")
        for index, scope in enumerate(scopes)
        if scope not in _KNOWN
    ]
    if not scopes:
        issues.append(ValidationIssue(loc=["body", field], msg="at least one scope", type="too_short"))
    if issues:
        raise UnprocessableContent(f"scopes must be some of: {', '.join(KNOWN_SCOPES)}", errors=issues)
    return list(dict.fromkeys(scopes))
