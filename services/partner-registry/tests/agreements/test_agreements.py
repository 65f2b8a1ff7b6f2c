"""A partner's agreements: recording, reading, moving along their lifecycle, removing drafts; the rules on
their own first, then through the API."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from partner_registry.agreements.lifecycle import (
    AgreementClosed,
    AgreementTerms,
    InvalidAgreementTransition,
    check_change,
    is_current,
)
from prm_contracts.agreements import AgreementStatus, AgreementType
from prm_contracts.problem import UnprocessableContent
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    a_partner,
    agreement_body,
    an_agreement,
    days_from_today,
    moved_to,
    partner_user,
    signed_as,
    stored_counts,
)

TODAY = date(2026, 11, 27)
S = AgreementStatus


def _terms(status: AgreementStatus = S.ACTIVE, **fields: Any) -> AgreementTerms:
    values: dict[str, Any] = {
        "agreement_type": AgreementType.RESELLER,
        "status": status,
        "signed_on": date(2026, 1, 2),
        "starts_on": date(2026, 1, 5),
        "ends_on": None,
    }
    values.update(fields)
    return AgreementTerms(**values)


# --- the rules ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("terms", "current"),
    [
        (_terms(), True),
        (_terms(starts_on=TODAY), True),  # the first day counts
        (_terms(ends_on=TODAY), True),  # so does the last
        (_terms(starts_on=date(2026, 11, 28)), False),  # not started yet
        (_terms(ends_on=date(2026, 11, 26)), False),  # ended yesterday
        (_terms(S.DRAFT, signed_on=None), False),
        (_terms(S.TERMINATED), False),
        (_terms(S.EXPIRED, ends_on=date(2026, 11, 1)), False),
    ],
)
def test_an_agreement_is_current_when_active_and_running_today(terms: AgreementTerms, current: bool) -> None:
    assert is_current(terms, TODAY) is current


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (S.DRAFT, S.ACTIVE),
        (S.ACTIVE, S.TERMINATED),
        (S.ACTIVE, S.EXPIRED),
    ],
)
def test_the_lifecycle_arrows(before: AgreementStatus, after: AgreementStatus) -> None:
    check_change(_terms(before), _terms(after, ends_on=date(2026, 11, 1)), today=TODAY)


@pytest.mark.parametrize(
    ("before", "after"), [(S.DRAFT, S.EXPIRED), (S.DRAFT, S.TERMINATED), (S.ACTIVE, S.DRAFT)]
)
def test_moves_without_an_arrow_are_refused(before: AgreementStatus, after: AgreementStatus) -> None:
    with pytest.raises(InvalidAgreementTransition):
        check_change(_terms(before), _terms(after, ends_on=date(2026, 11, 1)), today=TODAY)


@pytest.mark.parametrize("status", [S.EXPIRED, S.TERMINATED])
def test_expired_and_terminated_agreements_are_final(status: AgreementStatus) -> None:
    with pytest.raises(AgreementClosed):
        check_change(_terms(status), _terms(status, ends_on=date(2027, 1, 1)), today=TODAY)


@pytest.mark.parametrize(
    ("after", "field"),
    [
        (_terms(S.ACTIVE, signed_on=None), "signed_on"),
        (_terms(ends_on=date(2026, 1, 4)), "ends_on"),
        (_terms(S.EXPIRED, ends_on=None), "status"),
        (_terms(S.EXPIRED, ends_on=TODAY), "status"),  # it still runs today
    ],
)
def test_terms_that_do_not_hold_together_are_refused(after: AgreementTerms, field: str) -> None:
    with pytest.raises(UnprocessableContent) as refused:
        check_change(_terms(), after, today=TODAY)
    assert refused.value.errors is not None
    assert refused.value.errors[0].loc == ["body", field]


# --- through the API ---------------------------------------------------------------------------------------


def _agreements(partner: dict[str, Any]) -> str:
    return f"/v1/partners/{partner['id']}/agreements"


@pytest.mark.asyncio
async def test_an_agreement_is_drafted_signed_read_and_terminated(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)

    drafted = await client.post(
        _agreements(partner),
        json={
            "agreement_type": "distribution",
            "starts_on": days_from_today(10),
            "ends_on": days_from_today(375),
        },
    )
    assert drafted.status_code == 201, drafted.text
    agreement = drafted.json()
    assert drafted.headers["location"] == f"{_agreements(partner)}/{agreement['id']}"
    assert drafted.headers["etag"] == '"1"'
    assert (agreement["status"], agreement["signed_on"], agreement["agreement_type"]) == (
        "draft",
        None,
        "distribution",
    )
    assert agreement["partner_id"] == partner["id"]

    read = await client.get(f"{_agreements(partner)}/{agreement['id']}")
    assert read.json() == agreement
    assert read.headers["etag"] == '"1"'

    signed = await client.patch(
        f"{_agreements(partner)}/{agreement['id']}",
        json={"status": "active", "signed_on": days_from_today(0)},
        headers={"If-Match": '"1"'},
    )
    assert signed.status_code == 200, signed.text
    assert signed.headers["etag"] == '"2"'
    assert (signed.json()["status"], signed.json()["signed_on"], signed.json()["version"]) == (
        "active",
        days_from_today(0),
        2,
    )

    terminated = await client.patch(
        f"{_agreements(partner)}/{agreement['id']}",
        json={"status": "terminated"},
        headers={"If-Match": '"2"'},
    )
    assert terminated.status_code == 200
    assert terminated.json()["status"] == "terminated"

    final = await client.patch(
        f"{_agreements(partner)}/{agreement['id']}",
        json={"ends_on": days_from_today(400)},
        headers={"If-Match": '"3"'},
    )
    assert final.status_code == 409
    assert final.json()["type"] == "/problems/agreement-closed"


@pytest.mark.asyncio
async def test_an_agreement_expires_once_its_end_has_passed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    running = await an_agreement(client, partner, ends_on=days_from_today(0))
    ended = await an_agreement(client, partner, starts_on=days_from_today(-400), ends_on=days_from_today(-1))
    before = await stored_counts(db)

    too_early = await client.patch(
        f"{_agreements(partner)}/{running['id']}", json={"status": "expired"}, headers={"If-Match": '"1"'}
    )
    assert too_early.status_code == 422
    assert too_early.json()["errors"][0]["loc"] == ["body", "status"]
    assert await stored_counts(db) == before

    expired = await client.patch(
        f"{_agreements(partner)}/{ended['id']}", json={"status": "expired"}, headers={"If-Match": '"1"'}
    )
    assert expired.status_code == 200
    assert expired.json()["status"] == "expired"


@pytest.mark.asyncio
async def test_agreements_are_listed_latest_start_first_in_pages(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    for days in (-300, -30, -100):
        await an_agreement(
            client, partner, starts_on=days_from_today(days), signed_on=days_from_today(days - 5)
        )
    await an_agreement(client, partner, status="draft", signed_on=None, starts_on=days_from_today(30))
    await an_agreement(client, await a_partner(client))  # another partner's

    starts, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(_agreements(partner), params=params)).json()
        starts += [a["starts_on"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert starts == [days_from_today(d) for d in (30, -30, -100, -300)]
    drafts = (await client.get(_agreements(partner), params={"status": "draft"})).json()["items"]
    assert [a["starts_on"] for a in drafts] == [days_from_today(30)]
    assert (await client.get(_agreements(partner), params={"cursor": "garbage"})).status_code == 422


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"agreement_type": "franchise"}, ["body", "agreement_type"]),
        ({"status": "expired"}, ["body", "status"]),
        ({"status": "active", "signed_on": None}, ["body", "signed_on"]),
        ({"signed_on": days_from_today(1)}, ["body", "signed_on"]),
        ({"starts_on": "27.11.2026"}, ["body", "starts_on"]),
        ({"ends_on": days_from_today(-31)}, ["body", "ends_on"]),  # before starts_on (-30)
        ({"starts_on": None}, ["body", "starts_on"]),
        ({"signature": "me"}, ["body", "signature"]),
    ],
)
async def test_an_invalid_agreement_is_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, change: dict[str, Any], loc: list[str]
) -> None:
    partner = await a_partner(client)
    before = await stored_counts(db)

    response = await client.post(_agreements(partner), json=agreement_body(**change))

    assert response.status_code == 422, response.text
    assert loc in [error["loc"] for error in response.json()["errors"]]
    assert await stored_counts(db) == before


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"ends_on": days_from_today(-31)}, 422),  # before the stored starts_on
        ({"starts_on": days_from_today(400), "ends_on": days_from_today(399)}, 422),
        ({"signed_on": None}, 422),  # an active agreement stays signed
        ({"status": "draft"}, 409),
        ({"status": None}, 422),
    ],
)
async def test_an_invalid_change_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, change: dict[str, Any], status: int
) -> None:
    partner = await a_partner(client)
    agreement = await an_agreement(client, partner)
    before = await stored_counts(db)

    response = await client.patch(
        f"{_agreements(partner)}/{agreement['id']}", json=change, headers={"If-Match": '"1"'}
    )

    assert response.status_code == status, response.text
    assert await stored_counts(db) == before
    assert (await client.get(f"{_agreements(partner)}/{agreement['id']}")).json() == agreement


@pytest.mark.asyncio
async def test_an_agreement_update_needs_the_current_etag(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    agreement = await an_agreement(client, partner, status="draft", signed_on=None)
    path = f"{_agreements(partner)}/{agreement['id']}"
    await client.patch(path, json={"agreement_type": "msp"}, headers={"If-Match": '"1"'})
    before = await stored_counts(db)

    stale = await client.patch(path, json={"agreement_type": "nda"}, headers={"If-Match": '"1"'})
    missing = await client.patch(path, json={"agreement_type": "nda"})
    stale_delete = await client.delete(path, headers={"If-Match": '"1"'})

    assert (stale.status_code, missing.status_code, stale_delete.status_code) == (412, 428, 412)
    assert await stored_counts(db) == before
    assert (await client.get(path)).json()["agreement_type"] == "msp"


@pytest.mark.asyncio
async def test_only_drafts_are_removed(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = await a_partner(client)
    draft = await an_agreement(client, partner, status="draft", signed_on=None)
    signed = await an_agreement(client, partner)
    before = await stored_counts(db)

    refused = await client.delete(f"{_agreements(partner)}/{signed['id']}")
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/agreement-not-draft"
    assert refused.json()["agreement_status"] == "active"
    assert await stored_counts(db) == before

    assert (
        await client.delete(f"{_agreements(partner)}/{draft['id']}", headers={"If-Match": '"1"'})
    ).status_code == 204
    assert (await client.get(f"{_agreements(partner)}/{draft['id']}")).status_code == 404


@pytest.mark.asyncio
async def test_a_terminated_partner_gets_no_new_agreement_but_can_end_its_old_ones(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await moved_to(client, await a_partner(client), "active")
    agreement = (await client.get(_agreements(partner))).json()["items"][0]
    partner = await moved_to(client, partner, "terminated")
    before = await stored_counts(db)

    added = await client.post(_agreements(partner), json=agreement_body())
    assert added.status_code == 409
    assert added.json()["type"] == "/problems/partner-terminated"
    assert await stored_counts(db) == before

    ended = await client.patch(
        f"{_agreements(partner)}/{agreement['id']}",
        json={"status": "terminated"},
        headers={"If-Match": '"1"'},
    )
    assert ended.status_code == 200


@pytest.mark.asyncio
async def test_a_retried_agreement_gets_the_first_answer(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = await a_partner(client)
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = await client.post(_agreements(partner), json=agreement_body(), headers=key)
    counts = await stored_counts(db)
    retried = await client.post(_agreements(partner), json=agreement_body(), headers=key)

    assert first.status_code == retried.status_code == 201
    assert retried.json() == first.json()
    assert retried.headers["idempotent-replayed"] == "true"
    assert await stored_counts(db) == counts


@pytest.mark.asyncio
async def test_a_partner_reads_its_own_agreements_but_does_not_change_them(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner, other = await a_partner(client), await a_partner(client)
    agreement = await an_agreement(client, partner, status="draft", signed_on=None)
    own = signed_as(partner_user(partner))
    before = await stored_counts(db)

    assert (await client.get(_agreements(partner), headers=own)).status_code == 200
    assert (await client.get(f"{_agreements(partner)}/{agreement['id']}", headers=own)).status_code == 200
    assert (await client.get(_agreements(other), headers=own)).status_code == 403
    signing = await client.patch(
        f"{_agreements(partner)}/{agreement['id']}",
        json={"status": "active", "signed_on": days_from_today(0)},
        headers={**own, "If-Match": '"1"'},
    )
    assert signing.status_code == 403
    assert (await client.post(_agreements(partner), json=agreement_body(), headers=own)).status_code == 403
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/partners/{uuid.uuid4()}/agreements")).status_code == 404
    assert (await client.get(f"{_agreements(partner)}/{uuid.uuid4()}")).status_code == 404
