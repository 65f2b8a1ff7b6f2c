"""The rules of an input addressed by its natural key (a target, a market size, a spend), shared by those
domains: `PUT` creates it, repeats it harmlessly, or replaces it only against the version read.

- absent: created (201); an `If-Match` sent then fails (412), as nothing was read;
- present with the same content: nothing changes (200, same version), so a retried PUT is harmless;
- present with other content: replaced (200, next version) only with `If-Match` naming the current version
  (428 without, 412 when stale), so a change made meanwhile is never overwritten unseen.
"""

from __future__ import annotations

from enum import Enum

from prm_contracts.periods import Period, parse_period
from prm_contracts.problem import PreconditionFailed, UnprocessableContent, ValidationIssue
from prm_kit.etag import check_if_match


class PutOutcome(Enum):
    CREATE = "create"
    UNCHANGED = "unchanged"
    REPLACE = "replace"


def put_outcome(
    current_version: int | None, *, same: bool, if_match: str | None, resource: str
) -> PutOutcome:
    """What a PUT does (see the module's docstring); raises 412/428 when it may not."""
    if current_version is None:
        if if_match is not None:
            raise PreconditionFailed(
                f"If-Match was sent but there is no {resource} yet; send the PUT without it"
            )
        return PutOutcome.CREATE
    check_if_match(if_match, current_version, required=not same, resource=resource)
    return PutOutcome.UNCHANGED if same else PutOutcome.REPLACE


def period_in_path(label: str) -> Period:
    """The period a path names; 422 when it is not a year, quarter or month."""
    try:
        return parse_period(label)
    except ValueError as exc:
        raise UnprocessableContent(
            f"period: {exc}", errors=[ValidationIssue(loc=["path", "period"], msg=str(exc), type="period")]
        ) from exc


def period_in_query(label: str | None) -> Period | None:
    if label is None:
        return None
    try:
        return parse_period(label)
    except ValueError as exc:
        raise UnprocessableContent(
            f"period: {exc}", errors=[ValidationIssue(loc=["query", "period"], msg=str(exc), type="period")]
        ) from exc
