"""A partner's onboarding checklist: the standard items, custom ones, who completed what and when."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from partner_registry.onboarding.checklist import MAX_CUSTOM_ITEMS, Item, apply_changes, standard_items
from partner_registry.onboarding.schemas import ChecklistItemChange
from prm_contracts.problem import UnprocessableContent
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    ANALYST,
    STANDARD_CHECKLIST_ITEMS,
    a_partner,
    moved_to,
    partner_user,
    signed_as,
    stored_counts,
)

NOW = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)


def _checklist(partner: dict[str, Any]) -> str:
    return f"/v1/partners/{partner['id']}/onboarding-checklist"


async def _patch(
    client: httpx.AsyncClient, partner: dict[str, Any], items: list[dict[str, Any]], etag: str, **headers: str
) -> httpx.Response:
    return await client.patch(
        _checklist(partner), json={"items": items}, headers={"If-Match": etag, **headers}
    )


# --- the rules on their own --------------------------------------------------------------------------------


def _change(**fields: Any) -> ChecklistItemChange:
    return ChecklistItemChange.model_validate(fields)


def test_completing_records_who_and_when_and_completing_again_keeps_them() -> None:
    first = apply_changes(
        standard_items(), [_change(key="portal_access", completed=True)], actor="user:a", now=NOW
    )
    later = datetime(2026, 7, 2, tzinfo=UTC)
    again = apply_changes(first, [_change(key="portal_access", completed=True)], actor="user:b", now=later)

    [portal] = [item for item in again if item.key == "portal_access"]
    assert (portal.completed_at, portal.completed_by) == (NOW, "user:a")
    assert again == first


def test_undoing_clears_who_and_when_and_a_null_note_clears_the_note() -> None:
    done = apply_changes(
        standard_items(),
        [_change(key="agreement_signed", completed=True, note="DocuSign 4711")],
        actor="u",
        now=NOW,
    )
    undone = apply_changes(
        done, [_change(key="agreement_signed", completed=False, note=None)], actor="u", now=NOW
    )

    assert undone == standard_items()


def test_custom_items_are_added_renamed_and_removed() -> None:
    added = apply_changes(
        standard_items(), [_change(key="nda_signed", label="NDA signed")], actor="u", now=NOW
    )
    assert added[-1] == Item(key="nda_signed", label="NDA signed", standard=False)
    renamed = apply_changes(added, [_change(key="nda_signed", label="Mutual NDA signed")], actor="u", now=NOW)
    assert renamed[-1].label == "Mutual NDA signed"
    removed = apply_changes(renamed, [_change(key="nda_signed", remove=True)], actor="u", now=NOW)
    assert removed == standard_items()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"key": "agreement_signed", "remove": True}, "remove"),
        ({"key": "agreement_signed", "label": "Contract signed"}, "label"),
        ({"key": "nda_signed", "completed": True}, "label"),
        ({"key": "nda_signed", "remove": True}, "key"),
    ],
)
def test_changes_that_break_a_rule_are_refused(change: dict[str, Any], field: str) -> None:
    with pytest.raises(UnprocessableContent) as refused:
        apply_changes(standard_items(), [_change(**change)], actor="u", now=NOW)

    assert refused.value.errors is not None
    assert refused.value.errors[0].loc == ["body", "items", 0, field]


def test_a_checklist_holds_a_bounded_number_of_custom_items() -> None:
    many = [_change(key=f"custom_{i}", label=f"Custom {i}") for i in range(MAX_CUSTOM_ITEMS + 1)]

    with pytest.raises(UnprocessableContent):
        apply_changes(standard_items(), many, actor="u", now=NOW)


# --- through the API ---------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_checklist_never_changed_is_the_standard_items_at_version_0(
    client: httpx.AsyncClient,
) -> None:
    partner = await a_partner(client)

    response = await client.get(_checklist(partner))

    assert response.status_code == 200
    assert response.headers["etag"] == '"0"'
    checklist = response.json()
    assert [item["key"] for item in checklist["items"]] == STANDARD_CHECKLIST_ITEMS
    assert all(item["standard"] and not item["completed"] for item in checklist["items"])
    assert checklist["complete"] is False
    assert checklist["incomplete"] == STANDARD_CHECKLIST_ITEMS
    assert (checklist["version"], checklist["updated_at"]) == (0, None)


@pytest.mark.asyncio
async def test_reading_a_checklist_never_changed_stores_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    before = await stored_counts(db)

    for _ in range(2):
        assert (await client.get(_checklist(partner))).headers["etag"] == '"0"'

    assert await stored_counts(db) == before


@pytest.mark.asyncio
async def test_items_are_completed_with_who_and_when_custom_items_added_and_removed(
    client: httpx.AsyncClient,
) -> None:
    partner = await a_partner(client)

    first = await _patch(
        client,
        partner,
        [
            {"key": "agreement_signed", "completed": True, "note": "DocuSign envelope 4711"},
            {"key": "nda_signed", "label": "NDA signed", "completed": True},
        ],
        '"0"',
    )

    assert first.status_code == 200, first.text
    assert first.headers["etag"] == '"1"'
    checklist = first.json()
    items = {item["key"]: item for item in checklist["items"]}
    assert list(items) == [*STANDARD_CHECKLIST_ITEMS, "nda_signed"]
    assert items["agreement_signed"]["completed"] is True
    assert items["agreement_signed"]["completed_by"] == "user:cm-anna"
    assert items["agreement_signed"]["completed_at"] is not None
    assert items["agreement_signed"]["note"] == "DocuSign envelope 4711"
    assert items["nda_signed"] == {
        **items["nda_signed"],
        "label": "NDA signed",
        "standard": False,
        "completed": True,
    }
    assert checklist["incomplete"] == ["tax_documents_received", "first_certification", "portal_access"]
    assert checklist["version"] == 1

    second = await _patch(
        client,
        partner,
        [{"key": "nda_signed", "remove": True}, {"key": "agreement_signed", "completed": False}],
        '"1"',
    )

    assert second.status_code == 200, second.text
    assert [item["key"] for item in second.json()["items"]] == STANDARD_CHECKLIST_ITEMS
    assert second.json()["items"][0]["completed_by"] is None
    assert second.json()["version"] == 2
    assert (await client.get(_checklist(partner))).json() == second.json()


@pytest.mark.asyncio
async def test_a_change_to_nothing_makes_no_new_version(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    await _patch(client, partner, [{"key": "portal_access", "completed": True}], '"0"')

    response = await _patch(client, partner, [{"key": "portal_access", "completed": True}], '"1"')

    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'


@pytest.mark.asyncio
async def test_if_match_is_required_and_checked(client: httpx.AsyncClient, db: AsyncSession) -> None:
    partner = await a_partner(client)
    before = await stored_counts(db)
    items = [{"key": "portal_access", "completed": True}]

    missing = await client.patch(_checklist(partner), json={"items": items})
    stale = await _patch(client, partner, items, '"3"')

    assert missing.status_code == 428
    assert stale.status_code == 412
    assert stale.headers["etag"] == '"0"'
    assert await stored_counts(db) == before
    assert (await client.get(_checklist(partner))).json()["version"] == 0


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "items",
    [
        [],
        [{"key": "Portal Access", "completed": True}],
        [{"key": "portal_access", "completed": "yes"}],
        [{"key": "portal_access", "done": True}],
        [{"key": "portal_access", "completed": True}, {"key": "portal_access", "completed": False}],
        [{"key": "portal_access", "remove": True}],
        [{"key": "portal_access", "label": "Portal"}],
        [{"key": "nda_signed", "completed": True}],
        [{"key": "portal_access", "completed": True}, {"key": "unknown_item", "remove": True}],
        [{"key": " portal_access", "completed": True}],  # a key is an identifier, taken as sent
    ],
)
async def test_bad_changes_are_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, items: list[dict[str, Any]]
) -> None:
    partner = await a_partner(client)
    before = await stored_counts(db)

    response = await _patch(client, partner, items, '"0"')

    assert response.status_code == 422, response.text
    assert await stored_counts(db) == before
    checklist = (await client.get(_checklist(partner))).json()
    assert (checklist["version"], checklist["incomplete"]) == (0, STANDARD_CHECKLIST_ITEMS)


@pytest.mark.asyncio
async def test_a_terminated_partners_checklist_cannot_change(client: httpx.AsyncClient) -> None:
    partner = await moved_to(client, await a_partner(client), "terminated")

    response = await _patch(client, partner, [{"key": "portal_access", "completed": True}], '"0"')

    assert response.status_code == 409
    assert response.json()["type"] == "/problems/partner-terminated"


@pytest.mark.asyncio
async def test_a_partner_reads_its_own_checklist_but_does_not_tick_it_off(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner, other = await a_partner(client), await a_partner(client)
    own = signed_as(partner_user(partner))
    before = await stored_counts(db)

    read = await client.get(_checklist(partner), headers=own)
    theirs = await client.get(_checklist(other), headers=own)
    tick = await _patch(client, partner, [{"key": "portal_access", "completed": True}], '"0"', **own)
    reader = await _patch(
        client, partner, [{"key": "portal_access", "completed": True}], '"0"', **signed_as(ANALYST)
    )

    assert read.status_code == 200
    assert theirs.status_code == 403
    assert tick.status_code == reader.status_code == 403
    assert await stored_counts(db) == before


@pytest.mark.asyncio
async def test_an_unknown_partner_has_no_checklist(client: httpx.AsyncClient) -> None:
    unknown = {"id": "00000000-0000-4000-8000-000000000000"}

    assert (await client.get(_checklist(unknown))).status_code == 404
    assert (
        await _patch(client, unknown, [{"key": "portal_access", "completed": True}], '"0"')
    ).status_code == 404
