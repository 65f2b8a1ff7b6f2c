"""The compliance summary: the facts scoring's gates and analytics' compliance KPI read."""

from __future__ import annotations

import uuid

import httpx
import pytest

from ..factories import (
    a_partner,
    a_violation,
    an_agreement,
    an_audit,
    days_from_today,
    partner_user,
    signed_as,
)

pytestmark = pytest.mark.asyncio


async def test_a_partner_with_no_record_has_an_empty_summary(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)

    response = await client.get(f"/v1/partners/{partner['id']}/compliance/summary")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "partner_id": partner["id"],
        "as_of": days_from_today(0),
        "open_violations": {"low": 0, "medium": 0, "high": 0, "critical": 0},
        "open_violations_total": 0,
        "oldest_open_violation_opened_on": None,
        "violations_by_status": {"open": 0, "remediating": 0, "resolved": 0, "waived": 0},
        "audit_count": 0,
        "last_audit": None,
        "audits_failed": 0,
        "has_current_agreement": False,
    }


async def test_the_summary_counts_the_record(client: httpx.AsyncClient) -> None:
    partner, other = await a_partner(client), await a_partner(client)
    # open: two high (one remediating), one critical; closed: one low resolved, one medium waived
    await a_violation(client, partner, severity="high", opened_on=days_from_today(-40))
    await a_violation(client, partner, severity="high", status="remediating", opened_on=days_from_today(-20))
    await a_violation(client, partner, severity="critical", opened_on=days_from_today(-3))
    await a_violation(client, partner, severity="low", status="resolved", opened_on=days_from_today(-90))
    await a_violation(client, partner, severity="medium", status="waived")
    await a_violation(
        client, other, severity="critical", opened_on=days_from_today(-100)
    )  # not this partner's
    await an_audit(client, partner, audited_on=days_from_today(-400), outcome="failed")
    last = await an_audit(client, partner, audited_on=days_from_today(-30), outcome="passed_with_findings")
    await an_audit(client, partner, audited_on=days_from_today(-200), outcome="passed")
    await an_agreement(client, partner)

    summary = (await client.get(f"/v1/partners/{partner['id']}/compliance/summary")).json()

    assert summary["open_violations"] == {"low": 0, "medium": 0, "high": 2, "critical": 1}
    assert summary["open_violations_total"] == 3
    assert summary["oldest_open_violation_opened_on"] == days_from_today(-40)
    assert summary["violations_by_status"] == {"open": 2, "remediating": 1, "resolved": 1, "waived": 1}
    assert (summary["audit_count"], summary["audits_failed"]) == (3, 1)
    assert summary["last_audit"] == last
    assert summary["has_current_agreement"] is True


async def test_who_may_read_a_compliance_summary(client: httpx.AsyncClient) -> None:
    partner, other = await a_partner(client), await a_partner(client)
    path = f"/v1/partners/{partner['id']}/compliance/summary"

    assert (
        await client.get(path, headers=signed_as(partner_user(partner, "partners:read")))
    ).status_code == 200
    assert (
        await client.get(path, headers=signed_as(partner_user(other, "partners:read")))
    ).status_code == 403
    assert (await client.get(f"/v1/partners/{uuid.uuid4()}/compliance/summary")).status_code == 404
