"""Channel-conflict cases: opening, tagging, the stage workflow with its steps, and who sees what."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from prm_contracts.conflicts import ConflictStage
from prm_contracts.principal import Principal
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    CHANNEL_MANAGER,
    CONFLICT_ANALYST,
    a_case,
    a_deal,
    a_partner,
    a_territory,
    an_active_partner,
    case_body,
    outbox_payloads,
    signed_as,
    stored_counts,
)
from ..fakes import Clock

STAGES = [stage.value for stage in ConflictStage]
RESOLUTION = {"ruling": "The deal stays with the first registrant.", "outcome": "dismissed"}


def party_user(partner: dict[str, Any], *scopes: str) -> Principal:
    return Principal(
        subject=f"key:partner-{partner['id'][:8]}",
        scopes=frozenset(scopes or {"conflicts:write"}),
        partner_id=uuid.UUID(partner["id"]),
    )


async def _step(
    client: httpx.AsyncClient, case: dict[str, Any], body: dict[str, Any], **headers: str
) -> httpx.Response:
    return await client.post(f"/v1/conflict-cases/{case['id']}/steps", json=body, headers=headers)


async def _steps(client: httpx.AsyncClient, case: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/conflict-cases/{case['id']}/steps", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


pytestmark = pytest.mark.asyncio


async def test_a_case_is_opened_with_its_parties_links_and_root_causes(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock
) -> None:
    clock.set(datetime.now(UTC))  # today: the factories' agreement, which an active partner needs, is current
    first, second = await an_active_partner(client), await a_partner(client)
    deal = (await a_deal(client, first))["id"]
    territory = (await a_territory(client, first))["id"]
    clock.set(datetime(2026, 7, 3, 8, 0, tzinfo=UTC))
    body = case_body(
        first,
        "vendor_direct",
        second,
        conflict_type="multichannel",
        description="  The vendor's field rep quoted the hospital directly ",
        deal_registration_ids=[str(deal), str(deal)],
        territory_ids=[str(territory)],
        root_causes=[
            {"cause": "direct_sales_overlap"},
            {"cause": "other", "detail": "rep not aware of the registration"},
        ],
    )

    response = await client.post("/v1/conflict-cases", json=body)

    assert response.status_code == 201, response.text
    case = response.json()
    assert response.headers["location"] == f"/v1/conflict-cases/{case['id']}"
    assert response.headers["etag"] == '"1"'
    assert case["stage"] == "reported"
    assert case["conflict_type"] == "multichannel"
    assert case["parties"] == [first["id"], second["id"], "vendor_direct"]
    assert case["description"] == "The vendor's field rep quoted the hospital directly"
    assert case["deal_registration_ids"] == [str(deal)]
    assert case["territory_ids"] == [str(territory)]
    assert case["root_causes"] == [
        {"cause": "direct_sales_overlap", "detail": None},
        {"cause": "other", "detail": "rep not aware of the registration"},
    ]
    assert case["resolution"] is None
    assert case["reported_by"] == "user:cm-carla"
    assert case["reported_at"] == case["stage_changed_at"] == "2026-07-03T08:00:00Z"
    assert case["closed_at"] is None
    assert (await client.get(f"/v1/conflict-cases/{case['id']}")).json() == case
    [opened] = await _steps(client, case)
    assert (opened["kind"], opened["to_stage"], opened["actor"]) == ("opened", "reported", "user:cm-carla")
    [event] = await outbox_payloads(db, "conflict_case.opened")
    assert event["data"]["case"] == case


@pytest.mark.parametrize(
    ("change", "loc_part"),
    [
        ({"parties": ["{a}"]}, "parties"),
        ({"parties": ["{a}", "{a}"]}, "parties"),
        ({"parties": ["vendor_direct", "vendor_direct"]}, "parties"),
        ({"parties": ["{a}", "{unknown}"]}, "parties"),
        ({"parties": ["{a}", "the vendor"]}, "parties"),
        ({"conflict_type": "diagonal"}, "conflict_type"),
        ({"description": "   "}, "description"),
        ({"root_causes": [{"cause": "other"}]}, "root_causes"),
        ({"root_causes": [{"cause": "pricing"}, {"cause": "pricing"}]}, "root_causes"),
        ({"root_causes": [{"cause": "weather"}]}, "root_causes"),
        ({"deal_registration_ids": ["DR-17"]}, "deal_registration_ids"),
        ({"deal_registration_ids": [str(uuid.uuid4())]}, "deal_registration_ids"),
        ({"territory_ids": [str(uuid.uuid4())]}, "territory_ids"),
        ({"stage": "ruled"}, "stage"),
    ],
)
async def test_invalid_cases_are_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, change: dict[str, Any], loc_part: str
) -> None:
    a, b = await a_partner(client), await a_partner(client)
    if "parties" in change:
        change = {
            "parties": [
                p.format(a=a["id"], unknown=uuid.uuid4()) if "{" in p else p for p in change["parties"]
            ]
        }
    before = await stored_counts(db)

    response = await client.post("/v1/conflict-cases", json={**case_body(a, b), **change})

    assert response.status_code == 422, response.text
    assert any(loc_part in [str(p) for p in e["loc"]] for e in response.json()["errors"]), response.json()
    assert await stored_counts(db) == before


async def test_a_case_moves_forward_skipping_stages_and_each_step_is_recorded(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock
) -> None:
    a, b = await a_partner(client), await a_partner(client)
    case = await a_case(client, a, b)

    clock.advance(days=1)
    review = await _step(client, case, {"to_stage": "mediation", "notes": "Straight to mediation"})
    assert review.status_code == 201, review.text
    step = review.json()
    assert (step["kind"], step["from_stage"], step["to_stage"]) == ("stage_changed", "reported", "mediation")
    assert step["notes"] == "Straight to mediation"
    assert step["actor"] == "user:cm-carla"
    assert step["case_version"] == 2
    assert step["case"]["stage"] == "mediation"
    assert step["case"]["stage_changed_at"] == step["occurred_at"]
    assert review.headers["etag"] == '"2"'

    clock.advance(days=2)
    note = await _step(client, case, {"notes": "Call with both partners on Monday"})
    assert note.status_code == 201
    assert (note.json()["kind"], note.json()["to_stage"]) == ("note", None)
    assert note.json()["case"]["stage"] == "mediation"

    clock.advance(days=3)
    ruled = await _step(
        client,
        case,
        {
            "to_stage": "ruled",
            "notes": "Arbitration not needed",
            "resolution": {"ruling": "Split 50/50", "outcome": "shared", "decided_by": "Channel council"},
        },
    )
    assert ruled.status_code == 201, ruled.text
    resolution = ruled.json()["case"]["resolution"]
    assert resolution == {
        "ruling": "Split 50/50",
        "outcome": "shared",
        "awarded_to": None,
        "decided_by": "Channel council",
        "decided_at": ruled.json()["occurred_at"],
    }
    assert ruled.json()["resolution"] == resolution

    clock.advance(days=1)
    closed = await _step(client, case, {"to_stage": "closed"})
    assert closed.status_code == 201, closed.text
    assert closed.json()["case"]["closed_at"] == closed.json()["occurred_at"]
    assert closed.json()["case"]["resolution"] == resolution

    steps = await _steps(client, case)
    assert [(s["kind"], s["from_stage"], s["to_stage"]) for s in steps] == [
        ("opened", None, "reported"),
        ("stage_changed", "reported", "mediation"),
        ("note", None, None),
        ("stage_changed", "mediation", "ruled"),
        ("stage_changed", "ruled", "closed"),
    ]
    events = await outbox_payloads(db, "conflict_case.stage_changed")
    assert [(e["data"]["from_stage"], e["data"]["to_stage"]) for e in events] == [
        ("reported", "mediation"),
        ("mediation", "ruled"),
        ("ruled", "closed"),
    ]


async def test_a_move_back_or_to_the_same_stage_is_409_naming_the_allowed_ones(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    case = await a_case(client, await a_partner(client), await a_partner(client))
    await _step(client, case, {"to_stage": "arbitration"})
    before = await stored_counts(db)

    back = await _step(client, case, {"to_stage": "under_review", "notes": "Oops"})
    same = await _step(client, case, {"to_stage": "arbitration"})

    for response in (back, same):
        assert response.status_code == 409
        problem = response.json()
        assert problem["type"] == "/problems/invalid-stage-move"
        assert problem["current_stage"] == "arbitration"
        assert problem["allowed"] == ["ruled", "closed"]
    assert await stored_counts(db) == before


async def test_closing_an_unruled_case_records_its_resolution_and_closed_is_final(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    a, b = await a_partner(client), await a_partner(client)
    case = await a_case(client, a, b)

    without = await _step(client, case, {"to_stage": "closed"})
    assert without.status_code == 422
    assert without.json()["errors"][0]["loc"] == ["body", "resolution"]

    closed = await _step(
        client,
        case,
        {
            "to_stage": "closed",
            "resolution": {"ruling": "Partner A keeps it", "outcome": "awarded", "awarded_to": a["id"]},
        },
    )
    assert closed.status_code == 201, closed.text
    assert closed.json()["case"]["resolution"]["awarded_to"] == a["id"]
    assert closed.json()["case"]["resolution"]["decided_by"] == "user:cm-carla"
    before = await stored_counts(db)

    moved = await _step(client, case, {"to_stage": "ruled", "resolution": RESOLUTION})
    noted = await _step(client, case, {"notes": "One more thing"})
    patched = await client.patch(
        f"/v1/conflict-cases/{case['id']}", json={"description": "changed"}, headers={"If-Match": '"2"'}
    )

    assert moved.status_code == 409
    assert moved.json()["allowed"] == []
    assert noted.status_code == patched.status_code == 409
    assert noted.json()["type"] == "/problems/conflict-case-closed"
    assert await stored_counts(db) == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"to_stage": "ruled"},
        {"to_stage": "mediation", "resolution": RESOLUTION},
        {"notes": "a note", "resolution": RESOLUTION},
        {"to_stage": "ruled", "resolution": {"ruling": "r", "outcome": "awarded"}},
        {
            "to_stage": "ruled",
            "resolution": {"ruling": "r", "outcome": "dismissed", "awarded_to": "vendor_direct"},
        },
        {
            "to_stage": "ruled",
            "resolution": {"ruling": "r", "outcome": "awarded", "awarded_to": str(uuid.uuid4())},
        },
        {
            "to_stage": "ruled",
            "resolution": {"ruling": "r", "outcome": "awarded", "awarded_to": "vendor_direct"},
        },
        {"to_stage": "ruled", "resolution": {"ruling": " ", "outcome": "settled"}},
        {"to_stage": "dormant"},
        {"to_stage": "mediation", "by": "me"},
    ],
)
async def test_malformed_steps_are_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, body: dict[str, Any]
) -> None:
    case = await a_case(client, await a_partner(client), await a_partner(client))
    before = await stored_counts(db)

    response = await _step(client, case, body)

    assert response.status_code == 422, response.text
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/conflict-cases/{case['id']}")).json() == case


async def test_vendor_direct_can_be_awarded_a_case_it_is_party_to(client: httpx.AsyncClient) -> None:
    case = await a_case(client, await a_partner(client), "vendor_direct", conflict_type="multichannel")

    response = await _step(
        client,
        case,
        {
            "to_stage": "ruled",
            "resolution": {"ruling": "Direct account", "outcome": "awarded", "awarded_to": "vendor_direct"},
        },
    )

    assert response.status_code == 201, response.text
    assert response.json()["case"]["resolution"]["awarded_to"] == "vendor_direct"


async def test_root_causes_and_links_are_updated_with_if_match(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    first = await a_partner(client)
    case = await a_case(client, first, await a_partner(client), root_causes=[{"cause": "pricing"}])
    path = f"/v1/conflict-cases/{case['id']}"
    territory = (await a_territory(client, first))["id"]
    patch = {
        "root_causes": [{"cause": "territory_overlap"}, {"cause": "pricing", "detail": "30 % below list"}],
        "territory_ids": [territory],
    }

    missing = await client.patch(path, json=patch)
    stale = await client.patch(path, json=patch, headers={"If-Match": '"5"'})
    assert (missing.status_code, stale.status_code) == (428, 412)

    response = await client.patch(path, json=patch, headers={"If-Match": '"1"'})

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'
    updated = response.json()
    assert updated["root_causes"] == [
        {"cause": "territory_overlap", "detail": None},
        {"cause": "pricing", "detail": "30 % below list"},
    ]
    assert updated["territory_ids"] == [territory]
    assert updated["description"] == case["description"]
    [event] = await outbox_payloads(db, "conflict_case.updated")
    assert sorted(event["data"]["changed_fields"]) == ["root_causes", "territory_ids"]

    again = await client.patch(path, json=patch, headers={"If-Match": '"2"'})
    assert again.headers["etag"] == '"2"'


@pytest.mark.parametrize(
    "patch",
    [{"root_causes": None}, {"description": ""}, {"stage": "closed"}, {"root_causes": [{"cause": "other"}]}],
)
async def test_malformed_patches_are_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, patch: dict[str, Any]
) -> None:
    case = await a_case(client, await a_partner(client), await a_partner(client))
    before = await stored_counts(db)

    response = await client.patch(f"/v1/conflict-cases/{case['id']}", json=patch, headers={"If-Match": '"1"'})

    assert response.status_code == 422
    assert await stored_counts(db) == before


async def test_cases_are_listed_newest_first_in_pages_and_filtered(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    a, b, c = await a_partner(client), await a_partner(client), await a_partner(client)
    first = await a_case(client, a, b, conflict_type="vertical")
    clock.advance(hours=1)
    second = await a_case(client, b, c)
    clock.advance(hours=1)
    third = await a_case(client, a, c)
    await _step(client, third, {"to_stage": "under_review"})

    page_one = (await client.get("/v1/conflict-cases", params={"limit": 2})).json()
    page_two = (
        await client.get("/v1/conflict-cases", params={"limit": 2, "cursor": page_one["next_cursor"]})
    ).json()

    assert [x["id"] for x in page_one["items"] + page_two["items"]] == [
        third["id"],
        second["id"],
        first["id"],
    ]
    assert page_two["next_cursor"] is None

    async def ids(**params: Any) -> list[str]:
        return [x["id"] for x in (await client.get("/v1/conflict-cases", params=params)).json()["items"]]

    assert await ids(party=a["id"]) == [third["id"], first["id"]]
    assert await ids(stage="under_review") == [third["id"]]
    assert await ids(conflict_type="vertical") == [first["id"]]
    assert await ids(stage=["reported", "under_review"], conflict_type="horizontal") == [
        third["id"],
        second["id"],
    ]


async def test_a_partner_sees_and_annotates_only_its_own_cases(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    a, b, c = await a_partner(client), await a_partner(client), await a_partner(client)
    case = await a_case(client, a, b)
    own, outsider = signed_as(party_user(a)), signed_as(party_user(c))

    assert (await client.get(f"/v1/conflict-cases/{case['id']}", headers=own)).status_code == 200
    assert [x["id"] for x in (await client.get("/v1/conflict-cases", headers=own)).json()["items"]] == [
        case["id"]
    ]
    assert (await client.get(f"/v1/conflict-cases/{case['id']}", headers=outsider)).status_code == 404
    assert (await client.get("/v1/conflict-cases", headers=outsider)).json()["items"] == []
    assert (await client.get(f"/v1/conflict-cases/{case['id']}/steps", headers=outsider)).status_code == 404

    note = await _step(client, case, {"notes": "We registered the deal first"}, **own)
    assert note.status_code == 201, note.text
    assert note.json()["actor"] == f"key:partner-{a['id'][:8]}"
    before = await stored_counts(db)

    move = await _step(client, case, {"to_stage": "under_review"}, **own)
    foreign_note = await _step(client, case, {"notes": "Me too"}, **outsider)
    patch = await client.patch(
        f"/v1/conflict-cases/{case['id']}", json={"description": "x"}, headers={"If-Match": '"2"', **own}
    )

    assert move.status_code == patch.status_code == 403
    assert foreign_note.status_code == 404
    assert await stored_counts(db) == before


async def test_a_partner_opens_a_case_only_as_a_party(client: httpx.AsyncClient, db: AsyncSession) -> None:
    a, b, c = await a_partner(client), await a_partner(client), await a_partner(client)
    await a_case(client, a, b)  # a sees b on that case, so it may name b (test_body_id_authorization)

    own = await client.post("/v1/conflict-cases", json=case_body(a, b), headers=signed_as(party_user(a)))
    assert own.status_code == 201, own.text
    before = await stored_counts(db)

    foreign = await client.post("/v1/conflict-cases", json=case_body(b, c), headers=signed_as(party_user(a)))

    assert foreign.status_code == 403
    assert await stored_counts(db) == before


async def test_conflict_scopes_are_needed(client: httpx.AsyncClient, db: AsyncSession) -> None:
    a, b = await a_partner(client), await a_partner(client)
    case = await a_case(client, a, b)
    before = await stored_counts(db)

    partners_only = await client.post(
        "/v1/conflict-cases", json=case_body(a, b), headers=signed_as(CHANNEL_MANAGER)
    )
    reader_write = await _step(client, case, {"notes": "x"}, **signed_as(CONFLICT_ANALYST))
    reader_read = await client.get(f"/v1/conflict-cases/{case['id']}", headers=signed_as(CONFLICT_ANALYST))

    assert partners_only.status_code == reader_write.status_code == 403
    assert reader_read.status_code == 200
    assert await stored_counts(db) == before


async def test_a_retried_opening_gets_the_first_answer(client: httpx.AsyncClient, db: AsyncSession) -> None:
    a, b = await a_partner(client), await a_partner(client)
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = await client.post("/v1/conflict-cases", json=case_body(a, b), headers=key)
    counts = await stored_counts(db)
    retried = await client.post("/v1/conflict-cases", json=case_body(a, b), headers=key)

    assert first.status_code == retried.status_code == 201
    assert retried.json() == first.json()
    assert await stored_counts(db) == counts


async def test_steps_are_paged_in_the_order_they_were_taken(client: httpx.AsyncClient, clock: Clock) -> None:
    case = await a_case(client, await a_partner(client), await a_partner(client))
    for n in range(3):
        clock.advance(minutes=1)
        await _step(client, case, {"notes": f"note {n}"})

    first = (await client.get(f"/v1/conflict-cases/{case['id']}/steps", params={"limit": 2})).json()
    rest = (
        await client.get(
            f"/v1/conflict-cases/{case['id']}/steps", params={"limit": 2, "cursor": first["next_cursor"]}
        )
    ).json()

    assert [s["notes"] for s in first["items"] + rest["items"]] == [None, "note 0", "note 1", "note 2"]
    assert rest["next_cursor"] is None


async def test_an_unknown_case_is_404(client: httpx.AsyncClient) -> None:
    unknown = uuid.uuid4()

    assert (await client.get(f"/v1/conflict-cases/{unknown}")).status_code == 404
    assert (await client.post(f"/v1/conflict-cases/{unknown}/steps", json={"notes": "x"})).status_code == 404
    assert (await client.get(f"/v1/conflict-cases/{unknown}/steps")).status_code == 404
