"""The month sums a run reads instead of lines: kept equal to the lines by the database's triggers through
inserts, payment and flag changes and deletes (written directly and through events), and giving the same run as reading every line one by one, on
random lines, histories, FX rates and terms (windows, holds, SPIFF windows, tier and status changes and deal
approvals inside months, a rate changing within a month, late lines, clawed-back returns), on the test's
database backend."""

from __future__ import annotations

import importlib.util
import random
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from incentives.adjustments.models import Adjustment
from incentives.calculation_runs import month_split, service
from incentives.calculation_runs.line_sums import Scope
from incentives.calculation_runs.month_split import Split, month_of
from incentives.main import MIGRATIONS_DIR
from incentives.replica.models import PartnerStatusPeriod, PartnerTierPeriod, SalesLine
from incentives.replica.month_sum_models import (
    NO_DEAL,
    SalesMonthSum,
    SalesMonthTotal,
    SalesPaidMonthSum,
    SalesPaidMonthTotal,
)
from prm_contracts.clients.analytics import AnalyticsClient
from prm_contracts.incentives import VersionTerms
from prm_contracts.periods import Period, parse_period
from sqlalchemy.ext.asyncio import AsyncSession

from ..replica import factories
from .helpers import RECORDED, FakeAnalytics, a_partner, a_programme, an_approved_deal

pytestmark = pytest.mark.asyncio

EXAMPLES = count()
LATER = datetime(2999, 1, 1, tzinfo=UTC)  # a line recorded after the run's moment
RETURN_COPIES = ["partner_id", "occurred_on", "payment_status", "paid_on", "product_sku", "product_category",
                 "quantity", "amount", "currency", "deal_registration_id"]  # fmt: skip


def _rate(rng: random.Random) -> str:
    return str(Decimal(rng.randint(0, 2000)).scaleb(-4))


def _day(rng: random.Random) -> int:
    """Days after the quarter's first: often a month's first (a change from then on leaves months whole)."""
    return rng.choice([0, 30, 61]) if rng.random() < 0.6 else rng.randint(0, 90)


def _terms(rng: random.Random, first: date) -> VersionTerms:
    def spiff() -> dict[str, Any]:
        since = first + timedelta(days=rng.choice([0, 30, rng.randint(-10, 80)]))
        return {
            "kind": "spiff",
            "skus": ["A"],
            "amount": "7.50",
            "per": rng.choice(["unit", "deal"]),
            "window": {
                "from": since.isoformat(),
                "to": (since + timedelta(days=rng.randint(0, 60))).isoformat(),
            },
        }

    edge = rng.randint(500, 8000)
    earning = [
        lambda: {"kind": "rebate", "rate": _rate(rng)},
        lambda: {
            "kind": "volume_bonus",
            "mode": rng.choice(["whole_band", "marginal"]),
            "bands": [
                {"from": "100", "to": str(edge), "rate": _rate(rng)},
                {"from": str(edge), "rate": _rate(rng)},
            ],
        },
        lambda: {"kind": "accelerator", "threshold": "0.8", "rate": _rate(rng)},
        spiff,
        lambda: {"kind": "deal_registration_bonus", "rate": _rate(rng)},
        lambda: {"kind": "mdf_accrual", "rate": _rate(rng)},
    ]
    rules = [make() for make in rng.sample(earning, rng.randint(1, 4))]
    rules += rng.choice(
        [[], [{"kind": "cap", "amount": "150"}], [{"kind": "floor", "amount": "5"}],
         [{"kind": "budget", "amount": "120"}]]
    )  # fmt: skip
    since = date(2000, 1, 1) if rng.random() < 0.7 else first + timedelta(days=rng.randint(1, 60))
    until = None if rng.random() < 0.7 else first + timedelta(days=rng.randint(61, 120))
    eligibility = rng.choice(
        [{}, {"active_at_sale": False}, {"tiers": ["gold"]}, {"categories_excluded": ["services"]},
         {"skus_included": ["A", "B"]}, {"registered_deals_only": True}]
    )  # fmt: skip
    return VersionTerms.model_validate(
        {
            "effective_from": since.isoformat(),
            "effective_to": None if until is None else until.isoformat(),
            "basis": rng.choice(["invoiced", "invoiced", "paid"]),
            "hold_days": rng.choice([0, 20, 45]),
            "eligibility": eligibility,
            "rules": rules,
        }
    )


