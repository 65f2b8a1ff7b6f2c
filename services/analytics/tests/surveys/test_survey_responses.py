"""Survey responses: batches of up to 1,000, de-duplicated per (partner, survey, respondent), never
overwritten."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from analytics.surveys.models import SurveyResponse
from sqlalchemy.ext.asyncio import AsyncSession

from ..partners.callers import ANALYST, partner_key, problem_type, signed_as, stored_counts
from ..sales.fakes import FakeRegistry

pytestmark = pytest.mark.asyncio


@pytest.fixture(autouse=True)
def _partner_known(registry: FakeRegistry) -> FakeRegistry:
    """PARTNER, whose answers every test sends, is one the registry knows (a batch naming an unknown one is
    refused: see the test of that below)."""
    registry.partners[PARTNER] = []
    return registry


PARTNER = uuid.UUID("5d0f1a1e-0000-4000-8000-000000000001")


def answer(
    respondent: str = "r-1", nps: int | None = 9, csat: int | None = 4, **fields: Any
) -> dict[str, Any]:
    body = {
        "partner_id": str(PARTNER),
        "survey_id": "nps-2026-q3",
        "respondent_id": respondent,
        "nps": nps,
        "csat": csat,
        "responded_on": "2026-07-15",
    }
    return body | fields


async def submit(client: httpx.AsyncClient, *responses: dict[str, Any], **headers: str) -> httpx.Response:
    return await client.post("/v1/surveys/responses", json={"responses": list(responses)}, headers=headers)


async def test_a_batch_is_stored_and_a_retry_reports_duplicates(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    first = await submit(client, answer("r-1"), answer("r-2", nps=None), answer("r-3", csat=None))
    retry = await submit(client, answer("r-1"), answer("r-2", nps=None), answer("r-4", nps=0, csat=1))

    assert first.status_code == 200, first.text
    assert (first.json()["accepted"], first.json()["duplicates"]) == (3, 0)
    assert (retry.json()["accepted"], retry.json()["duplicates"]) == (1, 2)
    assert [item["outcome"] for item in retry.json()["items"]] == ["duplicate", "duplicate", "accepted"]
    assert retry.json()["items"][0]["id"] == first.json()["items"][0]["id"]
    assert await db.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 4


async def test_the_same_response_twice_in_a_batch_is_stored_once(client: httpx.AsyncClient) -> None:
    response = await submit(client, answer("r-1"), answer("r-1"))

    assert [item["outcome"] for item in response.json()["items"]] == ["accepted", "duplicate"]
    assert response.json()["items"][0]["id"] == response.json()["items"][1]["id"]


async def test_a_different_response_of_a_stored_respondent_is_409_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await submit(client, answer("r-1"))
    before = await stored_counts(db)

    response = await submit(client, answer("r-9"), answer("r-1", nps=3))

    assert response.status_code == 409
    assert problem_type(response) == "survey-response-conflict"
    assert response.json()["errors"][0]["loc"] == ["body", "responses", 1]
    assert await stored_counts(db) == before


async def test_the_same_respondent_and_survey_for_another_partner_is_another_response(
    client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    other = registry.partner_without_secrets()
    response = await submit(client, answer("r-1"), answer("r-1", partner_id=str(other)))

    assert response.json()["accepted"] == 2


@pytest.mark.parametrize(
    ("responses", "loc"),
    [
        ([answer("r-1"), answer("r-1", csat=2)], ["body", "responses", 1]),
        ([answer(nps=11)], ["body", "responses", 0, "nps"]),
        ([answer(csat=0)], ["body", "responses", 0, "csat"]),
        # a JSON boolean is no score (lax validation would have stored false as an NPS of 0)
        ([answer(nps=False)], ["body", "responses", 0, "nps"]),
        ([answer(csat=True)], ["body", "responses", 0, "csat"]),
        ([answer(nps=None, csat=None)], ["body", "responses", 0]),
        ([answer(responded_on="2999-01-01")], ["body", "responses", 0, "responded_on"]),
        ([answer(respondent="  ")], ["body", "responses", 0, "respondent_id"]),
        ([], ["body", "responses"]),
        ([answer(f"r-{i}") for i in range(1001)], ["body", "responses"]),
    ],
)
async def test_a_bad_batch_is_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, responses: list[dict[str, Any]], loc: list[Any]
) -> None:
    before = await stored_counts(db)

    response = await submit(client, *responses)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == loc
    assert await stored_counts(db) == before


async def test_a_full_batch_of_1000_is_accepted(client: httpx.AsyncClient) -> None:
    response = await submit(client, *[answer(f"r-{i}") for i in range(1000)])

    assert response.json()["accepted"] == 1000


async def test_list_get_and_partner_visibility(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    other = registry.partner_without_secrets()
    stored = await submit(
        client, answer("r-1"), answer("r-2", partner_id=str(other), responded_on="2026-07-01")
    )
    mine, theirs = (item["id"] for item in stored.json()["items"])
    key = signed_as(partner_key(PARTNER))
    before = await stored_counts(db)

    listed = await client.get("/v1/surveys/responses", params={"from": "2026-07-01", "to": "2026-07-31"})
    own_list = await client.get("/v1/surveys/responses", headers=key)
    own = await client.get(f"/v1/surveys/responses/{mine}", headers=key)
    others = await client.get(f"/v1/surveys/responses/{theirs}", headers=key)
    others_list = await client.get("/v1/surveys/responses", params={"partner_id": str(other)}, headers=key)
    written = await submit(client, answer("r-3"), **key)
    by_analyst = await submit(client, answer("r-3"), **signed_as(ANALYST))

    assert [item["respondent_id"] for item in listed.json()["items"]] == ["r-2", "r-1"]
    assert [item["id"] for item in own_list.json()["items"]] == [mine]
    assert (own.status_code, others.status_code, others_list.status_code) == (200, 404, 404)
    assert (written.status_code, by_analyst.status_code) == (403, 403)
    assert await stored_counts(db) == before


async def test_a_batch_naming_a_partner_the_registry_does_not_know_is_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    unknown = uuid.uuid4()  # never given to the registry
    before = await stored_counts(db)

    response = await submit(client, answer("r-1"), answer("r-2", partner_id=str(unknown)), answer("r-3"))

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {
            "loc": ["body", "responses", 1, "partner_id"],
            "msg": f"no partner {unknown}",
            "type": "partner_unknown",
        }
    ]
    assert await stored_counts(db) == before


async def test_a_batch_when_the_registry_cannot_answer_is_503_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    registry.mode = "unreachable"
    before = await stored_counts(db)

    response = await submit(client, answer("r-1"))

    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert await stored_counts(db) == before
