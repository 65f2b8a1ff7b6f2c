"""Arranging calculation runs: replica rows written straight into the test's transaction (what the event
consumers would have stored), programme bodies, and analytics over `httpx.MockTransport` answering the FX
rates and targets a test puts in it (built from the contract models)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any
from uuid import UUID, uuid4

import httpx
from incentives.replica.models import (
    DealRegistrationState,
    PartnerProfile,
    PartnerStatusPeriod,
    PartnerTierPeriod,
    SalesLine,
)
from prm_contracts.analytics import FxRateOut, FxRateUsed, TargetMetric, TargetOut
from prm_contracts.money import Money
from prm_contracts.periods import parse_period
from prm_contracts.principal import Principal
from prm_contracts.problem import PROBLEM_MEDIA_TYPE
from sqlalchemy.ext.asyncio import AsyncSession

RECORDED = datetime(2026, 1, 1, tzinfo=UTC)
CHANNEL_MANAGER = Principal(subject="user:cm-anna", scopes=frozenset({"incentives:write"}))
ANALYST = Principal(subject="user:analyst-ben", scopes=frozenset({"incentives:read"}))
OUTSIDER = Principal(subject="key:partners-only", scopes=frozenset({"partners:write"}))


def partner_user(partner_id: UUID) -> Principal:
    """A credential bound to one partner, with incentives:write that its binding still limits."""
    return Principal(
        subject=f"key:partner-{str(partner_id)[:8]}",
        scopes=frozenset({"incentives:write"}),
        partner_id=partner_id,
    )


async def a_partner(
    db: AsyncSession,
    *,
    tier: str = "gold",
    status: str = "active",
    since: date = date(2020, 1, 1),
    partner_type: str = "reseller",
    country: str = "DE",
    region: str = "EMEA",
) -> UUID:
    """A partner with a profile, one tier and one status since `since`."""
    partner_id = uuid4()
    db.add(
        PartnerProfile(
            partner_id=partner_id, partner_type=partner_type, country=country, region=region, as_of=RECORDED
        )
    )
    db.add(PartnerTierPeriod(partner_id=partner_id, valid_from=since, tier=tier, changed_at=RECORDED))
    db.add(
        PartnerStatusPeriod(
            partner_id=partner_id,
            valid_from=datetime(since.year, since.month, since.day, tzinfo=UTC),
            status=status,
        )
    )
    await db.flush()
    return partner_id


async def a_line(
    db: AsyncSession,
    partner_id: UUID,
    amount: str,
    *,
    on: date = date(2026, 2, 10),
    kind: str = "sale",
    currency: str = "EUR",
    sku: str = "SKU-1",
    category: str = "hardware",
    quantity: str = "1",
    payment_status: str = "invoiced",
    paid_on: date | None = None,
    deal_registration_id: UUID | None = None,
    flag_status: str = "none",
    recorded_at: datetime = RECORDED,
    original_external_id: str | None = None,
) -> UUID:
    line_id = uuid4()
    db.add(
        SalesLine(
            id=line_id,
            partner_id=partner_id,
            external_id=external_id_of(line_id),
            kind=kind,
            occurred_on=on,
            payment_status=payment_status,
            paid_on=paid_on,
            product_sku=sku,
            product_category=category,
            quantity=Decimal(quantity),
            amount=Decimal(amount),
            currency=currency,
            deal_registration_id=deal_registration_id,
            original_external_id=original_external_id,
            flag_status=flag_status,
            recorded_at=recorded_at,
        )
    )
    await db.flush()
    return line_id


def external_id_of(line_id: UUID) -> str:
    """The external id `a_line` gives a line."""
    return f"ext-{line_id.hex[:12]}"


async def a_return_of(db: AsyncSession, sale: UUID, amount: str, **line: Any) -> UUID:
    """A return of `amount` naming `sale` (of the same partner and SKU) as its original."""
    original = await db.get(SalesLine, sale)
    assert original is not None
    return await a_line(
        db,
        original.partner_id,
        amount,
        kind="return",
        sku=original.product_sku,
        original_external_id=original.external_id,
        **line,
    )


async def an_approved_deal(db: AsyncSession, partner_id: UUID, approved_on: date = date(2026, 1, 5)) -> UUID:
    deal_id = uuid4()
    db.add(
        DealRegistrationState(
            id=deal_id,
            partner_id=partner_id,
            status="approved",
            approved_on=approved_on,
            protected_until=None,
            as_of=RECORDED,
        )
    )
    await db.flush()
    return deal_id


def terms(*rules: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Valid VersionTerms: from 2026-01-01, invoiced basis, no hold, any eligibility unless `fields` say."""
    return {
        "effective_from": "2026-01-01",
        "basis": "invoiced",
        "rules": list(rules) or [rebate("0.02")],
        **fields,
    }


