"""HTTP of FX rates: `/v1/fx-rates` (loading by JSON or CSV, listing, the rate a conversion uses) and
`/internal/fx-rates` for other services (incentives, KPIs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from prm_contracts.analytics import FxFrequency, FxLoadReport, FxRateOut, FxRatesIn, FxRateUsed
from prm_contracts.dates import IsoDate
from prm_contracts.money import CurrencyCode
from prm_contracts.pagination import Page
from prm_kit.clock import NowDep
from prm_kit.csv_upload import csv_body
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.internal_auth import require
from prm_kit.pagination import CursorQuery, LimitQuery

from analytics.fx import service
from analytics.partners.access import VENDOR_ONLY

router = APIRouter(prefix="/v1/fx-rates", tags=["fx-rates"])
internal_router = APIRouter(prefix="/internal/fx-rates", include_in_schema=False)

READ = require("analytics:read")
WRITE = require("analytics:write")
INTERNAL = require("internal")

BaseQuery = Annotated[CurrencyCode, Query(description="ISO 4217 code of the currency converted from.")]
QuoteQuery = Annotated[CurrencyCode, Query(description="ISO 4217 code of the currency converted to.")]
OnQuery = Annotated[IsoDate, Query(description="The day of the conversion.")]
FrequencyQuery = Annotated[
    FxFrequency,
    Query(
        description="`daily`: each pair's series has every day from its first to its last date; `monthly`: "
        "the first day of every month."
    ),
]
CorrectionsQuery = Annotated[
    bool, Query(description="Replace stored rates that differ (otherwise such a file is refused with 409).")
]


@router.post(
    "",
    response_model=FxLoadReport,
    summary="Load FX rates",
    responses=problems(403, 409, 422),
    dependencies=[WRITE, VENDOR_ONLY],
)
async def load_fx_rates(body: FxRatesIn, session: SessionDep, now: NowDep) -> FxLoadReport:
    """Stores up to 10,000 rates, all or nothing. 422 (every problem with its `rates[i]` location) for a
    duplicate pair and date, a gap in a pair's series at the given `frequency`, or a monthly rate not on a
    first day; 409 when a rate differs from the stored one for its pair and date and `corrections` is not
    set. Rates already stored identically are counted `unchanged`."""
    return await service.load_rates(
        session, service.batch_lines(body), frequency=body.frequency, corrections=body.corrections, now=now
    )


@router.post(
    "/imports",
    response_model=FxLoadReport,
    summary="Upload FX rates as CSV",
    responses=problems(403, 409, 413, 415, 422),
    dependencies=[WRITE, VENDOR_ONLY],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "base,quote,rate,effective_on\nEUR,USD,1.0842,2026-07-01\nEUR,USD,1.0851,2026-07-02\n",
                }
            },
        }
    },
)
async def import_fx_rates(
    request: Request,
    session: SessionDep,
    now: NowDep,
    frequency: FrequencyQuery = FxFrequency.DAILY,
    corrections: CorrectionsQuery = False,
) -> FxLoadReport:
    """A CSV file (`text/csv`, UTF-8) with the header `base,quote,rate,effective_on`, read as it streams in
    and stored all or nothing, by the rules of `POST /v1/fx-rates`. A problem's `errors[].loc` is
    `["body", <line number>, <column>]`, the header being line 1; at most 100,000 rates per file."""
    lines = await service.csv_lines(csv_body(request))
    return await service.load_rates(session, lines, frequency=frequency, corrections=corrections, now=now)


@router.get(
    "",
    response_model=Page[FxRateOut],
    summary="List FX rates",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_fx_rates(
    session: SessionDep,
    base: Annotated[CurrencyCode | None, Query(description="Only rates from this currency.")] = None,
    quote: Annotated[CurrencyCode | None, Query(description="Only rates to this currency.")] = None,
    first_day: Annotated[IsoDate | None, Query(alias="from", description="Effective on or after.")] = None,
    last_day: Annotated[IsoDate | None, Query(alias="to", description="Effective on or before.")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[FxRateOut]:
    """Stored rates, oldest effective date first."""
    return await service.list_rates(
        session, base=base, quote=quote, first=first_day, last=last_day, limit=limit, cursor=cursor
    )


@router.get(
    "/lookup",
    response_model=FxRateUsed,
    summary="Find the FX rate of a conversion",
    responses=problems(403, 404, 422),
    dependencies=[READ],
)
async def look_up_fx_rate(base: BaseQuery, quote: QuoteQuery, on: OnQuery, session: SessionDep) -> FxRateUsed:
    """The rate converting `base` to `quote` on `on`: the pair's rate in force that day, or the inverse of
    the reverse pair's when that one is more recent or the only one (`inverted`); never a cross rate through
    a third currency. 404 `fx-rate-missing` when neither pair has a rate on or before `on`."""
    return await service.rate_for(session, base, quote, on)


@internal_router.get("/lookup", response_model=FxRateUsed, dependencies=[INTERNAL])
async def internal_fx_rate(
    base: BaseQuery, quote: QuoteQuery, on: OnQuery, session: SessionDep
) -> FxRateUsed:
    return await service.rate_for(session, base, quote, on)


@internal_router.get("", response_model=list[FxRateOut], dependencies=[INTERNAL])
async def internal_fx_rates(
    base: BaseQuery,
    quote: QuoteQuery,
    session: SessionDep,
    first_day: Annotated[IsoDate, Query(alias="from")],
    last_day: Annotated[IsoDate, Query(alias="to")],
) -> list[FxRateOut]:
    return await service.pair_rates(session, base, quote, first_day, last_day)
