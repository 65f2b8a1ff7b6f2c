"""A literal path beside an `{id}` path answers 405 for a method it lacks, never a 422 about the id: the id
placeholder beside literal siblings only matches UUIDs (found by schemathesis' "all checks" run, fuzz/)."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/tier-recommendations/runs"),
        ("OPTIONS", "/v1/tier-recommendations/runs"),
        ("GET", "/v1/tier-recommendations/applications"),
    ],
)
async def test_a_missing_method_on_a_literal_path_is_a_405_naming_post_only(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    answer = await client.request(method, path)

    assert answer.status_code == 405, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["allow"] == "POST"


@pytest.mark.asyncio
async def test_a_recommendation_id_that_is_not_a_uuid_is_a_404_problem(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/tier-recommendations/not-a-recommendation")

    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