def rebate(rate: str) -> dict[str, Any]:
    return {"kind": "rebate", "rate": rate}


def programme_body(
    *rules: dict[str, Any], currency: str = "EUR", period_type: str = "quarter", **fields: Any
) -> dict[str, Any]:
    return {
        "name": f"programme-{uuid4().hex[:10]}",
        "currency": currency,
        "period_type": period_type,
        "description": "A test programme",
        "version": terms(*rules, **fields),
    }


async def a_programme(
    client: httpx.AsyncClient, *rules: dict[str, Any], publish: bool = True, **fields: Any
) -> dict[str, Any]:
    """A programme's version 1 (published unless `publish=False`), as the API answers it."""
    response = await client.post("/v1/programmes", json=programme_body(*rules, **fields))
    assert response.status_code == 201, response.text
    version: dict[str, Any] = response.json()
    if publish:
        published = await client.post(f"/v1/programmes/{version['programme_id']}/versions/1/publish")
        assert published.status_code == 200, published.text
        version = published.json()
    return version


async def a_run(
    client: httpx.AsyncClient, programme: dict[str, Any], period: str = "2026-Q1", **body: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/calculation-runs",
        json={"programme_id": programme["programme_id"], "period": period, "as_of": "2026-12-31", **body},
    )
    assert response.status_code in {200, 201}, response.text
    run: dict[str, Any] = response.json()
    return run


