"""However a delivery's lookups pass their values — array parameters of one statement on PostgreSQL
(analytics/sales/delivery_statements.py), literal lists elsewhere (prm_kit/db/in_lists.py) —, quotes,
backslashes and non-ASCII text in external ids and customer keys must still match exactly."""

from __future__ import annotations

import pytest

from .factories import Sender, a_line, sales_reported
from .fakes import FakeRegistry

pytestmark = pytest.mark.asyncio

AWKWARD = ["O'Brien-1", "back\\slash-2", "quote''twice-3", "'); DROP TABLE sales_line; --", "Zürich €-5"]


async def test_awkward_external_ids_are_found_again_as_duplicates(
    sender: Sender, registry: FakeRegistry
) -> None:
    partner_id, secret = registry.partner()
    lines = [
        a_line(external_id=external_id, customer={"name": f"Cust {external_id}", "external_id": external_id})
        for external_id in AWKWARD
    ]
    first = await sender.send(partner_id, secret, sales_reported(*lines))
    again = await sender.send(partner_id, secret, sales_reported(*lines))
    changed = await sender.send(
        partner_id, secret, sales_reported({**lines[0], "quantity": "1", "amount": "150.00"})
    )

    assert first.status_code == 200, first.text
    assert first.json()["counts"] == {"received": 5, "accepted": 5, "duplicate": 0, "rejected": 0}
    # found by their keys: every one a duplicate of itself, nothing stored twice
    assert again.json()["counts"] == {"received": 5, "accepted": 0, "duplicate": 5, "rejected": 0}
    assert {d["external_id"] for d in again.json()["duplicate"]} == set(AWKWARD)
    # a changed line is found by its quoted key too, and refused
    assert changed.status_code == 422
    assert changed.json()["report"]["rejected"][0]["reason"] == "content_differs"
