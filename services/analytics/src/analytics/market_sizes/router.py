"""HTTP of market sizes: `/v1/market/sizes/{region}/{segment}/{period}`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Response
from prm_contracts.pagination import Page
from prm_contracts.periods import PERIOD_IN_DOCUMENT
from prm_contracts.problem import UnprocessableContent, ValidationIssue
from prm_kit.clock import NowDep
from prm_kit.db import SessionDep
from prm_kit.errors import problems
from prm_kit.etag import IfMatchHeader, etag_response, set_etag
from prm_kit.internal_auth import require
from prm_kit.pagination import CursorQuery, LimitQuery
from prm_kit.periods import PeriodPath

from analytics.market_sizes import service
from analytics.market_sizes.schemas import MarketSizeIn, MarketSizeOut, normalise_region, normalise_segment
from analytics.partners.access import VENDOR_ONLY
from analytics.targets.put_rules import PutOutcome, period_in_path, period_in_query

router = APIRouter(prefix="/v1/market/sizes", tags=["market-sizes"])

READ = require("analytics:read")
WRITE = require("analytics:write")
RegionPath = Annotated[
    str,
    Path(
        max_length=200,
        description="An ISO 3166-1 alpha-2 country (`DE`), a region code (`EMEA`) or a region as partners are "
        "placed in (`UK & Ireland`); stored upper-cased with single spaces, the form a partner's region is "
        "matched in.",
    ),
]
SegmentPath = Annotated[
    str,
    Path(
        max_length=200, description="The customer segment, free text (compared without case or extra spaces)."
    ),
]


def _checked(where: str, name: str, value: str | None, normalise: Callable[[Any], str]) -> str | None:
    if value is None:
        return None
    try:
        return normalise(value)
    except ValueError as exc:
        raise UnprocessableContent(
            f"{name}: {exc}", errors=[ValidationIssue(loc=[where, name], msg=str(exc), type=name)]
        ) from exc


def _key(region: str, segment: str) -> tuple[str, str]:
    return (
        _checked("path", "region", region, normalise_region) or "",
        _checked("path", "segment", segment, normalise_segment) or "",
    )


@router.put(
    "/{region}/{segment}/{period}",
    response_model=MarketSizeOut,
    summary="Set a market size",
    responses={
        **etag_response(200),
        201: {"model": MarketSizeOut, "description": "Created"} | etag_response(201)[201],
        **problems(403, 412, 422, 428),
    },
    dependencies=[WRITE, VENDOR_ONLY],
)
async def put_market_size(
    region: RegionPath,
    segment: SegmentPath,
    period: PeriodPath,
    body: MarketSizeIn,
    session: SessionDep,
    response: Response,
    now: NowDep,
    if_match: IfMatchHeader = None,
) -> MarketSizeOut:
    """Creates the market size (201), leaves it when sent unchanged (200), or replaces it (200) with
    `If-Match` naming the version read (428 without, 412 when stale). Not for a partner's own credential."""
    region_code, segment_text = _key(region, segment)
    size, outcome = await service.put_size(
        session, region_code, segment_text, period_in_path(period), body, if_match=if_match, now=now
    )
    if outcome is PutOutcome.CREATE:
        response.status_code = 201
        region_in_path, segment_in_path = quote(size.region, safe=""), quote(size.segment, safe="")
        response.headers["Location"] = f"/v1/market/sizes/{region_in_path}/{segment_in_path}/{size.period}"
    set_etag(response, size.version)
    return service.market_size_out(size)


@router.get(
    "/{region}/{segment}/{period}",
    response_model=MarketSizeOut,
    summary="Get a market size",
    responses={**etag_response(200), **problems(403, 404, 422)},
    dependencies=[READ],
)
async def get_market_size(
    region: RegionPath, segment: SegmentPath, period: PeriodPath, session: SessionDep, response: Response
) -> MarketSizeOut:
    region_code, segment_text = _key(region, segment)
    size = await service.get_size(session, region_code, segment_text, period_in_path(period))
    set_etag(response, size.version)
    return service.market_size_out(size)


@router.get(
    "",
    response_model=Page[MarketSizeOut],
    summary="List market sizes",
    responses=problems(403, 422),
    dependencies=[READ],
)
async def list_market_sizes(
    session: SessionDep,
    region: Annotated[str | None, Query(max_length=200)] = None,
    segment: Annotated[str | None, Query(max_length=200)] = None,
    period: Annotated[str | None, Query(max_length=16, json_schema_extra=PERIOD_IN_DOCUMENT)] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[MarketSizeOut]:
    """Market sizes by period, filtered by region, segment (normalised as stored) and period."""
    return await service.list_sizes(
        session,
        region=_checked("query", "region", region, normalise_region),
        segment=_checked("query", "segment", segment, normalise_segment),
        period=period_in_query(period),
        limit=limit,
        cursor=cursor,
    )
