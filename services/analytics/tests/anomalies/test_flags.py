"""Flags raised at ingestion travel in `sales.recorded`, are listed, and are reviewed once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from analytics.partners.models import PartnerDimension
from prm_contracts.principal import Principal
from prm_kit.testing import internal_headers
from sqlalchemy.ext.asyncio import AsyncSession

from ..sales.factories import Sender, a_line, events_of, sales_reported, stored_counts
from ..sales.fakes import Clock, FakeRegistry

pytestmark = pytest.mark.asyncio


async def _flagged_partner(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> tuple[UUID, dict[str, Any]]:
    partner_id, secret = registry.partner()
    db.add(
        PartnerDimension(partner_id=partner_id, website_domain="acme.example", updated_at=datetime.now(UTC))
    )
    await db.flush()
    own = a_line(customer={"name": "Acme itself", "domain": "acme.example"})
    plain = a_line(customer={"name": "Globex", "domain": "globex.example"})
    response = await sender.send(partner_id, secret, sales_reported(own, plain))
    assert response.status_code == 200, response.text
    return partner_id, own


async def test_flags_travel_with_the_recorded_lines_and_are_listed(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    partner_id, own = await _flagged_partner(sender, registry, db)

    [event] = [e for e in await events_of(db, "sales.recorded") if e["data"]["partner_id"] == str(partner_id)]
    flags_by_line = {line["external_id"]: line["flags"] for line in event["data"]["lines"]}
    [flag] = flags_by_line[own["external_id"]]
    assert flag["code"] == "own_domain"
    assert "acme.example" in flag["reason"]
    assert [f for key, f in flags_by_line.items() if key != own["external_id"]] == [[]]

    listed = await client.get("/v1/anomaly-flags", params={"partner_id": str(partner_id), "status": "open"})
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["id"] == flag["flag_id"]
    assert item["line_external_id"] == own["external_id"]
    assert item["status"] == "open"
    assert item["version"] == 1


async def test_a_review_confirms_once_with_if_match_and_emits_an_event(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    partner_id, _ = await _flagged_partner(sender, registry, db)
    [item] = (await client.get("/v1/anomaly-flags", params={"partner_id": str(partner_id)})).json()["items"]
    url = f"/v1/anomaly-flags/{item['id']}/review"

    without = await client.post(url, json={"outcome": "dismissed"})
    stale = await client.post(url, json={"outcome": "dismissed"}, headers={"If-Match": '"7"'})
    bad = await client.post(url, json={"outcome": "maybe"}, headers={"If-Match": '"1"'})
    assert (without.status_code, stale.status_code, bad.status_code) == (428, 412, 422)
    assert await events_of(db, "sales.flag_reviewed") == []

    reviewed = await client.post(
        url, json={"outcome": "confirmed", "note": "test data"}, headers={"If-Match": '"1"'}
    )
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["status"] == "confirmed"
    assert reviewed.headers["etag"] == '"2"'
    [event] = await events_of(db, "sales.flag_reviewed")
    assert event["data"]["flag_id"] == item["id"]
    assert event["data"]["outcome"] == "confirmed"

    again = await client.post(url, json={"outcome": "dismissed"}, headers={"If-Match": '"2"'})
    assert again.status_code == 409
    assert again.json()["type"].endswith("/problems/flag-already-reviewed")


async def test_partners_see_only_their_own_flags_and_never_review(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    partner_id, _ = await _flagged_partner(sender, registry, db)
    [item] = (await client.get("/v1/anomaly-flags", params={"partner_id": str(partner_id)})).json()["items"]
    own = internal_headers(
        Principal(
            subject="key:o", scopes=frozenset({"analytics:read", "analytics:write"}), partner_id=partner_id
        )
    )
    other = internal_headers(
        Principal(subject="key:x", scopes=frozenset({"analytics:read"}), partner_id=uuid4())
    )

    assert (await client.get(f"/v1/anomaly-flags/{item['id']}", headers=own)).status_code == 200
    rivals = await client.get(f"/v1/anomaly-flags/{item['id']}", headers=other)
    unknown_id = uuid4()
    unknown = await client.get(f"/v1/anomaly-flags/{unknown_id}", headers=other)
    # another partner's flag reads as an unknown one: neither that it exists nor whose it is
    assert (rivals.status_code, unknown.status_code) == (404, 404)
    assert rivals.json()["detail"] == f"no anomaly flag {item['id']}"
    assert str(partner_id) not in rivals.text
    assert unknown.json()["detail"] == f"no anomaly flag {unknown_id}"
    assert (await client.get("/v1/anomaly-flags", headers=other)).json()["items"] == []
    before = await stored_counts(db)
    refused = await client.post(
        f"/v1/anomaly-flags/{item['id']}/review",
        json={"outcome": "dismissed"},
        headers=own | {"If-Match": '"1"'},
    )
    assert refused.status_code == 403
    assert await stored_counts(db) == before


async def test_a_line_dated_ahead_of_its_receipt_is_stored_and_flagged_future_dated(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry, clock: Clock
) -> None:
    partner_id, secret = registry.partner()
    ahead = a_line(occurred_on="2027-07-01")  # the clock: 2026-07-01, a year before; a mistyped year
    before = await stored_counts(db)

    response = await sender.send(partner_id, secret, sales_reported(ahead))

    assert response.status_code == 200, response.text
    assert (await stored_counts(db))["sales_line"] == before["sales_line"] + 1
    listed = await client.get(
        "/v1/anomaly-flags", params={"partner_id": str(partner_id), "code": "future_dated"}
    )
    [item] = listed.json()["items"]
    assert (item["line_external_id"], item["status"]) == (ahead["external_id"], "open")
    assert item["reason"] == "occurred on 2027-07-01: after 2026-07-01, the day (UTC) the line was received"
    [event] = [e for e in await events_of(db, "sales.recorded") if e["data"]["partner_id"] == str(partner_id)]
    assert [flag["code"] for flag in event["data"]["lines"][0]["flags"]] == ["future_dated"]


def _taking_back(
    original: dict[str, Any], amount: str, *, kind: str = "return", **more: Any
) -> dict[str, Any]:
    return a_line(
        kind=kind,
        original_external_id=original["external_id"],
        quantity="1",
        unit_price=amount,
        amount=amount,
        occurred_on="2026-06-20",
        **more,
    )


async def test_returns_beyond_their_stored_original_are_flagged_counting_the_stored_ones(
    client: httpx.AsyncClient, db: AsyncSession, sender: Sender, registry: FakeRegistry
) -> None:
    # a sale of 2 x 150.00 EUR and, in the same delivery, a credit note of 50.00 on it
    partner_id, secret = registry.partner()
    sale = a_line()
    credit = _taking_back(sale, "50.00", kind="credit_note")
    first = await sender.send(partner_id, secret, sales_reported(sale, credit))
    # later: returns of 150.00 (200.00 of 300.00 in all), then 150.00 more (350.00), one in USD, one of the note
    fits, beyond = _taking_back(sale, "150.00"), _taking_back(sale, "150.00")
    in_dollars = _taking_back(sale, "10.00", currency="USD")
    of_the_note = _taking_back(credit, "10.00")
    second = await sender.send(partner_id, secret, sales_reported(fits, beyond, in_dollars, of_the_note))

    assert (first.status_code, second.status_code) == (200, 200), second.text
    listed = await client.get(
        "/v1/anomaly-flags", params={"partner_id": str(partner_id), "code": "original_mismatch"}
    )
    reasons = {item["line_external_id"]: item["reason"] for item in listed.json()["items"]}
    assert set(reasons) == {beyond["external_id"], in_dollars["external_id"], of_the_note["external_id"]}
    assert "come to 350.00 EUR with this one, more than its 300.00 EUR" in reasons[beyond["external_id"]]
    assert "a credit_note: only a sale is returned or credited" in reasons[of_the_note["external_id"]]
    [event] = [
        e for e in await events_of(db, "sales.recorded") if e["data"]["partner_id"] == str(partner_id)
    ][1:]
    flagged = {line["external_id"] for line in event["data"]["lines"] if line["flags"]}
    assert flagged == set(reasons)