async def payouts(client: httpx.AsyncClient, run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    response = await client.get(f"/v1/calculation-runs/{run['id']}/payouts", params={"limit": 200})
    assert response.status_code == 200, response.text
    return {item["partner_id"]: item for item in response.json()["items"]}


async def payout_lines(client: httpx.AsyncClient, run_id: str, partner_id: UUID) -> list[dict[str, Any]]:
    """All the lines of a payout, page after page (3 a page, so paging is exercised)."""
    lines: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        response = await client.get(
            f"/v1/calculation-runs/{run_id}/payouts/{partner_id}/lines", params=params
        )
        assert response.status_code == 200, response.text
        lines += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return lines


_TARGETS = re.compile(r"^/internal/partners/([0-9a-f-]{36})/targets$")


@dataclass
class FakeAnalytics:
    """FX rates (base, quote, effective_on, rate) and revenue targets (partner, period) a test puts in: the
    series of a pair, one rate looked up for a day, the targets of a period."""

    rates: list[tuple[str, str, date, str]] = field(default_factory=list)
    targets: dict[tuple[str, str], Money] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def add_rate(self, base: str, quote: str, effective_on: date, rate: str) -> None:
        # analytics keeps one rate per pair and day: a second one for the same day replaces the first
        self.rates[:] = [r for r in self.rates if r[:3] != (base, quote, effective_on)]
        self.rates.append((base, quote, effective_on, rate))

    def add_target(self, partner_id: UUID, period: str, amount: str, currency: str = "EUR") -> None:
        self.targets[(str(partner_id), period)] = Money(amount=Decimal(amount), currency=currency)

    def _rate(self, base: str, quote: str, effective_on: date, rate: str) -> FxRateOut:
        return FxRateOut(
            id=uuid4(),
            base=base,
            quote=quote,
            rate=Decimal(rate),
            effective_on=effective_on,
            version=1,
            created_at=RECORDED,
            updated_at=RECORDED,
        )

    def _series(self, params: httpx.QueryParams) -> list[FxRateOut]:
        base, quote = params["base"], params["quote"]
        first, last = date.fromisoformat(params["from"]), date.fromisoformat(params["to"])
        pair = sorted((r for r in self.rates if r[0] == base and r[1] == quote), key=lambda r: r[2])
        before = [r for r in pair if r[2] <= first]
        chosen = ([before[-1]] if before else []) + [r for r in pair if first < r[2] <= last]
        return [self._rate(*r) for r in chosen]

    def _lookup(self, params: httpx.QueryParams) -> FxRateUsed | None:
        """As analytics answers it: the pair's rate in force, or the reverse pair's inverse (half-even to 10
        places) when that one is more recent."""
        base, quote, on = params["base"], params["quote"], date.fromisoformat(params["on"])

        def latest(a: str, b: str) -> tuple[date, Decimal] | None:
            held = sorted((r[2], Decimal(r[3])) for r in self.rates if r[:2] == (a, b) and r[2] <= on)
            return held[-1] if held else None

        direct, reverse = latest(base, quote), latest(quote, base)
        if direct is not None and (reverse is None or direct[0] >= reverse[0]):
            return FxRateUsed(
                base=base,
                quote=quote,
                on=on,
                rate=direct[1],
                effective_on=direct[0],
                inverted=False,
                stored_rate=direct[1],
            )
        if reverse is None:
            return None
        with localcontext() as context:
            context.prec = 40
            inverse = (Decimal(1) / reverse[1]).quantize(Decimal("1E-10"), rounding=ROUND_HALF_EVEN)
        return FxRateUsed(
            base=base,
            quote=quote,
            on=on,
            rate=inverse,
            effective_on=reverse[0],
            inverted=True,
            stored_rate=reverse[1],
        )

    def _targets(self, partner: str, period: str) -> list[TargetOut]:
        target = self.targets.get((partner, period))
        if target is None:
            return []
        span = parse_period(period)
        return [
            TargetOut(
                id=uuid4(),
                partner_id=UUID(partner),
                metric=TargetMetric.REVENUE,
                period=period,
                period_kind=span.kind,
                first_day=span.first_day,
                last_day=span.last_day,
                target=target,
                version=1,
                created_at=RECORDED,
                updated_at=RECORDED,
            )
        ]

    def transport(self) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            self.requests.append(f"{request.url.path}?{request.url.query.decode()}")
            if request.url.path == "/internal/fx-rates":
                items = [r.model_dump(mode="json") for r in self._series(request.url.params)]
                return httpx.Response(200, json=items)
            if request.url.path == "/internal/fx-rates/lookup":
                used = self._lookup(request.url.params)
                if used is not None:
                    return httpx.Response(200, content=used.model_dump_json())
            if request.url.path == "/internal/targets":
                period = request.url.params["period"]
                items = [
                    t.model_dump(mode="json")
                    for partner, label in sorted(self.targets)
                    if label == period
                    for t in self._targets(partner, period)
                ]
                return httpx.Response(200, json=items)
            if match := _TARGETS.fullmatch(request.url.path):
                items = [
                    t.model_dump(mode="json")
                    for t in self._targets(match.group(1), request.url.params["period"])
                ]
                return httpx.Response(200, json=items)
            problem = {
                "type": "/problems/not-found",
                "title": "Not found",
                "status": 404,
                "detail": "no such thing",
            }
            return httpx.Response(
                404, content=json.dumps(problem), headers={"content-type": PROBLEM_MEDIA_TYPE}
            )

        return httpx.MockTransport(answer)
