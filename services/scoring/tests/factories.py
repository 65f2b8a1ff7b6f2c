"""Principals, request bodies and helpers that arrange models and assessments through the API, and count
what was stored."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import httpx
import sqlalchemy as sa
from prm_contracts.principal import Principal
from prm_kit.idempotency import idempotency_record
from prm_kit.testing import internal_headers
from scoring.models import Base
from sqlalchemy.ext.asyncio import AsyncSession

CHANNEL_MANAGER = Principal(subject="user:cm-anna", scopes=frozenset({"scoring:write"}))
ANALYST = Principal(subject="user:analyst-ben", scopes=frozenset({"scoring:read"}))
OUTSIDER = Principal(subject="key:partners-only", scopes=frozenset({"partners:write"}))
DEFAULT_MODEL_ID = "9a4e1f7c-2b35-4c1e-8d0a-5c0e00000001"


def partner_user(partner_id: UUID, *scopes: str) -> Principal:
    """A credential bound to one partner (by default with scoring:write, which its binding still limits)."""
    return Principal(
        subject=f"key:partner-{str(partner_id)[:8]}",
        scopes=frozenset(scopes or {"scoring:write"}),
        partner_id=partner_id,
    )


def signed_as(principal: Principal) -> dict[str, str]:
    return internal_headers(principal)


def linear(
    key: str, weight: str = "1", *, floor: str = "0", ceiling: str = "100", **fields: Any
) -> dict[str, Any]:
    return {
        "key": key,
        "label": key.replace("_", " ").capitalize(),
        "dimension": fields.pop("dimension", "sales_capability"),
        "weight": weight,
        "normaliser": {"kind": "linear", "floor": floor, "ceiling": ceiling, **fields.pop("normaliser", {})},
        **fields,
    }


def criterion(key: str, normaliser: dict[str, Any], weight: str = "1", **fields: Any) -> dict[str, Any]:
    return {
        "key": key,
        "label": key.replace("_", " ").capitalize(),
        "dimension": fields.pop("dimension", "strategic_fit"),
        "weight": weight,
        "normaliser": normaliser,
        **fields,
    }


def model_body(name: str | None = None, **version: Any) -> dict[str, Any]:
    """A valid EvaluationModelIn: two linear criteria weighted 3 and 2 unless `version` says otherwise."""
    content: dict[str, Any] = {"criteria": [linear("revenue_growth", "3"), linear("pipeline_coverage", "2")]}
    content.update(version)
    return {"name": name or f"model-{uuid4().hex[:10]}", "description": "A test model", "version": content}


async def a_model(client: httpx.AsyncClient, *, publish: bool = True, **body: Any) -> dict[str, Any]:
    """A model's version 1 (published unless `publish=False`), as the API answers it."""
    response = await client.post("/v1/evaluation-models", json=model_body(**body))
    assert response.status_code == 201, response.text
    version: dict[str, Any] = response.json()
    if publish:
        published = await client.post(f"/v1/evaluation-models/{version['model_id']}/versions/1/publish")
        assert published.status_code == 200, published.text
        version = published.json()
    return version


def assessment_body(partner_id: UUID, model: str, inputs: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "partner_id": str(partner_id),
        "model": model,
        "inputs": inputs,
        "assessor": "Anna Berger",
        "assessed_on": "2026-10-15",
        **fields,
    }


async def stored_counts(session: AsyncSession) -> dict[str, int]:
    """How many rows each table of scoring holds: compared before and after a refused request."""
    counts = {}
    for table in (*Base.metadata.sorted_tables, idempotency_record):
        counts[table.name] = int(await session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
    return counts


def is_problem(response: httpx.Response, status: int, slug: str) -> bool:
    """An RFC 9457 problem of this status and type (types may be absolute URIs ending in the slug)."""
    return (
        response.status_code == status
        and response.headers["content-type"] == "application/problem+json"
        and response.json()["type"].endswith(f"/problems/{slug}")
    )
