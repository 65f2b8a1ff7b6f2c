"""A partner's policy violations: the status and resolution-day rules on their own, then through the API."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from typing import Any

import httpx
import pytest
from partner_registry.compliance.rules import ViolationState, changed_state, resolved
from prm_contracts.compliance import ViolationSeverity, ViolationStatus
from prm_contracts.problem import UnprocessableContent
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    a_partner,
    a_violation,
    days_from_today,
    partner_user,
    signed_as,
    stored_counts,
    violation_body,
)

TODAY = date(2026, 11, 27)
OPENED = date(2026, 11, 1)
OPEN = ViolationState(
    policy="Pricing policy",
    finding="Sold below the floor price",
    severity=ViolationSeverity.HIGH,
    status=ViolationStatus.OPEN,
    opened_on=OPENED,
    resolved_on=None,
)
RESOLVED = replace(OPEN, status=ViolationStatus.RESOLVED, resolved_on=date(2026, 11, 20))


# --- the rules ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "sent", "status", "resolved_on"),
    [
        (OPEN, {"status": ViolationStatus.RESOLVED}, ViolationStatus.RESOLVED, TODAY),
        (
            OPEN,
            {"status": ViolationStatus.WAIVED, "resolved_on": date(2026, 11, 2)},
            ViolationStatus.WAIVED,
            date(2026, 11, 2),
        ),
        (OPEN, {"status": ViolationStatus.REMEDIATING}, ViolationStatus.REMEDIATING, None),
        (OPEN, {"severity": ViolationSeverity.LOW}, ViolationStatus.OPEN, None),
        (RESOLVED, {"status": ViolationStatus.OPEN}, ViolationStatus.OPEN, None),  # reopened
        (
            RESOLVED,
            {"status": ViolationStatus.WAIVED},
            ViolationStatus.WAIVED,
            date(2026, 11, 20),
        ),  # keeps its day
        (RESOLVED, {"resolved_on": None}, ViolationStatus.RESOLVED, TODAY),
        (
            RESOLVED,
            {"resolved_on": OPENED},
            ViolationStatus.RESOLVED,
            OPENED,
        ),  # resolved the day it was opened
    ],
)
def test_the_resolution_day_follows_the_status(
    before: ViolationState,
    sent: dict[str, Any],
    status: ViolationStatus,
    resolved_on: date | None,
) -> None:
    after = changed_state(before, sent, today=TODAY)

    assert (after.status, after.resolved_on) == (status, resolved_on)


@pytest.mark.parametrize(
    ("before", "sent", "field"),
    [
        (OPEN, {"resolved_on": date(2026, 11, 2)}, "resolved_on"),  # open violations are not resolved
        (RESOLVED, {"status": ViolationStatus.REMEDIATING, "resolved_on": TODAY}, "resolved_on"),
        (OPEN, {"status": ViolationStatus.RESOLVED, "resolved_on": date(2026, 10, 31)}, "resolved_on"),
        (RESOLVED, {"opened_on": date(2026, 11, 21)}, "opened_on"),  # after the stored resolution
    ],
)
def test_days_that_do_not_fit_are_refused(before: ViolationState, sent: dict[str, Any], field: str) -> None:
    with pytest.raises(UnprocessableContent) as refused:
        changed_state(before, sent, today=TODAY)
    assert refused.value.errors is not None
    assert refused.value.errors[0].loc == ["body", field]


def test_a_violation_recorded_closed_is_resolved_today() -> None:
    state = replace(OPEN, status=ViolationStatus.WAIVED)

    assert resolved(state, resolved_on_sent=False, today=TODAY).resolved_on == TODAY


# --- through the API ---------------------------------------------------------------------------------------


def _violations(partner: dict[str, Any]) -> str:
    return f"/v1/partners/{partner['id']}/compliance/violations"


@pytest.mark.asyncio
async def test_a_violation_is_opened_remediated_resolved_and_reopened(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)

    opened = await client.post(_violations(partner), json=violation_body(severity="high"))
    assert opened.status_code == 201, opened.text
    violation = opened.json()
    assert opened.headers["location"] == f"{_violations(partner)}/{violation['id']}"
    assert opened.headers["etag"] == '"1"'
    assert (violation["status"], violation["severity"], violation["resolved_on"]) == ("open", "high", None)
    assert violation["opened_on"] == days_from_today(-5)
    path = f"{_violations(partner)}/{violation['id']}"
    assert (await client.get(path)).json() == violation

    steps = [
        ({"status": "remediating"}, "remediating", None),
        ({"status": "resolved", "resolved_on": days_from_today(-1)}, "resolved", days_from_today(-1)),
        ({"status": "open"}, "open", None),
        ({"status": "waived"}, "waived", days_from_today(0)),
    ]
    for version, (change, status, resolved_on) in enumerate(steps, start=1):
        response = await client.patch(path, json=change, headers={"If-Match": f'"{version}"'})
        assert response.status_code == 200, response.text
        assert (response.json()["status"], response.json()["resolved_on"]) == (status, resolved_on)
        assert response.headers["etag"] == f'"{version + 1}"'


@pytest.mark.asyncio
async def test_a_violation_recorded_resolved_gets_a_resolution_day(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)

    today = await a_violation(client, partner, status="resolved")
    given = await a_violation(client, partner, status="waived", resolved_on=days_from_today(-2))

    assert today["resolved_on"] == days_from_today(0)
    assert given["resolved_on"] == days_from_today(-2)


@pytest.mark.asyncio
async def test_violations_are_listed_latest_opened_first_with_filters(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    await a_violation(client, partner, opened_on=days_from_today(-30), severity="low")
    await a_violation(client, partner, opened_on=days_from_today(-1), severity="critical")
    await a_violation(client, partner, opened_on=days_from_today(-10), severity="high", status="resolved")
    await a_violation(client, await a_partner(client))

    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(_violations(partner), params=params)).json()
        seen += [v["severity"] for v in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == ["critical", "high", "low"]
    open_ones = (await client.get(_violations(partner), params={"status": ["open", "remediating"]})).json()
    assert [v["severity"] for v in open_ones["items"]] == ["critical", "low"]
    severe = (await client.get(_violations(partner), params={"severity": ["high", "critical"]})).json()
    assert [v["severity"] for v in severe["items"]] == ["critical", "high"]
    assert (await client.get(_violations(partner), params={"severity": "grave"})).status_code == 422


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"severity": "grave"}, ["body", "severity"]),
        ({"status": "closed"}, ["body", "status"]),
        ({"opened_on": days_from_today(1)}, ["body", "opened_on"]),
        ({"resolved_on": days_from_today(-1)}, ["body", "resolved_on"]),  # while open
        (
            {"status": "resolved", "resolved_on": days_from_today(-6)},
            ["body", "resolved_on"],
        ),  # before opened
        ({"status": "resolved", "resolved_on": days_from_today(1)}, ["body", "resolved_on"]),
        ({"policy": ""}, ["body", "policy"]),
        ({"finding": "x" * 4001}, ["body", "finding"]),
        ({"fine": {"amount": "100", "currency": "EUR"}}, ["body", "fine"]),
    ],
)
async def test_an_invalid_violation_is_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, change: dict[str, Any], loc: list[str]
) -> None:
    partner = await a_partner(client)
    before = await stored_counts(db)

    response = await client.post(_violations(partner), json=violation_body(**change))

    assert response.status_code == 422, response.text
    assert loc in [error["loc"] for error in response.json()["errors"]]
    assert await stored_counts(db) == before


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "change",
    [
        {"resolved_on": days_from_today(-1)},  # still open
        {"status": "resolved", "resolved_on": days_from_today(-6)},  # before it was opened
        {"status": None},
        {"severity": "grave"},
    ],
)
async def test_an_invalid_change_is_422_and_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, change: dict[str, Any]
) -> None:
    partner = await a_partner(client)
    violation = await a_violation(client, partner)
    path = f"{_violations(partner)}/{violation['id']}"
    before = await stored_counts(db)

    response = await client.patch(path, json=change, headers={"If-Match": '"1"'})

    assert response.status_code == 422, response.text
    assert await stored_counts(db) == before
    assert (await client.get(path)).json() == violation


@pytest.mark.asyncio
async def test_a_violation_change_needs_the_current_etag(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = await a_partner(client)
    violation = await a_violation(client, partner)
    path = f"{_violations(partner)}/{violation['id']}"
    await client.patch(path, json={"status": "remediating"}, headers={"If-Match": '"1"'})
    before = await stored_counts(db)

    stale = await client.patch(path, json={"status": "resolved"}, headers={"If-Match": '"1"'})
    missing = await client.patch(path, json={"status": "resolved"})

    assert (stale.status_code, missing.status_code) == (412, 428)
    assert await stored_counts(db) == before
    assert (await client.get(path)).json()["status"] == "remediating"


@pytest.mark.asyncio
async def test_a_retried_violation_gets_the_first_answer(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = await a_partner(client)
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = await client.post(_violations(partner), json=violation_body(), headers=key)
    counts = await stored_counts(db)
    retried = await client.post(_violations(partner), json=violation_body(), headers=key)

    assert first.status_code == retried.status_code == 201
    assert retried.json() == first.json()
    assert await stored_counts(db) == counts


@pytest.mark.asyncio
async def test_a_partner_reads_its_own_violations_but_does_not_change_them(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner, other = await a_partner(client), await a_partner(client)
    violation = await a_violation(client, partner)
    own = signed_as(partner_user(partner))
    path = f"{_violations(partner)}/{violation['id']}"
    before = await stored_counts(db)

    assert (await client.get(_violations(partner), headers=own)).status_code == 200
    assert (await client.get(path, headers=own)).status_code == 200
    assert (await client.get(_violations(other), headers=own)).status_code == 403
    resolving = await client.patch(path, json={"status": "resolved"}, headers={**own, "If-Match": '"1"'})
    assert resolving.status_code == 403
    assert await stored_counts(db) == before
    assert (await client.get(f"{_violations(partner)}/{uuid.uuid4()}")).status_code == 404
    assert (await client.delete(path)).status_code == 405  # evidence: waived, never removed
