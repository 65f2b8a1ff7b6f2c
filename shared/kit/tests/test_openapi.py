"""Each service's OpenAPI document is shaped as the public contract: operation ids, problems, money strings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from prm_contracts.money import Money
from prm_contracts.problem import PROBLEM_MEDIA_TYPE
from prm_kit.errors import problems
from prm_kit.openapi import EXAMPLE_INSTANCE, resolve, share_problem_responses
from prm_kit.testing import rolled_back_app
from pydantic import BaseModel

AppFactory = Callable[..., FastAPI]
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}

router = APIRouter(prefix="/v1/invoices", tags=["invoices"])


class InvoiceOut(BaseModel):
    total: Money


@router.get("/{invoice_id}", response_model=InvoiceOut, summary="Read an invoice", responses=problems(404))
async def read_invoice(invoice_id: int) -> InvoiceOut:
    return InvoiceOut(total=Money(amount="1.00", currency="EUR"))


@pytest.mark.asyncio
async def test_the_document_names_operations_and_documents_problems(
    kit_app: AppFactory, kit_database_url: str
) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        response = await client.get("/openapi.json")

    assert response.status_code == 200
    document = response.json()
    operation = document["paths"]["/v1/invoices/{invoice_id}"]["get"]
    assert operation["operationId"] == "read_invoice"
    for status in ("401", "403", "404", "422", "429", "500"):
        content = operation["responses"][status]["content"]
        assert list(content) == list(PROBLEM), status
        assert content[PROBLEM_MEDIA_TYPE]["schema"] == PROBLEM[PROBLEM_MEDIA_TYPE]["schema"], status
        assert content[PROBLEM_MEDIA_TYPE]["example"]["status"] == int(status), status
    assert operation["responses"]["404"]["description"].startswith(
        "Not found\n\nProblem types: [`not-found`]"
    )
    assert operation["responses"]["404"]["x-problem-types"] == [
        document["x-problem-types"]["not-found"]["type"]
    ]
    assert operation["responses"]["200"]["headers"]["X-Request-ID"] == {
        "$ref": "#/components/headers/X-Request-ID"
    }
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert document["components"]["schemas"]["Problem"]["properties"]["errors"]
    assert document["security"] == [{"bearerAuth": []}]
    assert "/healthz" not in document["paths"]
    assert "/metrics" not in document["paths"]


@pytest.mark.asyncio
async def test_money_is_documented_as_a_string(kit_app: AppFactory, kit_database_url: str) -> None:
    async with rolled_back_app(kit_app(router), kit_database_url) as (client, _):
        document = (await client.get("/openapi.json")).json()

    amount = document["components"]["schemas"]["Money"]["properties"]["amount"]
    assert amount["type"] == "string"


def test_two_operations_with_one_name_are_refused_at_startup(kit_app: AppFactory) -> None:
    first, second = APIRouter(), APIRouter()

    @first.get("/v1/a")
    async def list_things() -> None: ...

    @second.get("/v1/b")
    async def list_things() -> None: ...  # noqa: F811 - the duplicate is the point

    with pytest.raises(RuntimeError, match="duplicate operationId 'list_things'"):
        kit_app(first, second)


def _problem_answer(description: str, instance: str) -> dict[str, Any]:
    example = {"type": "/problems/not-found", "title": "Not found", "status": 404, "instance": instance}
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"example": example}}}


def test_identical_problem_answers_are_written_once_and_referred_to() -> None:
    def operation(operation_id: str, description: str, path: str) -> dict[str, Any]:
        ok = {"description": "ok"}
        return {
            "operationId": operation_id,
            "responses": {"200": ok, "404": _problem_answer(description, path)},
        }

    document: dict[str, Any] = {
        "paths": {
            "/v1/a/{id}": {"get": operation("get_a", "Not found", "/v1/a/1")},
            "/v1/b/{id}": {"get": operation("get_b", "Not found", "/v1/b/2")},
            "/v1/c/{id}": {"get": operation("get_c", "No such c", "/v1/c/3")},
        }
    }
    share_problem_responses(document, {"get_a": "Registry", "get_b": "Scoring", "get_c": "Scoring"})

    refs = {path: item["get"]["responses"]["404"] for path, item in document["paths"].items()}
    # a and b differ only in their instance path: one answer, the most used, named by its status.
    assert refs == {
        "/v1/a/{id}": {"$ref": "#/components/responses/NotFound"},
        "/v1/b/{id}": {"$ref": "#/components/responses/NotFound"},
        "/v1/c/{id}": {"$ref": "#/components/responses/ScoringNotFound"},
    }
    shared = document["components"]["responses"]
    assert sorted(shared) == ["NotFound", "ScoringNotFound"]
    assert shared["NotFound"]["content"][PROBLEM_MEDIA_TYPE]["example"]["instance"] == EXAMPLE_INSTANCE
    assert resolve(document, refs["/v1/c/{id}"])["description"] == "No such c"
    assert document["paths"]["/v1/a/{id}"]["get"]["responses"]["200"] == {"description": "ok"}
