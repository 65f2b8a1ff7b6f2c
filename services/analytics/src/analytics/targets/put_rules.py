"""The rules of an input addressed by its natural key (a target, a market size, a spend), shared by those
domains: `PUT` creates it, repeats it harmlessly, or replaces it only against the version read.

- absent: created (201); an `If-Match` sent then fails (412), as nothing was read;
- present with the same content: nothing changes (200, same version), so a retried PUT is harmless;
- present with other content: replaced (200, next version) only with `If-Match` naming the current version
  (428 without, 412 when stale), so a change made meanwhile is never overwritten unseen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol, TypeVar

from prm_contracts.money import Money
from prm_contracts.periods import Period, parse_period
from prm_contracts.problem import PreconditionFailed, UnprocessableContent, ValidationIssue
from prm_kit.db import Versioned, bump_version, ordered_id
from prm_kit.etag import check_if_match
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.sales.rollups import STORED_QUANTUM


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


class MoneyInput(Versioned, Protocol):
    """A stored input holding one amount of money under its natural key (target, market size, spend)."""

    amount: Decimal
    currency: str


Row = TypeVar("Row", bound=MoneyInput)


def money_put_outcome(
    existing: MoneyInput | None, money: Money, *, if_match: str | None, resource: str
) -> PutOutcome:
    """`put_outcome` for an input whose content is its money."""
    same = existing is not None and (existing.amount, existing.currency) == (money.amount, money.currency)
    return put_outcome(
        existing.version if existing else None, same=same, if_match=if_match, resource=resource
    )


def period_columns(period: Period) -> dict[str, Any]:
    """The columns each period-keyed input stores about its period."""
    return {
        "period": period.label,
        "period_kind": period.kind.value,
        "first_day": period.first_day,
        "last_day": period.last_day,
    }


async def store_money(
    session: AsyncSession,
    existing: Row | None,
    money: Money,
    outcome: PutOutcome,
    *,
    new: Callable[..., Row],
    add: Callable[[AsyncSession, Row], Awaitable[None]],
    now: datetime,
) -> Row:
    """Carry out a PUT's outcome: a new row made by `new(**columns)`, the existing one replaced (next version)
    or left as it is. The amount is kept at the column's 4 places, so the PUT's answer is what a GET of the
    same version (the same ETag) reads: `1000.5` is answered `1000.5000` both times."""
    amount = money.amount.quantize(STORED_QUANTUM)
    if existing is None:
        row = new(
            id=ordered_id(),
            amount=amount,
            currency=money.currency,
            version=1,
            created_at=now,
            updated_at=now,
        )
        await add(session, row)
        return row
    if outcome is PutOutcome.REPLACE:
        existing.amount, existing.currency = amount, money.currency
        await bump_version(session, existing, at=now)
    return existing


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
