"""A literal path beside an `{id}` path answers 405 for a method it lacks, never a 422 about the id: the id
placeholders beside literal siblings only match UUIDs (found by schemathesis' "all checks" run, fuzz/)."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/v1/deal-registrations/expiry-sweeps", {"POST"}),
        ("PATCH", "/v1/deal-registrations/expiry-sweeps", {"POST"}),
        ("PATCH", "/v1/conflict-cases/statistics", {"GET", "HEAD"}),
    ],
)
async def test_a_missing_method_on_a_literal_path_is_a_405_naming_the_allowed_ones(
    client: httpx.AsyncClient, method: str, path: str, allowed: set[str]
) -> None:
    answer = await client.request(method, path, json={})

    assert answer.status_code == 405, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert {m.strip() for m in answer.headers["allow"].split(",")} >= allowed - {"HEAD"}


@pytest.mark.asyncio
async def test_an_id_that_is_not_a_uuid_is_a_404_problem(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/conflict-cases/not-a-case")

    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
