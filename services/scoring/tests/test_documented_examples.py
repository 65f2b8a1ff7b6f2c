"""The request examples the OpenAPI document shows are what an integrator sends first: each one is accepted as
it stands. They are read from the merged document as published (where a schema without an example of its own
gets one composed from its fields' examples: that is how a linear normaliser once got floor = ceiling and a
revenue goal a bare number)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import httpx
import pytest

from .fakes import FakeRegistry, partner_record

pytestmark = pytest.mark.asyncio


def documented_examples(document: dict[str, Any]) -> dict[str, Any]:
    """Each component schema's first example."""
    return {
        name: schema["examples"][0]
        for name, schema in document["components"]["schemas"].items()
        if schema.get("examples")
    }


async def test_each_documented_request_example_is_accepted_as_it_stands(
    merged_openapi: Callable[[], dict[str, Any]], client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    examples = documented_examples(merged_openapi())
    plan = examples["ImprovementPlanIn"]
    registry.partners[plan["partner_id"]] = partner_record(UUID(plan["partner_id"]))

    model = await client.post("/v1/evaluation-models", json=examples["EvaluationModelIn"])
    assert model.status_code == 201, model.text
    versions = f"/v1/evaluation-models/{model.json()['model_id']}/versions"
    version = await client.post(versions, json=examples["NewModelVersionIn"])
    assert version.status_code == 201, version.text
    edited = await client.patch(
        f"{versions}/{version.json()['number']}",
        json=examples["ModelVersionPatch"],
        headers={"If-Match": '"1"'},
    )
    assert edited.status_code == 200, edited.text

    created = await client.post("/v1/improvement-plans", json=plan)
    assert created.status_code == 201, created.text
    closed = await client.post(
        f"/v1/improvement-plans/{created.json()['id']}/closure",
        json=examples["PlanClosureIn"],
        headers={"If-Match": created.headers["ETag"]},
    )
    assert closed.status_code == 200, closed.text
