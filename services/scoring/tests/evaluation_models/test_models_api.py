"""Evaluation models over HTTP: drafts, publishing, immutability of published versions, copies, and every
refused definition (a problem, nothing stored)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prm_kit.clock import utc_now
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    DEFAULT_MODEL_ID,
    a_model,
    assessment_body,
    criterion,
    is_problem,
    linear,
    model_body,
    stored_counts,
)
from ..fakes import FakeRegistry

pytestmark = pytest.mark.asyncio


async def test_the_default_model_is_seeded_published_over_the_six_dimensions(
    client: httpx.AsyncClient,
) -> None:
    model = (await client.get(f"/v1/evaluation-models/{DEFAULT_MODEL_ID}")).json()
    version = (await client.get(f"/v1/evaluation-models/{DEFAULT_MODEL_ID}/versions/1")).json()

    assert (model["name"], model["current_version"]) == ("partner-evaluation", 1)
    assert version["status"] == "published"
    assert {c["dimension"] for c in version["criteria"]} == {
        "strategic_fit",
        "financial_stability",
        "sales_capability",
        "marketing_capability",
        "technical_capability",
        "customer_service",
    }
    assert [g["key"] for g in version["gates"]] == [
        "min_years_in_business",
        "min_employees",
        "no_open_compliance_violation",
    ]


async def test_a_model_starts_as_a_draft_and_publishing_makes_it_current(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/evaluation-models", json=model_body("growth-model"))

    assert response.status_code == 201, response.text
    draft = response.json()
    assert (draft["number"], draft["status"], draft["model_name"]) == (1, "draft", "growth-model")
    assert response.headers["location"] == f"/v1/evaluation-models/{draft['model_id']}/versions/1"
    assert response.headers["etag"] == '"1"'
    assert (await client.get(f"/v1/evaluation-models/{draft['model_id']}")).json()["current_version"] is None

    published = await client.post(f"/v1/evaluation-models/{draft['model_id']}/versions/1/publish")

    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert published.json()["published_by"] == "key:test-admin"
    model = (await client.get(f"/v1/evaluation-models/{draft['model_id']}")).json()
    assert (model["current_version"], model["latest_version"]) == (1, 1)


async def test_a_draft_is_edited_with_if_match(client: httpx.AsyncClient) -> None:
    draft = await a_model(client, publish=False)
    path = f"/v1/evaluation-models/{draft['model_id']}/versions/1"
    change = {"criteria": [linear("win_rate", "1")], "notes": "win rate only"}

    without = await client.patch(path, json=change)
    edited = await client.patch(path, json=change, headers={"If-Match": '"1"'})
    stale = await client.patch(path, json=change, headers={"If-Match": '"1"'})

    assert is_problem(without, 428, "precondition-required")
    assert edited.status_code == 200, edited.text
    assert [c["key"] for c in edited.json()["criteria"]] == ["win_rate"]
    assert edited.headers["etag"] == '"2"'
    assert is_problem(stale, 412, "precondition-failed")


async def test_a_published_version_is_immutable(client: httpx.AsyncClient, db: AsyncSession) -> None:
    version = await a_model(client)
    path = f"/v1/evaluation-models/{version['model_id']}/versions/1"
    before = await stored_counts(db)

    edit = await client.patch(
        path, json={"notes": "changed"}, headers={"If-Match": f'"{version["version"]}"'}
    )
    again = await client.post(f"{path}/publish")

    assert is_problem(edit, 409, "model-version-published")
    assert "copy_from 1" in edit.json()["detail"]
    assert is_problem(again, 409, "model-version-published")
    assert (await client.get(path)).json() == version
    assert await stored_counts(db) == before


async def test_a_change_is_a_new_draft_copied_from_a_version(client: httpx.AsyncClient) -> None:
    first = await a_model(client)
    versions = f"/v1/evaluation-models/{first['model_id']}/versions"

    response = await client.post(
        versions, json={"copy_from": 1, "gates": [{"type": "employees", "key": "staff", "min_employees": 5}]}
    )

    assert response.status_code == 201, response.text
    second = response.json()
    assert (second["number"], second["status"], second["copied_from"]) == (2, "draft", 1)
    assert second["criteria"] == first["criteria"]
    assert second["gates"] == [{"type": "employees", "key": "staff", "min_employees": 5}]
    listed = (await client.get(versions)).json()["items"]
    assert [v["number"] for v in listed] == [2, 1]
    # the current version stays the latest published one until the draft is published
    assert (await client.get(f"/v1/evaluation-models/{first['model_id']}")).json()["current_version"] == 1


async def test_publishing_an_older_draft_after_a_newer_version_makes_it_current(
    app: FastAPI, client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    # version 1: a and b weighted 1 and 1; version 2, its copy: weighted 1 and 3
    first = await a_model(client, publish=False, criteria=[linear("a"), linear("b")])
    model_path = f"/v1/evaluation-models/{first['model_id']}"
    copied = await client.post(
        f"{model_path}/versions", json={"copy_from": 1, "criteria": [linear("a"), linear("b", "3")]}
    )
    assert copied.status_code == 201, copied.text
    app.dependency_overrides[utc_now] = lambda: datetime(2026, 11, 2, 9, tzinfo=UTC)
    assert (await client.post(f"{model_path}/versions/2/publish")).status_code == 200
    app.dependency_overrides[utc_now] = lambda: datetime(2026, 11, 3, 9, tzinfo=UTC)

    response = await client.post(f"{model_path}/versions/1/publish")

    assert response.status_code == 200, response.text
    model = (await client.get(model_path)).json()
    assert (model["current_version"], model["latest_version"]) == (1, 2)
    listed = (await client.get("/v1/evaluation-models", params={"limit": 100})).json()["items"]
    assert [m["current_version"] for m in listed if m["id"] == first["model_id"]] == [1]
    assessment = await client.post(
        "/v1/assessments",
        json=assessment_body(registry.add_partner(), first["model_name"], {"a": "100", "b": "0"}),
    )
    # under version 1: 100 · 1/2 + 0 = 50.00 (version 2 would give 100 · 1/4 = 25.00)
    assert assessment.status_code == 201, assessment.text
    assert (assessment.json()["model_version"], assessment.json()["total"]) == (1, "50.00")


async def test_a_copy_of_a_version_past_any_number_is_refused_not_an_overflow(
    client: httpx.AsyncClient,
) -> None:
    first = await a_model(client)
    versions = f"/v1/evaluation-models/{first['model_id']}/versions"

    huge = await client.post(versions, json={"copy_from": 2**70})
    unknown = await client.post(versions, json={"copy_from": 1_000_000})

    assert huge.status_code == 422
    assert huge.json()["errors"][0]["loc"] == ["body", "copy_from"]
    assert unknown.status_code == 404, unknown.text


async def test_a_taken_name_is_a_conflict(client: httpx.AsyncClient) -> None:
    await a_model(client, name="taken-name")

    response = await client.post("/v1/evaluation-models", json=model_body("taken-name"))

    assert is_problem(response, 409, "evaluation-model-name-taken")


BANDS_OVERLAPPING = {
    "kind": "banded",
    "bands": [{"min": "0", "max": "10", "points": "10"}, {"min": "5", "max": "20", "points": "50"}],
}
BANDS_UNORDERED = {
    "kind": "banded",
    "bands": [{"min": "10", "max": "20", "points": "50"}, {"min": "0", "max": "10", "points": "10"}],
}
REFUSED: dict[str, tuple[list[dict[str, Any]], str]] = {
    "a zero weight": ([linear("a", "0"), linear("b", "0")], "weight_not_positive"),
    "a negative weight": ([linear("a", "-2")], "weight_not_positive"),
    "floor at the ceiling": ([linear("a", floor="10", ceiling="10")], "floor_not_below_ceiling"),
    "floor above the ceiling": ([linear("a", floor="50", ceiling="10")], "floor_not_below_ceiling"),
    "overlapping bands": ([criterion("a", BANDS_OVERLAPPING)], "bands_overlap"),
    "unordered bands": ([criterion("a", BANDS_UNORDERED)], "bands_overlap"),
    "duplicate keys": ([linear("a"), linear("a")], "duplicate_key"),
    "a float weight": ([{**linear("a"), "weight": 1.5}], "value_error"),
    "a float floor": ([linear("a", floor=0.5)], "value_error"),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_a_bad_definition_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, case: str
) -> None:
    criteria, error_type = REFUSED[case]
    before = await stored_counts(db)

    response = await client.post("/v1/evaluation-models", json=model_body(criteria=criteria))

    assert is_problem(response, 422, "validation-error"), response.text
    assert error_type in {e["type"] for e in response.json()["errors"]}, response.json()["errors"]
    assert await stored_counts(db) == before


@pytest.mark.parametrize(
    ("operator", "value"),
    [("equals", '"\\ud800"'), ("in", '["yes", "\\udbff"]'), ("at_least", '"\\udc00"')],
)
async def test_a_questionnaire_gate_value_with_a_lone_surrogate_is_refused_naming_it(
    client: httpx.AsyncClient, db: AsyncSession, operator: str, value: str
) -> None:
    gate = {"type": "questionnaire", "key": "q", "question": "x", "operator": operator, "value": "VALUE"}
    body = json.dumps(model_body(gates=[gate])).replace('"VALUE"', value)  # JSON escapes as sent
    before = await stored_counts(db)

    response = await client.post(
        "/v1/evaluation-models", content=body, headers={"content-type": "application/json"}
    )

    assert is_problem(response, 422, "validation-error"), response.text
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "version", "gates", 0, "questionnaire", "value"]
    assert error["type"] == "lone_surrogate"
    assert await stored_counts(db) == before


async def test_a_bad_draft_edit_is_refused_and_changes_nothing(client: httpx.AsyncClient) -> None:
    draft = await a_model(client, publish=False)
    path = f"/v1/evaluation-models/{draft['model_id']}/versions/1"

    response = await client.patch(path, json={"criteria": [linear("a", "0")]}, headers={"If-Match": '"1"'})

    assert is_problem(response, 422, "validation-error")
    assert (await client.get(path)).json() == draft


async def test_grade_bands_must_descend_to_zero(client: httpx.AsyncClient) -> None:
    bands = [{"grade": "A", "min_score": "80"}, {"grade": "B", "min_score": "20"}]

    response = await client.post("/v1/evaluation-models", json=model_body(grade_bands=bands))

    assert is_problem(response, 422, "validation-error")
    assert response.json()["errors"][0]["type"] == "grade_bands_floor"


async def test_unknown_model_and_version_are_not_found(client: httpx.AsyncClient) -> None:
    version = await a_model(client)

    missing_model = await client.get("/v1/evaluation-models/00000000-0000-0000-0000-000000000000")
    missing_version = await client.get(f"/v1/evaluation-models/{version['model_id']}/versions/7")

    assert is_problem(missing_model, 404, "not-found")
    assert is_problem(missing_version, 404, "not-found")


async def test_models_are_listed_by_name_in_pages(client: httpx.AsyncClient) -> None:
    for name in ("zz-list-c", "zz-list-a", "zz-list-b"):
        await a_model(client, name=name)

    first = (await client.get("/v1/evaluation-models", params={"limit": 2})).json()
    names = [m["name"] for m in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = (await client.get("/v1/evaluation-models", params={"limit": 2, "cursor": cursor})).json()
        names += [m["name"] for m in page["items"]]
        cursor = page["next_cursor"]

    assert names == sorted(names)
    assert [n for n in names if n.startswith("zz-list")] == ["zz-list-a", "zz-list-b", "zz-list-c"]
    assert "partner-evaluation" in names
