"""Calendar dates as they cross boundaries: ISO 8601 `YYYY-MM-DD` strings and nothing else.

pydantic's own `date` also takes numbers (read as Unix timestamps) and midnight datetimes; an API that says
"dates are ISO 8601" should refuse those with a message saying what to send.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

# [0-9], not \d: Python's \d also matches other scripts' digits.
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATE_RE = re.compile(DATE_PATTERN)


def utc_today() -> date:
    """Today's date in UTC: what "today" means in every rule that compares dates."""
    return datetime.now(UTC).date()


def parse_date(value: Any) -> date:
    """A `YYYY-MM-DD` string (or a `date` from Python code) that names a real calendar day."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise PydanticCustomError(
            "date_format",
            "must be a date written as YYYY-MM-DD, such as 2026-07-01; got {value}",
            {"value": value},
        )
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise PydanticCustomError("date_invalid", "{value} is not a calendar date", {"value": value}) from exc


def _not_in_future(value: date) -> date:
    if value > utc_today():
        raise PydanticCustomError(
            "date_in_future", "cannot be in the future (today is {today} UTC)", {"today": str(utc_today())}
        )
    return value


IsoDate = Annotated[
    date,
    BeforeValidator(parse_date),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-07-01"]}),
]
PastOrTodayDate = Annotated[
    date,
    BeforeValidator(parse_date),
    AfterValidator(_not_in_future),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "description": "Today (UTC) or earlier.",
            "examples": ["2026-07-01"],
        }
    ),
]
