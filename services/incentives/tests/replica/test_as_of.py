"""The set-based as-of reads the calculation runs use, against histories built by hand: which tier and status
held for each partner on a day, and each line of a period with the tier and status of its own day."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from incentives.replica import repository
from incentives.replica.models import PartnerStatusPeriod, PartnerTierPeriod, SalesLine
from prm_contracts.periods import parse_period
from sqlalchemy.ext.asyncio import AsyncSession

pytestmark = pytest.mark.asyncio

DECIDED = datetime(2026, 1, 1, tzinfo=UTC)
A, B, C, D = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


async def histories(db: AsyncSession) -> None:
    """A: silver from 1 Jan, gold from 1 Apr, platinum from 1 Jul; active from 1 Jan 00:00, suspended on
    15 Feb at 18:00, active again 1 Mar 08:00.
    B: gold from 1 Feb; active from 10 Jan 12:00.
    C: no tier ever; terminated from 1 Jan."""
    db.add_all(
        [
            PartnerTierPeriod(partner_id=A, valid_from=date(2026, 1, 1), tier="silver", changed_at=DECIDED),
            PartnerTierPeriod(partner_id=A, valid_from=date(2026, 4, 1), tier="gold", changed_at=DECIDED),
            PartnerTierPeriod(partner_id=A, valid_from=date(2026, 7, 1), tier="platinum", changed_at=DECIDED),
            PartnerTierPeriod(partner_id=B, valid_from=date(2026, 2, 1), tier="gold", changed_at=DECIDED),
            PartnerStatusPeriod(partner_id=A, valid_from=datetime(2026, 1, 1, tzinfo=UTC), status="active"),
            PartnerStatusPeriod(
                partner_id=A, valid_from=datetime(2026, 2, 15, 18, tzinfo=UTC), status="suspended"
            ),
            PartnerStatusPeriod(
                partner_id=A, valid_from=datetime(2026, 3, 1, 8, tzinfo=UTC), status="active"
            ),
            PartnerStatusPeriod(
                partner_id=B, valid_from=datetime(2026, 1, 10, 12, tzinfo=UTC), status="active"
            ),
            PartnerStatusPeriod(
                partner_id=C, valid_from=datetime(2026, 1, 1, tzinfo=UTC), status="terminated"
            ),
        ]
    )
    await db.flush()


def sale(partner_id: uuid.UUID, external_id: str, day: date, amount: str = "10.00") -> SalesLine:
    return SalesLine(
        id=uuid.uuid4(),
        partner_id=partner_id,
        external_id=external_id,
        kind="sale",
        occurred_on=day,
        payment_status="invoiced",
        paid_on=None,
        product_sku="FW-100",
        product_category="firewall",
        quantity=Decimal(1),
        amount=Decimal(amount),
        currency="EUR",
        deal_registration_id=None,
        original_external_id=None,
        flag_status="none",
        recorded_at=DECIDED,
    )


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 12, 31), {}),
        (date(2026, 1, 31), {A: "silver"}),
        (date(2026, 2, 1), {A: "silver", B: "gold"}),
        (date(2026, 3, 31), {A: "silver", B: "gold"}),
        (date(2026, 4, 1), {A: "gold", B: "gold"}),
        (date(2026, 12, 31), {A: "platinum", B: "gold"}),
    ],
)
async def test_tiers_on_a_day_for_many_partners(
    db: AsyncSession, day: date, expected: dict[uuid.UUID, str]
) -> None:
    await histories(db)

    assert await repository.tiers_on(db, day, [A, B, C]) == expected


async def test_tiers_on_a_day_for_every_partner(db: AsyncSession) -> None:
    await histories(db)

    found = await repository.tiers_on(db, date(2026, 5, 1))

    # other tests' partners are rolled back; only this history is there
    assert {partner: tier for partner, tier in found.items() if partner in {A, B, C}} == {
        A: "gold",
        B: "gold",
    }


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2025, 12, 31, 23, 59, tzinfo=UTC), {}),
        (datetime(2026, 1, 10, 11, 59, tzinfo=UTC), {A: "active", C: "terminated"}),
        (datetime(2026, 1, 10, 12, 0, tzinfo=UTC), {A: "active", B: "active", C: "terminated"}),
        (datetime(2026, 2, 15, 17, 59, 59, tzinfo=UTC), {A: "active", B: "active", C: "terminated"}),
        (datetime(2026, 2, 15, 18, 0, tzinfo=UTC), {A: "suspended", B: "active", C: "terminated"}),
        (datetime(2026, 3, 1, 7, 59, tzinfo=UTC), {A: "suspended", B: "active", C: "terminated"}),
        (datetime(2026, 3, 1, 8, 0, tzinfo=UTC), {A: "active", B: "active", C: "terminated"}),
    ],
)
async def test_statuses_at_a_moment_for_many_partners(
    db: AsyncSession, moment: datetime, expected: dict[uuid.UUID, str]
) -> None:
    await histories(db)

    assert await repository.statuses_at(db, moment, [A, B, C]) == expected


async def test_lines_of_a_period_carry_the_tier_and_status_of_their_own_day(db: AsyncSession) -> None:
    await histories(db)
    db.add_all(
        [
            sale(A, "a-jan", date(2026, 1, 20)),
            sale(A, "a-feb15", date(2026, 2, 15)),  # suspended at 18:00 that day: end of day counts
            sale(A, "a-feb14", date(2026, 2, 14)),
            sale(A, "a-mar", date(2026, 3, 1)),  # active again from 08:00
            sale(A, "a-apr", date(2026, 4, 1)),  # outside Q1
            sale(B, "b-jan", date(2026, 1, 10)),  # active from 12:00 that day, no tier until February
            sale(B, "b-feb", date(2026, 2, 1)),
            sale(C, "c-mar", date(2026, 3, 31)),
            sale(B, "b-dec", date(2025, 12, 31)),  # outside Q1
        ]
    )
    await db.flush()
    q1 = parse_period("2026-Q1")

    rows = await repository.lines_in(db, q1, [A, B, C])
    seen = {row.SalesLine.external_id: (row.tier, row.partner_status) for row in rows}

    assert seen == {
        "a-jan": ("silver", "active"),
        "a-feb14": ("silver", "active"),
        "a-feb15": ("silver", "suspended"),
        "a-mar": ("silver", "active"),
        "b-jan": (None, "active"),
        "b-feb": ("gold", "active"),
        "c-mar": (None, "terminated"),
    }
    # ordered by partner, then day
    by_partner = [row.SalesLine.partner_id for row in rows]
    assert by_partner == sorted(by_partner)
    only_b = await repository.lines_in(db, q1, [B])
    assert sorted(row.SalesLine.external_id for row in only_b) == ["b-feb", "b-jan"]


async def test_the_range_joined_history_agrees_with_the_per_line_lookups(db: AsyncSession) -> None:
    """Two ways to the same answer: the range join on the history intervals (`lines_in`) against the
    correlated lookups beside each line (`tier_on`, `status_on_day`) and `tiers_on` for that line's day.
    D changes status twice on 1 Feb (the later one counts for that day), and C has no tier at all."""
    await histories(db)
    db.add_all(
        [
            PartnerStatusPeriod(partner_id=D, valid_from=datetime(2026, 1, 5, tzinfo=UTC), status="active"),
            PartnerStatusPeriod(
                partner_id=D, valid_from=datetime(2026, 2, 1, 9, tzinfo=UTC), status="suspended"
            ),
            PartnerStatusPeriod(
                partner_id=D, valid_from=datetime(2026, 2, 1, 17, tzinfo=UTC), status="terminated"
            ),
        ]
    )
    days = [date(2026, month, day) for month in (1, 2, 3, 4, 6, 7, 9) for day in (1, 4, 15, 28)]
    db.add_all([sale(partner, f"{partner}-{day}", day) for partner in (A, B, C, D) for day in days])
    await db.flush()
    dialect = db.get_bind().dialect.name
    per_line = {
        row[0]: (row[1], row[2])
        for row in await db.execute(
            sa.select(
                SalesLine.id,
                repository.tier_on(SalesLine.partner_id, SalesLine.occurred_on),
                repository.status_on_day(SalesLine.partner_id, SalesLine.occurred_on, dialect),
            ).where(SalesLine.partner_id.in_([A, B, C, D]))
        )
    }

    rows = await repository.lines_in(db, parse_period("2026"), [A, B, C, D])

    assert len(rows) == 4 * len(days)
    for row in rows:
        line = row.SalesLine
        assert (row.tier, row.partner_status) == per_line[line.id], line.external_id
        expected = (await repository.tiers_on(db, line.occurred_on, [line.partner_id])).get(line.partner_id)
        assert row.tier == expected, line.external_id
    d_statuses = {
        row.SalesLine.occurred_on: row.partner_status for row in rows if row.SalesLine.partner_id == D
    }
    assert d_statuses[date(2026, 1, 4)] is None  # before D's first entry
    assert d_statuses[date(2026, 1, 15)] == "active"
    assert d_statuses[date(2026, 2, 1)] == "terminated"  # the day's last entry, not the suspension
