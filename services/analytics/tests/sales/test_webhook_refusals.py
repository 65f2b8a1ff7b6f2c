"""Every way a delivery is refused answers problem+json and stores nothing: no line, key, rollup, receipt or
outbox row."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import httpx
import pytest
from analytics.sales.models import SalesDailyRollup
from analytics.sales.secrets import REFETCH_AFTER_SECONDS
from prm_kit import testing as kit_testing
from sqlalchemy.ext.asyncio import AsyncSession

from .factories import (
    WEBHOOK_CALLER,
    Sender,
    a_line,
    is_problem,
    sales_reported,
    stored_counts,
    webhook_path,
)
from .fakes import Clock, FakeRegistry, new_secret

pytestmark = pytest.mark.asyncio


async def test_a_signed_delivery_is_stored(sender: Sender, registry: FakeRegistry, db: AsyncSession) -> None:
    partner_id, secret = registry.partner()
    before = await stored_counts(db)

    response = await sender.send(partner_id, secret, sales_reported(a_line(), a_line()))

    assert response.status_code == 200, response.text
    assert response.json()["counts"] == {"received": 2, "accepted": 2, "duplicate": 0, "rejected": 0}
    after = await stored_counts(db)
    # 2 lines and keys; one daily and one monthly rollup row (same day, category, currency); one customer;
    # one receipt; two events: sales.recorded and kpi.updated for the one month touched
    assert {name: after[name] - before[name] for name in after} == {
        "sales_line": 2,
        "sales_line_key": 2,
        "sales_daily_rollup": 1,
        "sales_monthly_rollup": 1,
        "sales_customer_rollup": 1,
        "sales_webhook_receipt": 1,
        "outbox_event": 2,
    }


async def test_during_a_rotation_both_secrets_verify(
    sender: Sender, registry: FakeRegistry, clock: Clock
) -> None:
    old = new_secret()
    partner_id, new = registry.partner(valid_from=clock.now - timedelta(hours=1))
    registry.add_secret(partner_id, old, valid_until=clock.now + timedelta(hours=23))

    by_new = await sender.send(partner_id, new, sales_reported(a_line()))
    by_old = await sender.send(partner_id, old, sales_reported(a_line()))

    assert (by_new.status_code, by_old.status_code) == (200, 200)


async def test_a_secret_past_its_overlap_no_longer_verifies_though_cached(
    sender: Sender, registry: FakeRegistry, clock: Clock, db: AsyncSession
) -> None:
    old = new_secret()
    partner_id, _new = registry.partner()
    registry.add_secret(partner_id, old, valid_until=clock.now + timedelta(seconds=10))
    assert (await sender.send(partner_id, old, sales_reported(a_line()))).status_code == 200
    clock.advance(seconds=10)  # still within the cache's 30 s: the cached window decides
    before = await stored_counts(db)

    response = await sender.send(partner_id, old, sales_reported(a_line()))

    assert is_problem(response, "webhook-signature-invalid", 401)
    assert len(registry.requests) == 2  # the mismatch asked once more: a secret may have been issued since
    assert await stored_counts(db) == before


async def test_a_secret_issued_since_the_kept_ones_were_fetched_verifies_at_once(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    # the partner signs with its new secret before `partner.webhook_secrets_changed` reaches analytics, right
    # after a delivery filled the cache (found from outside: this was a 401 within the second)
    partner_id, secret = registry.partner()
    assert (await sender.send(partner_id, secret, sales_reported(a_line()))).status_code == 200
    issued = new_secret()
    registry.add_secret(partner_id, issued)

    by_issued = await sender.send(partner_id, issued, sales_reported(a_line()))
    fetched_for_the_issued = len(registry.requests)
    forged = [await sender.send(partner_id, new_secret(), sales_reported(a_line())) for _ in range(3)]

    assert by_issued.status_code == 200, by_issued.text
    assert fetched_for_the_issued == 2
    assert [is_problem(response, "webhook-signature-invalid", 401) for response in forged] == [True] * 3
    # forged signatures ask the registry no more than once a second: each waited out the second
    assert len(registry.requests) == 5
    assert registry.waits == [REFETCH_AFTER_SECONDS] * 4


async def test_a_wrong_signature_is_a_401(sender: Sender, registry: FakeRegistry, db: AsyncSession) -> None:
    partner_id, _secret = registry.partner()
    before = await stored_counts(db)

    response = await sender.send(partner_id, new_secret(), sales_reported(a_line()))

    assert is_problem(response, "webhook-signature-invalid", 401)
    assert "no webhook-signature entry matches" in response.json()["detail"]
    assert await stored_counts(db) == before


async def test_a_body_changed_after_signing_is_a_401(
    client: httpx.AsyncClient, sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    partner_id, secret = registry.partner()
    signed = await sender.send(partner_id, secret, sales_reported(a_line()), webhook_id="msg_tamper")
    assert signed.status_code == 200
    before = await stored_counts(db)
    request = signed.request
    tampered = request.content.replace(b'"300.00"', b'"3000.00"').replace(b'"150.00"', b'"1500.00"')

    response = await client.post(request.url.path, content=tampered, headers=dict(request.headers))

    assert is_problem(response, "webhook-signature-invalid", 401)
    assert await stored_counts(db) == before


@pytest.mark.parametrize(("skew", "word"), [(-301, "old"), (301, "far in the future")])
async def test_a_stale_timestamp_is_a_401_saying_so(
    sender: Sender, registry: FakeRegistry, clock: Clock, db: AsyncSession, skew: int, word: str
) -> None:
    partner_id, secret = registry.partner()
    before = await stored_counts(db)

    response = await sender.send(
        partner_id, secret, sales_reported(a_line()), signed_at=clock.now + timedelta(seconds=skew)
    )

    assert is_problem(response, "webhook-signature-invalid", 401)
    assert f"is too {word}" in response.json()["detail"]
    assert "within 300 s of now" in response.json()["detail"]
    assert registry.requests == []  # refused before asking for secrets
    assert await stored_counts(db) == before


async def test_a_timestamp_past_year_9999_is_a_401_for_any_partner(
    client: httpx.AsyncClient, registry: FakeRegistry, db: AsyncSession
) -> None:
    # found from outside: anyone could make the receiver fail (500) with twelve digits, no secret needed
    before = await stored_counts(db)

    response = await client.post(
        f"/v1/webhooks/partners/{uuid4()}/sales",
        content=b"{}",
        headers={
            "content-type": "application/json",
            "webhook-id": "msg_far",
            "webhook-timestamp": "999999999999",
            "webhook-signature": "v1,AAAA",
        },
    )

    assert is_problem(response, "webhook-signature-invalid", 401)
    assert "is too far in the future" in response.json()["detail"]
    assert registry.requests == []
    assert await stored_counts(db) == before


async def test_an_unknown_partner_is_a_404(sender: Sender, registry: FakeRegistry, db: AsyncSession) -> None:
    before = await stored_counts(db)
    stranger = uuid4()

    response = await sender.send(stranger, new_secret(), sales_reported(a_line()))

    assert is_problem(response, "not-found", 404)
    assert str(stranger) in response.json()["detail"]
    assert await stored_counts(db) == before


async def test_a_partner_without_secrets_is_a_401(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    partner_id = registry.partner_without_secrets()
    before = await stored_counts(db)

    response = await sender.send(partner_id, new_secret(), sales_reported(a_line()))

    assert is_problem(response, "webhook-signature-invalid", 401)
    assert "has no valid webhook secret" in response.json()["detail"]
    assert await stored_counts(db) == before


@pytest.mark.parametrize("mode", ["unreachable", "garbage"])
async def test_the_registry_down_is_a_503_with_retry_after(
    sender: Sender, registry: FakeRegistry, db: AsyncSession, mode: str
) -> None:
    partner_id, secret = registry.partner()
    registry.mode = mode  # type: ignore[assignment]
    before = await stored_counts(db)

    response = await sender.send(partner_id, secret, sales_reported(a_line()))

    assert is_problem(response, "service-unavailable", 503)
    assert response.headers["retry-after"] == "5"
    assert await stored_counts(db) == before


async def test_missing_signature_headers_are_a_401(
    client: httpx.AsyncClient, registry: FakeRegistry, db: AsyncSession
) -> None:
    from prm_kit.testing import internal_headers

    partner_id, _secret = registry.partner()
    before = await stored_counts(db)

    response = await client.post(
        webhook_path(partner_id), json=sales_reported(a_line()), headers=internal_headers(WEBHOOK_CALLER)
    )

    assert is_problem(response, "webhook-signature-invalid", 401)
    assert "webhook-id, webhook-timestamp, webhook-signature" in response.json()["detail"]
    assert await stored_counts(db) == before


async def test_malformed_json_is_a_400(sender: Sender, registry: FakeRegistry, db: AsyncSession) -> None:
    partner_id, secret = registry.partner()
    before = await stored_counts(db)

    response = await sender.send(partner_id, secret, b'{"type": "sales.reported", "data": {')

    assert is_problem(response, "bad-request", 400)
    assert response.json()["detail"].startswith("the body is not JSON")
    assert await stored_counts(db) == before


@pytest.mark.parametrize("is_new", [1, 0, "yes", "true"])
async def test_is_new_is_a_json_boolean_or_nothing(
    sender: Sender, registry: FakeRegistry, db: AsyncSession, is_new: object
) -> None:
    partner_id, secret = registry.partner()
    before = await stored_counts(db)
    line = a_line()
    line["customer"] = line["customer"] | {"is_new": is_new}

    response = await sender.send(partner_id, secret, sales_reported(line))

    assert is_problem(response, "validation-error", 422), response.text
    assert response.json()["errors"][0]["loc"] == ["body", "data", "transactions", 0, "customer", "is_new"]
    assert await stored_counts(db) == before


@pytest.mark.parametrize(
    ("field", "value", "loc_end", "words"),
    [
        ("amount", 300.0, "amount", "not as a JSON number"),
        ("unit_price", 150, "unit_price", "not as a JSON number"),
        ("currency", "EUX", "currency", "ISO 4217"),
        ("amount", "-300.00", "amount", "must not be negative"),
        ("quantity", "0", "quantity", "greater than 0"),
        ("amount", "301.00", None, "is not quantity * unit_price"),
        ("occurred_on", "15/06/2026", "occurred_on", "YYYY-MM-DD"),
        # once a 500: the anomaly guard's history starts 90 days before the earliest line
        ("occurred_on", "0001-01-01", "occurred_on", "1900 to 9998"),
        ("occurred_on", "9999-12-31", "occurred_on", "1900 to 9998"),
        ("paid_on", "9999-12-31", "paid_on", "1900 to 9998"),
        ("kind", "refund", "kind", "sale"),
        ("colour", "red", "colour", "Extra inputs"),
    ],
)
async def test_an_invalid_line_is_a_422_naming_the_line_and_field(
    sender: Sender,
    registry: FakeRegistry,
    db: AsyncSession,
    field: str,
    value: object,
    loc_end: str | None,
    words: str,
) -> None:
    partner_id, secret = registry.partner()
    before = await stored_counts(db)

    response = await sender.send(partner_id, secret, sales_reported(a_line(), a_line(**{field: value})))

    assert is_problem(response, "validation-error", 422), response.text
    issue = response.json()["errors"][0]
    expected_loc = ["body", "data", "transactions", 1] + ([loc_end] if loc_end else [])
    assert issue["loc"] == expected_loc
    assert words in issue["msg"]
    assert await stored_counts(db) == before


@pytest.mark.parametrize(
    "message",
    [
        {"type": "sales.invented", "data": {"transactions": []}},
        {"data": {"transactions": []}},
    ],
)
async def test_an_unknown_type_is_a_422_on_type(
    sender: Sender, registry: FakeRegistry, db: AsyncSession, message: dict[str, object]
) -> None:
    partner_id, secret = registry.partner()
    before = await stored_counts(db)

    response = await sender.send(partner_id, secret, message)

    assert is_problem(response, "validation-error", 422)
    assert response.json()["errors"][0]["loc"] == ["body", "type"]
    assert await stored_counts(db) == before


@pytest.mark.parametrize("count", [0, 1001])
async def test_a_message_of_no_lines_or_over_1000_lines_is_a_422(
    sender: Sender, registry: FakeRegistry, db: AsyncSession, count: int
) -> None:
    partner_id, secret = registry.partner()
    line = a_line()
    before = await stored_counts(db)

    response = await sender.send(partner_id, secret, sales_reported(*[line] * count))

    assert is_problem(response, "validation-error", 422)
    assert response.json()["errors"][0]["loc"] == ["body", "data", "transactions"]
    assert await stored_counts(db) == before


async def test_a_non_uuid_partner_is_a_422(client: httpx.AsyncClient, registry: FakeRegistry) -> None:
    response = await client.post(webhook_path("not-a-uuid"), content=b"{}")

    assert is_problem(response, "validation-error", 422)
    assert registry.requests == []


async def test_the_secret_cache_asks_the_registry_once_until_forgotten(
    sender: Sender, registry: FakeRegistry, app: object
) -> None:
    partner_id, secret = registry.partner()

    for _ in range(3):
        assert (await sender.send(partner_id, secret, sales_reported(a_line()))).status_code == 200
    assert len(registry.requests) == 1

    rotated = new_secret()
    registry.partners[partner_id].clear()
    registry.add_secret(partner_id, rotated, valid_from=datetime(2026, 6, 1, tzinfo=UTC))
    app.state.webhook_secrets.forget(partner_id)  # type: ignore[attr-defined]  # what the event consumer does

    assert (await sender.send(partner_id, secret, sales_reported(a_line()))).status_code == 401
    assert (await sender.send(partner_id, rotated, sales_reported(a_line()))).status_code == 200
    # after the forget one request; the refused old secret one more, a second later (one may have been issued)
    assert len(registry.requests) == 3


@pytest.mark.skipif(kit_testing.test_backend() != "postgresql", reason="SQLite keeps numbers of any size")
async def test_a_delivery_that_would_push_a_rollup_past_numeric_19_4_is_a_422(
    sender: Sender, registry: FakeRegistry, db: AsyncSession
) -> None:
    # ten thousand lines of 99,999,999,999.9999 in a day did it: a 500, every retry again
    partner_id, secret = registry.partner()
    zero = Decimal(0)
    db.add(
        SalesDailyRollup(
            partner_id=partner_id, day=date(2026, 6, 15), product_category="networking", currency="EUR",
            gross_amount=Decimal("999999999999000"), returns_amount=zero, costed_amount=zero, cost_amount=zero,
            sold_quantity=Decimal(10_000), returned_quantity=zero, line_count=10_000, sale_line_count=10_000,
            return_line_count=0, costed_line_count=0,
        )
    )  # fmt: skip
    await db.flush()
    before = await stored_counts(db)

    response = await sender.send(
        partner_id, secret, sales_reported(a_line(quantity="1", unit_price="1000.00", amount="1000.00"))
    )

    assert is_problem(response, "validation-error", 422), response.text
    assert [issue["type"] for issue in response.json()["errors"]] == ["number_out_of_range"]
    assert await stored_counts(db) == before
