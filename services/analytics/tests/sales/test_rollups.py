"""The rollups KPI reads come from hold exactly the sums of the stored lines: checked by hand on a small
delivery, and against an independent aggregate of `sales_line` on a larger random one."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from analytics.sales.models import SalesCustomerRollup, SalesDailyRollup, SalesLine, SalesMonthlyRollup
from sqlalchemy.ext.asyncio import AsyncSession

from .factories import Sender, a_line, is_problem, sales_reported, stored_counts
from .fakes import FakeRegistry

pytestmark = pytest.mark.asyncio

GLOBEX = {"name": "Globex Corporation", "domain": "globex.example"}
ACME = {"name": "ACME", "external_id": "C-9"}


def _line(external_id: str, **fields: Any) -> dict[str, Any]:
    return a_line(external_id=external_id, customer=GLOBEX, **fields)


async def _daily(db: AsyncSession, partner_id: UUID) -> dict[tuple[str, str, str], dict[str, Any]]:
    rows = await db.scalars(sa.select(SalesDailyRollup).where(SalesDailyRollup.partner_id == partner_id))
    return {
        (str(r.day), r.product_category, r.currency): {
            "gross": r.gross_amount,
            "returns": r.returns_amount,
            "costed": r.costed_amount,
            "cost": r.cost_amount,
            "sold": r.sold_quantity,
            "returned": r.returned_quantity,
            "lines": (r.line_count, r.sale_line_count, r.return_line_count, r.costed_line_count),
        }
        for r in rows
    }


async def test_daily_rollups_by_hand_over_two_deliveries(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    partner_id, secret = registry.partner()
    first = sales_reported(
        _line("S1", quantity="2", unit_price="150.00", amount="300.00", cost="200.00"),
        _line("S2", quantity="1", unit_price="99.99", amount="99.99"),
        _line(
            "S3",
            quantity="3",
            unit_price="33.3333",
            amount="99.9999",
            cost="50",
            product={"sku": "ST-1", "category": "storage"},
        ),
    )
    second = sales_reported(
        _line(
            "R1",
            kind="return",
            original_external_id="S1",
            quantity="1",
            unit_price="150.00",
            amount="150.00",
            cost="100.00",
        ),
        _line(
            "C1",
            kind="credit_note",
            original_external_id="S2",
            quantity="1",
            unit_price="10.00",
            amount="10.00",
        ),
        _line("S4", occurred_on="2026-06-16", quantity="1", unit_price="1000", amount="1000", currency="USD"),
    )

    assert (await sender.send(partner_id, secret, first)).status_code == 200
    assert (await sender.send(partner_id, secret, second)).status_code == 200

    assert await _daily(db, partner_id) == {
        ("2026-06-15", "networking", "EUR"): {
            "gross": Decimal("399.9900"),  # 300.00 + 99.99
            "returns": Decimal("160.0000"),  # 150.00 + 10.00
            "costed": Decimal("150.0000"),  # lines with a cost: 300.00 - 150.00
            "cost": Decimal("100.0000"),  # 200.00 - 100.00
            "sold": Decimal("3.0000"),  # 2 + 1
            "returned": Decimal("2.0000"),  # 1 + 1
            "lines": (4, 2, 2, 2),
        },
        ("2026-06-15", "storage", "EUR"): {
            "gross": Decimal("99.9999"),
            "returns": Decimal("0.0000"),
            "costed": Decimal("99.9999"),
            "cost": Decimal("50.0000"),
            "sold": Decimal("3.0000"),
            "returned": Decimal("0.0000"),
            "lines": (1, 1, 0, 1),
        },
        ("2026-06-16", "networking", "USD"): {
            "gross": Decimal("1000.0000"),
            "returns": Decimal("0.0000"),
            "costed": Decimal("0.0000"),
            "cost": Decimal("0.0000"),
            "sold": Decimal("1.0000"),
            "returned": Decimal("0.0000"),
            "lines": (1, 1, 0, 0),
        },
    }


async def test_customer_rollups_by_hand(sender: Sender, registry: FakeRegistry, db: AsyncSession) -> None:
    partner_id, secret = registry.partner()
    spelled_otherwise = {"name": "  globex   CORPORATION ", "domain": "www.Globex.example"}
    await sender.send(
        partner_id,
        secret,
        sales_reported(
            a_line(external_id="A1", customer=ACME | {"is_new": False}, occurred_on="2026-05-02"),
            a_line(external_id="G1", customer=GLOBEX, occurred_on="2026-06-10"),
        ),
    )
    await sender.send(
        partner_id,
        secret,
        sales_reported(
            a_line(
                external_id="A2",
                customer=ACME | {"name": "Acme Inc.", "is_new": True},
                occurred_on="2026-04-20",
            ),
            a_line(external_id="G2", customer=spelled_otherwise, occurred_on="2026-06-20"),
            a_line(
                external_id="G3",
                customer=GLOBEX,
                kind="return",
                original_external_id="G1",
                quantity="1",
                unit_price="150.00",
                amount="150.00",
                occurred_on="2026-06-25",
            ),
        ),
    )

    rows = await db.scalars(
        sa.select(SalesCustomerRollup).where(SalesCustomerRollup.partner_id == partner_id)
    )
    found = {
        r.customer_key: (
            r.customer_name,
            str(r.first_on),
            str(r.last_on),
            r.net_amount,
            r.line_count,
            r.is_new,
        )
        for r in rows
    }
    assert found == {
        # by external id, whatever the name; first said "not new", then "new": true once any line says so
        "ext:C-9": ("ACME", "2026-04-20", "2026-05-02", Decimal("600.0000"), 2, True),
        # by normalised name and domain: 300 + 300 - 150
        "name:globex corporation|globex.example": (
            "Globex Corporation",
            "2026-06-10",
            "2026-06-25",
            Decimal("450.0000"),
            3,
            None,
        ),
    }


async def test_rollups_equal_the_sums_of_the_stored_lines(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    partner_id, secret = registry.partner()
    pick = random.Random(20261201)
    sales: list[str] = []
    for delivery in range(3):
        lines = []
        for number in range(80):
            external_id = f"D{delivery}-{number}"
            quantity = pick.randint(1, 9)
            price = Decimal(pick.randint(1, 500_000)) / 100
            kind = "sale" if not sales or pick.random() < 0.75 else pick.choice(["return", "credit_note"])
            fields: dict[str, Any] = {
                "external_id": external_id,
                "kind": kind,
                "occurred_on": str(date(2026, 5, 1) + timedelta(days=pick.randint(0, 40))),
                "product": {"sku": "X", "category": pick.choice(["networking", "storage", "services"])},
                "currency": pick.choice(["EUR", "USD"]),
                "quantity": str(quantity),
                "unit_price": str(price),
                "amount": str(quantity * price),
                "customer": {"name": f"Customer {pick.randint(1, 15)}"},
            }
            if pick.random() < 0.6:
                fields["cost"] = str((quantity * price * Decimal("0.7")).quantize(Decimal("0.01")))
            if kind == "sale":
                sales.append(external_id)
            else:
                fields["original_external_id"] = pick.choice(sales)
            lines.append(a_line(**fields))
        response = await sender.send(partner_id, secret, sales_reported(*lines))
        assert response.json()["counts"]["accepted"] == 80

    line = SalesLine
    is_sale, is_return = line.kind == "sale", line.kind != "sale"
    has_cost = line.cost.is_not(None)
    sign = sa.case((is_sale, 1), else_=-1)
    zero = sa.literal(0)
    expected = await db.execute(
        sa.select(
            line.occurred_on,
            line.product_category,
            line.currency,
            sa.func.sum(sa.case((is_sale, line.amount), else_=zero)),
            sa.func.sum(sa.case((is_return, line.amount), else_=zero)),
            sa.func.sum(sa.case((has_cost, sign * line.amount), else_=zero)),
            sa.func.sum(sa.case((has_cost, sign * line.cost), else_=zero)),
            sa.func.sum(sa.case((is_sale, line.quantity), else_=zero)),
            sa.func.sum(sa.case((is_return, line.quantity), else_=zero)),
            sa.func.count(),
            sa.func.sum(sa.case((is_sale, 1), else_=0)),
            sa.func.sum(sa.case((is_sale, 0), else_=1)),
            sa.func.sum(sa.case((has_cost, 1), else_=0)),
        )
        .where(line.partner_id == partner_id)
        .group_by(line.occurred_on, line.product_category, line.currency)
    )
    scale = Decimal("0.0001")
    by_lines = {
        (str(day), category, currency): {
            "gross": (Decimal(gross)).quantize(scale),
            "returns": (Decimal(returns)).quantize(scale),
            "costed": (Decimal(costed)).quantize(scale),
            "cost": (Decimal(cost)).quantize(scale),
            "sold": (Decimal(sold)).quantize(scale),
            "returned": (Decimal(returned)).quantize(scale),
            "lines": (lines, sale_lines, return_lines, costed_lines),
        }
        for day, category, currency, gross, returns, costed, cost, sold, returned, lines, sale_lines, return_lines, costed_lines in expected
    }
    assert len(by_lines) > 20
    assert await _daily(db, partner_id) == by_lines


# Below both backends' bound (PostgreSQL's NUMERIC(19, 4): 10^15; SQLite's scaled 64-bit integer:
# 922,337,203,685,477.5807); 1,000 lines of 99,999,999,999 (about 10^14) then take it past either.
NEAR_THE_BOUND = Decimal("922337203685000.0000")


@pytest.mark.parametrize(
    ("rollup", "column"),
    [
        (SalesDailyRollup, "gross_amount"),
        (SalesMonthlyRollup, "gross_amount"),
        (SalesCustomerRollup, "net_amount"),
    ],
)
async def test_a_delivery_taking_a_total_past_its_exact_range_is_a_422_and_stores_nothing(
    sender: Sender, registry: FakeRegistry, db: AsyncSession, rollup: type[Any], column: str
) -> None:
    # each line is in bounds; only the total kept of them is not. SQLite would have made it an inexact REAL.
    partner_id, secret = registry.partner()
    assert (await sender.send(partner_id, secret, sales_reported(_line("SEED")))).status_code == 200
    await db.execute(
        sa.update(rollup).where(rollup.partner_id == partner_id).values({column: NEAR_THE_BOUND})
    )
    await db.commit()
    before = await stored_counts(db)
    big = "99999999999"
    lines = [_line(f"BIG-{n}", quantity="1", unit_price=big, amount=big) for n in range(1000)]

    answer = await sender.send(partner_id, secret, sales_reported(*lines))

    assert is_problem(answer, "validation-error", 422), answer.text
    assert answer.json()["errors"][0]["type"] == "number_out_of_range"
    assert "nothing was stored" in answer.json()["detail"]
    assert await stored_counts(db) == before
    db.expire_all()
    kept = await db.scalar(sa.select(getattr(rollup, column)).where(rollup.partner_id == partner_id))
    assert kept == NEAR_THE_BOUND
