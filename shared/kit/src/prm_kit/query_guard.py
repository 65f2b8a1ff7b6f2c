"""A query parameter the operation does not take is refused (422), never silently ignored.

Ignored, a misspelt filter (`?stauts=suspended`) answers the whole unfiltered list as if it had applied,
and a portal shows wrong data without a hint; an export or a bulk action does worse. The operations'
parameters are the ones the document lists, so a client can always tell beforehand what is taken; routes
outside the document (health probes, documentation pages) are left alone.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from prm_contracts.problem import UnprocessableContent, ValidationIssue

UNKNOWN_QUERY_PARAMETER = "unknown_query_parameter"

# Routes live as long as their app and are not hashable: by id, holding the route so that its id stays its own.
_taken_by_route: dict[int, tuple[object, frozenset[str]]] = {}


async def refuse_unknown_query_parameters(request: Request) -> None:
    """An app-wide dependency: runs before the operation's own, so nothing is read or stored first."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not getattr(route, "include_in_schema", False):
        return
    known = _taken_by_route.get(id(route))
    if known is None or known[0] is not route:
        known = _taken_by_route[id(route)] = (route, frozenset(query_parameters(dependant)))
    taken = known[1]
    unknown = [name for name in request.query_params if name not in taken]  # each name once
    if unknown:
        raise _refusal(unknown, taken)


def query_parameters(dependant: Dependant) -> set[str]:
    """The query parameters an operation takes, its dependencies' included (e.g. `limit` and `cursor`)."""
    names = {field.alias for field in dependant.query_params}
    for sub_dependant in dependant.dependencies:
        names |= query_parameters(sub_dependant)
    return names


# Named one by one up to this many: a query of a thousand made-up names is not answered with a thousand
# issues (an answer many times the request's size).
MAX_NAMED = 20


def _refusal(unknown: list[str], taken: frozenset[str]) -> UnprocessableContent:
    offered = ", ".join(sorted(taken)) if taken else "none"
    named_ones = unknown[:MAX_NAMED]
    issues = [
        ValidationIssue(
            loc=["query", name],
            msg=f"unknown query parameter {name!r}; this operation takes: {offered}",
            type=UNKNOWN_QUERY_PARAMETER,
        )
        for name in named_ones
    ]
    named = ", ".join(repr(name) for name in named_ones)
    if len(unknown) > MAX_NAMED:
        named += f" and {len(unknown) - MAX_NAMED} more"
    plural = "s" if len(unknown) > 1 else ""
    detail = f"unknown query parameter{plural} {named}; this operation takes: {offered}"
    return UnprocessableContent(detail, errors=issues)
