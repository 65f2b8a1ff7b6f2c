"""FX rates: loading (all or nothing), listing and the rate a conversion uses.

A load — a JSON batch or a CSV upload — is stored whole or not at all: a malformed line, a duplicate pair and
date, a gap in a pair's series (fx/series.py) refuse it with 422 naming every line; a rate that differs from
the one stored for its pair and date refuses it with 409 unless the load says `corrections`. Loading a rate
already stored identically changes nothing (a retried load is harmless).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Sequence
from datetime import date, datetime
from typing import Any

from prm_contracts.analytics import FxFrequency, FxLoadReport, FxRateIn, FxRateOut, FxRatesIn, FxRateUsed
from prm_contracts.pagination import Page
from prm_contracts.problem import Conflict, NotFound, PayloadTooLarge, UnprocessableContent, ValidationIssue
from prm_kit.csv_upload import csv_records
from prm_kit.db import bump_version, ordered_id
from prm_kit.errors import summarise, validation_issues
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.fx import repository
from analytics.fx.conversion import StoredRate, rate_used
from analytics.fx.models import FxRate
from analytics.fx.series import LoadLine, series_issues

CSV_COLUMNS = ("base", "quote", "rate", "effective_on")
MAX_CSV_LINES = 100_000
MAX_REPORTED_ISSUES = 100
MAX_RANGE_DAYS = 366 * 10
ORDER = "effective_on"


class FxRateConflict(Conflict):
    slug, title = "fx-rate-conflict", "A different rate is stored for this pair and date"


class FxRateMissing(NotFound):
    slug, title = "fx-rate-missing", "No FX rate for this conversion"


def fx_rate_out(rate: FxRate) -> FxRateOut:
    return FxRateOut(
        id=rate.id,
        base=rate.base,
        quote=rate.quote,
        rate=rate.rate,
        effective_on=rate.effective_on,
        version=rate.version,
        created_at=rate.created_at,
        updated_at=rate.updated_at,
    )


def _refused(issues: list[ValidationIssue], total: int | None = None) -> UnprocessableContent:
    total = len(issues) if total is None else total
    shown = issues[:MAX_REPORTED_ISSUES]
    return UnprocessableContent(
        f"nothing was stored: {total} problem(s) in the rates; {summarise(shown)}",
        errors=shown,
        problem_count=total,
    )


def batch_lines(body: FxRatesIn) -> list[LoadLine]:
    return [
        LoadLine(loc=("body", "rates", index), label=f"rates[{index}]", rate=rate)
        for index, rate in enumerate(body.rates)
    ]


async def csv_lines(chunks: AsyncIterable[bytes]) -> list[LoadLine]:
    """The rates of a CSV upload, each line validated; 422 listing every bad line (nothing is stored)."""
    lines: list[LoadLine] = []
    issues: list[ValidationIssue] = []
    problem_count = 0
    async for record in csv_records(chunks, columns=CSV_COLUMNS):
        if len(lines) + problem_count >= MAX_CSV_LINES:
            raise PayloadTooLarge(f"an FX upload may have at most {MAX_CSV_LINES} rates; split the file")
        try:
            rate = FxRateIn.model_validate(record.values)
        except ValidationError as exc:
            problem_count += 1
            for issue in validation_issues(exc.errors()):
                if len(issues) < MAX_REPORTED_ISSUES:
                    field = [part for part in issue.loc if isinstance(part, str)] or ["record"]
                    issues.append(
                        ValidationIssue(
                            loc=["body", record.line, *field],
                            msg=f"line {record.line}: {issue.msg}",
                            type=issue.type,
                        )
                    )
            continue
        lines.append(LoadLine(loc=("body", record.line), label=f"line {record.line}", rate=rate))
    if problem_count:
        raise _refused(issues, problem_count)
    if not lines:
        raise UnprocessableContent("nothing was stored: the file has a header but no rates")
    return lines


async def load_rates(
    session: AsyncSession,
    lines: Sequence[LoadLine],
    *,
    frequency: FxFrequency,
    corrections: bool,
    now: datetime,
) -> FxLoadReport:
    """Store a load's rates, all or nothing (see the module's docstring)."""
    if issues := series_issues(lines, frequency):
        raise _refused(issues)
    spans: dict[tuple[str, str], tuple[date, date]] = {}
    for line in lines:
        pair, day = (line.rate.base, line.rate.quote), line.rate.effective_on
        first, last = spans.get(pair, (day, day))
        spans[pair] = (min(first, day), max(last, day))
    stored = await repository.stored_rates(session, [(*pair, *span) for pair, span in spans.items()])
    new_rows: list[dict[str, Any]] = []
    changed: list[tuple[FxRate, LoadLine]] = []
    unchanged = 0
    for line in lines:
        rate = line.rate
        existing = stored.get((rate.base, rate.quote, rate.effective_on))
        if existing is None:
            new_rows.append(
                {
                    "id": ordered_id(),
                    "base": rate.base,
                    "quote": rate.quote,
                    "effective_on": rate.effective_on,
                    "rate": rate.rate,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        elif existing.rate == rate.rate:
            unchanged += 1
        else:
            changed.append((existing, line))
    if changed and not corrections:
        shown = changed[:MAX_REPORTED_ISSUES]
        raise FxRateConflict(
            f"nothing was stored: {len(changed)} rate(s) differ from the stored ones, e.g. {shown[0][1].label}: "
            f"{shown[0][0].base}/{shown[0][0].quote} on {shown[0][0].effective_on} is stored as "
            f"{shown[0][0].rate}, not {shown[0][1].rate.rate}; send the load with corrections to replace them",
            errors=[
                ValidationIssue(
                    loc=[*line.loc, "rate"],
                    msg=f"{line.label}: stored as {row.rate}, given {line.rate.rate}",
                    type="fx_rate_differs",
                )
                for row, line in shown
            ],
        )
    for row, line in changed:
        row.rate = line.rate.rate
        await bump_version(session, row, at=now)
    await repository.insert_rates(session, new_rows)
    return FxLoadReport(created=len(new_rows), unchanged=unchanged, corrected=len(changed))


async def list_rates(
    session: AsyncSession,
    *,
    base: str | None,
    quote: str | None,
    first: date | None,
    last: date | None,
    limit: int,
    cursor: str | None,
) -> Page[FxRateOut]:
    rows = await repository.rate_page(
        session,
        base=base,
        quote=quote,
        first=first,
        last=last,
        after=keyset_position(cursor, ORDER, date),
        limit=limit + 1,
    )
    return page_of(
        rows, limit, out=fx_rate_out, cursor_of=lambda r: keyset_cursor(ORDER, r.effective_on, r.id)
    )


async def pair_rates(
    session: AsyncSession, base: str, quote: str, first: date, last: date
) -> list[FxRateOut]:
    """The pair's rates over a range (for other services): the ones effective in it and the one in force at
    its start."""
    if last < first:
        raise UnprocessableContent(
            "to must not be before from",
            errors=[
                ValidationIssue(loc=["query", "to"], msg="must not be before from", type="range_invalid")
            ],
        )
    if (last - first).days > MAX_RANGE_DAYS:
        raise UnprocessableContent(
            f"a range may span at most {MAX_RANGE_DAYS} days",
            errors=[ValidationIssue(loc=["query", "to"], msg="range too long", type="range_invalid")],
        )
    return [fx_rate_out(row) for row in await repository.rates_between(session, base, quote, first, last)]


def _stored(rate: FxRate | None) -> StoredRate | None:
    if rate is None:
        return None
    return StoredRate(base=rate.base, quote=rate.quote, effective_on=rate.effective_on, rate=rate.rate)


async def rate_for(session: AsyncSession, base: str, quote: str, on: date) -> FxRateUsed:
    """The rate converting `base` to `quote` on `on`; 404 `fx-rate-missing` when no rate covers it."""
    direct = reverse = None
    if base != quote:
        direct = await repository.rate_in_force(session, base, quote, on)
        reverse = await repository.rate_in_force(session, quote, base, on)
    used = rate_used(base, quote, on, direct=_stored(direct), reverse=_stored(reverse))
    if used is None:
        raise FxRateMissing(
            f"no FX rate converts {base} to {quote} on {on}: neither {base}/{quote} nor {quote}/{base} has a "
            f"rate effective on or before that day",
            base=base,
            quote=quote,
            on=on.isoformat(),
        )
    return used