def _migration() -> Any:
    """The migration that made the month sums, as a module (its file name is not an importable one)."""
    path = next((MIGRATIONS_DIR / "versions").glob("*_incentives0016_*.py"))
    spec = importlib.util.spec_from_file_location("incentives0016", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def lines_only() -> Iterator[None]:
    """Runs read every line one by one, as before the month sums (the reference the sums must match)."""
    original = month_split.split_of

    def every_line(terms: VersionTerms, period: Period, as_of: date, boundaries: Any) -> Split:
        return original(terms, period, as_of, boundaries).lines_only()

    month_split.split_of = every_line  # type: ignore[assignment]
    try:
        yield
    finally:
        month_split.split_of = original  # type: ignore[assignment]


def _expected_sums(lines: list[SalesLine]) -> list[dict[tuple[Any, ...], list[Any]]]:
    """The four tables of month sums worked out here from the lines, independently of the triggers."""
    tables: list[dict[tuple[Any, ...], list[Any]]] = [
        defaultdict(lambda: [Decimal(0), Decimal(0), 0, 0, 0]) for _ in range(4)
    ]
    for line in lines:
        if line.flag_status in ("open", "confirmed"):
            continue
        sign = 1 if line.kind == "sale" else -1
        total = (month_of(line.occurred_on), line.partner_id, line.currency)
        key = (*total, line.product_sku, line.product_category, line.deal_registration_id or NO_DEAL)
        targets = [tables[0][key], tables[2][total]]
        if line.payment_status == "paid" and line.paid_on is not None:
            paid_month = month_of(line.paid_on)
            targets += [tables[1][(paid_month, *key)], tables[3][(paid_month, *total)]]
        for sums in targets:
            sums[0] += sign * line.amount
            sums[1] += sign * line.quantity
            sums[2] += sign
            sums[3] += 1
            sums[4] |= 1 << (line.occurred_on.day - 1)
    return [dict(table) for table in tables]


async def _stored_sums(db: AsyncSession, partners: list[UUID]) -> list[dict[tuple[Any, ...], list[Any]]]:
    found = []
    for table in (SalesMonthSum, SalesPaidMonthSum, SalesMonthTotal, SalesPaidMonthTotal):
        paid = ["paid_month"] if table in (SalesPaidMonthSum, SalesPaidMonthTotal) else []
        product = ["product_sku", "product_category", "deal_registration_id"]
        names = [
            *paid,
            "occurred_month",
            "partner_id",
            "currency",
            *(product if table in (SalesMonthSum, SalesPaidMonthSum) else []),
        ]
        columns = [getattr(table, name) for name in names]
        sums = [table.amount, table.quantity, table.signed_lines, table.lines, table.days]
        rows = await db.execute(sa.select(*columns, *sums).where(table.partner_id.in_(partners)))
        found.append({tuple(row[: len(columns)]): list(row[len(columns) :]) for row in rows.all()})
    return found


def _outcome(found: service.Computation) -> dict[str, Any]:
    """What a run stores of a computation: every payout row as written, the rates, the flagged lines."""
    rows = {
        partner: service._payout_row(UUID(int=0), "EUR", partner, found, Decimal(0))
        for partner in found.settlements
    }
    return {"payouts": rows, "fx": found.applied, "flagged": found.flagged, "budget": found.budget_factor}


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
@given(st.integers(0, 2**32 - 1))
async def test_month_sums_match_the_lines_and_the_run_reads_them_as_it_would_the_lines(
    client: httpx.AsyncClient, db: AsyncSession, analytics: FakeAnalytics, seed: int
) -> None:
    # each example a quarter of its own (the test's transaction keeps earlier examples' rows), its data drawn
    # from one generator seeded by hypothesis: varied where hypothesis's own draws start small
    rng = random.Random(seed)
    period = parse_period(f"{2300 + next(EXAMPLES)}-Q2")
    first = period.first_day
    analytics.rates.clear()
    analytics.add_rate("USD", "EUR", first - timedelta(days=400), "0.9")
    for change in range(rng.randint(0, 4)):  # from a month's first, or within a month
        since = first + timedelta(days=_day(rng) + 30 * rng.randint(-1, 1))
        analytics.add_rate("USD", "EUR", since, f"0.8{change}")
    # partner 0: gold throughout; 1: silver, then gold from a day of the quarter; 2: suspended, then active
    partners = [
        await a_partner(db),
        await a_partner(db, tier="silver"),
        await a_partner(db, status="suspended"),
    ]
    db.add(
        PartnerTierPeriod(
            partner_id=partners[1],
            valid_from=first + timedelta(days=_day(rng)),
            tier="gold",
            changed_at=RECORDED,
        )
    )
    moment = datetime.combine(first + timedelta(days=_day(rng)), datetime.min.time(), UTC)
    db.add(
        PartnerStatusPeriod(
            partner_id=partners[2], valid_from=moment + timedelta(hours=rng.randint(0, 23)), status="active"
        )
    )
    own = [await an_approved_deal(db, p, first + timedelta(days=_day(rng))) for p in partners]
    early = [await an_approved_deal(db, p, first - timedelta(days=100)) for p in partners]
    made = []
    for _ in range(rng.randint(30, 60)):  # written at once: one statement, as a delivery's lines are
        partner = rng.randint(0, 2)
        on = first + timedelta(days=rng.randint(-40, 100))
        paid = rng.random() < 0.6
        made.append(
            SalesLine(
                id=uuid4(),
                partner_id=partners[partner],
                external_id=f"ext-{uuid4().hex[:12]}",
                kind=rng.choice(["sale", "sale", "sale", "return", "credit_note"]),
                occurred_on=on,
                payment_status="paid" if paid else "invoiced",
                paid_on=on + timedelta(days=rng.randint(0, 60)) if paid else None,
                product_sku=rng.choice(["A", "B", "C"]),
                product_category=rng.choice(["hardware", "services"]),
                quantity=Decimal(rng.randint(1, 9)),
                amount=Decimal(rng.randint(1, 500_000)).scaleb(-2),
                currency=rng.choice(["EUR", "USD"]),
                deal_registration_id=rng.choice(
                    [None, None, None, own[partner], early[partner], own[(partner + 1) % 3]]
                ),
                original_external_id=None,
                flag_status=rng.choice(["none", "none", "none", "none", "open", "confirmed", "dismissed"]),
                recorded_at=LATER if rng.random() < 0.05 else RECORDED,
            )
        )
    # returned whole: sums of nothing, which must keep their digits; and naming their sale, so that a return of
    # a sale never paid (a confirmed flag, a tier or status or deal registration the terms exclude on its day)
    # counts nowhere, whichever way its month is read
    for sale in rng.sample(made, 12):
        copied = {column: getattr(sale, column) for column in RETURN_COPIES}
        later = timedelta(days=rng.choice([0, rng.randint(1, 40)]))  # its partner's tier or status may differ
        copied["occurred_on"] += later
        copied["paid_on"] = None if sale.paid_on is None else sale.paid_on + later
        made.append(
            SalesLine(
                **copied,
                id=uuid4(),
                external_id=f"ext-{uuid4().hex[:12]}",
                kind="return",
                original_external_id=sale.external_id,
                flag_status="none",
                recorded_at=RECORDED,
            )
        )
    db.add_all(made)
    await db.flush()
    # changes after the lines are in: payments, flags raised and reviewed, a line removed
    for changed in rng.sample(made, rng.randint(0, 6)):
        statement: Any = sa.update(SalesLine).where(SalesLine.id == changed.id)
        change = rng.choice(["paid", "unpaid", "open", "dismissed", "delete"])
        if change == "paid":
            statement = statement.values(payment_status="paid", paid_on=SalesLine.occurred_on)
        elif change == "unpaid":
            statement = statement.values(payment_status="invoiced", paid_on=None)
        elif change == "delete":
            statement = sa.delete(SalesLine).where(SalesLine.id == changed.id)
        else:
            statement = statement.values(flag_status=change)
        await db.execute(statement)
    if rng.random() < 0.3:  # flags of many lines reviewed at once: one statement, many rows
        ids = [line.id for line in made]
        await db.execute(sa.update(SalesLine).where(SalesLine.id.in_(ids)).values(flag_status="dismissed"))

    lines = list((await db.scalars(sa.select(SalesLine).where(SalesLine.partner_id.in_(partners)))).all())
    assert await _stored_sums(db, partners) == _expected_sums(lines)

    programme_id = None
    returns = [line.id for line in lines if line.kind != "sale"]
    if returns and rng.random() < 0.3:  # a return the programme clawed back counts no more
        programme_id = UUID((await a_programme(client))["programme_id"])
        db.add(
            Adjustment(
                id=uuid4(), programme_id=programme_id, partner_id=partners[0], period="2026-Q1",
                kind="clawback", amount=Decimal("-1"), currency="EUR", reason="test",
                source_line_id=rng.choice(returns), original_line_id=None, source_run_id=None,
                created_by="test", created_at=RECORDED,
            )
        )  # fmt: skip
        await db.flush()
    terms = _terms(rng, first)
    as_of = first + timedelta(days=rng.choice([150, rng.randint(0, 150)]))
    scope = Scope(terms, period, "EUR", as_of, datetime(2500, 1, 1, tzinfo=UTC), programme_id)
    targets = {partners[0]: Decimal("3000.00")}
    async with httpx.AsyncClient(transport=analytics.transport(), base_url="http://analytics") as http:
        reader = AnalyticsClient(http)
        from_sums = await service.compute(db, reader, scope, targets=targets)
        with lines_only():
            from_lines = await service.compute(db, reader, scope, targets=targets)

    assert _outcome(from_sums) == _outcome(from_lines)


async def test_the_month_sums_follow_the_events_that_change_lines(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """Lines recorded, paid (several in one event, one paid twice), unpaid, and a flag that held a line
    dismissed: after each event the sums are those of the lines."""
    partner = uuid4()
    spike = factories.flag("volume_spike")
    sent = [
        factories.line(partner, f"S-{n}", amount=f"{100 + n}.00", occurred_on=date(2026, 7, 1 + 9 * n), currency=currency)
        for n, currency in enumerate(["EUR", "EUR", "USD", "EUR"])
    ]  # fmt: skip
    sent.append(
        factories.line(partner, "S-held", amount="900.00", occurred_on=date(2026, 8, 2), flags=[spike])
    )
    sent.append(
        factories.line(partner, "S-back", amount="40.00", kind="return", occurred_on=date(2026, 8, 20))
    )

    async def sums_are_the_lines() -> None:
        lines = list((await db.scalars(sa.select(SalesLine).where(SalesLine.partner_id == partner))).all())
        assert await _stored_sums(db, [partner]) == _expected_sums(lines)

    for delivered in (
        factories.sales_recorded(partner, *sent),
        factories.payment_updated(partner, (sent[0], "paid", date(2026, 8, 3)), (sent[1], "paid", date(2026, 7, 20)),
                                  (sent[2], "paid", date(2026, 9, 1)), (sent[0], "paid", date(2026, 9, 3))),
        factories.payment_updated(partner, (sent[1], "invoiced", None), (sent[5], "paid", date(2026, 8, 25))),
        factories.flag_reviewed(sent[4], spike, "dismissed"),
    ):  # fmt: skip
        assert (await factories.deliver(client, delivered)).status_code == 200
        await sums_are_the_lines()


async def test_the_migration_fills_the_month_sums_of_lines_already_there(db: AsyncSession) -> None:
    """The sums the migration makes of a replica's lines (upgrading a database that has some) are the same as
    the triggers keep."""
    migration = _migration()
    partner = await a_partner(db)
    for day, kind, paid_on, flag_status in [
        (date(2026, 7, 3), "sale", date(2026, 8, 1), "none"),
        (date(2026, 7, 3), "return", None, "none"),
        (date(2026, 7, 31), "sale", date(2026, 7, 31), "dismissed"),
        (date(2026, 8, 9), "credit_note", date(2026, 9, 2), "none"),
        (date(2026, 8, 9), "sale", None, "open"),
    ]:
        db.add(
            SalesLine(
                id=uuid4(), partner_id=partner, external_id=f"ext-{uuid4().hex[:12]}", kind=kind,
                occurred_on=day, payment_status="paid" if paid_on else "invoiced", paid_on=paid_on,
                product_sku="A", product_category="hardware", quantity=Decimal(2), amount=Decimal("10.50"),
                currency="EUR", deal_registration_id=None, original_external_id=None, flag_status=flag_status,
                recorded_at=RECORDED,
            )
        )  # fmt: skip
    await db.flush()
    kept = await _stored_sums(db, [partner])
    for table in (SalesMonthSum, SalesPaidMonthSum, SalesMonthTotal, SalesPaidMonthTotal):
        await db.execute(sa.delete(table))
    for statement in migration._backfill(db.get_bind().dialect.name):
        await db.execute(sa.text(statement))

    assert await _stored_sums(db, [partner]) == kept
