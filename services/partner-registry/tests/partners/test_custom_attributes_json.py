"""Custom attributes JSON cannot carry: Python's json reads NaN, Infinity, 1e400 and lone surrogates, but the
JSON column would store null in place of the numbers (a 201 for a value silently changed) and no answer can
carry the surrogates. Registering or updating a partner with them is a 422 naming where they are."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import a_partner, partner_body, stored_counts

pytestmark = pytest.mark.asyncio

PLACEHOLDER = '{"placeholder": "ATTRIBUTES"}'

# JSON text as sent, in place of the custom attributes: (text, error type, where the message says it is)
UNFIT_ATTRIBUTES = [
    ('{"discount_cap": NaN}', "non_finite_number", 'at ["discount_cap"]: '),
    ('{"discount_cap": Infinity}', "non_finite_number", 'at ["discount_cap"]: '),
    ('{"limits": {"seats": [-Infinity]}}', "non_finite_number", 'at ["limits"]["seats"][0]: '),
    ('{"discount_cap": 1e400}', "non_finite_number", 'at ["discount_cap"]: '),
    ('{"crm_account_id": "\\ud800"}', "lone_surrogate", 'at ["crm_account_id"]: '),
    ('{"\\udfff": "x"}', "lone_surrogate", 'the key "\\udfff"'),
]


def _with_attributes(body: dict[str, Any], attributes: str) -> str:
    """`body` as JSON text, its custom attributes replaced by `attributes` (text json.dumps would not write)."""
    return json.dumps({**body, "custom_attributes": {"placeholder": "ATTRIBUTES"}}).replace(
        PLACEHOLDER, attributes
    )


def _refusal(response: httpx.Response) -> dict[str, Any]:
    """The one error of a 422 validation problem."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    return dict(error)


@pytest.mark.parametrize(("attributes", "error_type", "where"), UNFIT_ATTRIBUTES)
async def test_registering_with_attributes_json_cannot_carry_is_422_and_stores_nothing(
    client: httpx.AsyncClient, db: AsyncSession, attributes: str, error_type: str, where: str
) -> None:
    before = await stored_counts(db)

    response = await client.post(
        "/v1/partners",
        content=_with_attributes(partner_body(), attributes),
        headers={"content-type": "application/json"},
    )

    error = _refusal(response)
    assert (error["loc"], error["type"]) == (["body", "custom_attributes"], error_type)
    assert error["msg"].startswith(where), error["msg"]
    assert await stored_counts(db) == before


@pytest.mark.parametrize(("attributes", "error_type", "where"), UNFIT_ATTRIBUTES)
async def test_updating_to_attributes_json_cannot_carry_is_422_and_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, attributes: str, error_type: str, where: str
) -> None:
    partner = await a_partner(client, custom_attributes={"discount_cap": 12.5})
    before = await stored_counts(db)

    response = await client.patch(
        f"/v1/partners/{partner['id']}",
        content=_with_attributes({}, attributes),
        headers={"content-type": "application/json", "If-Match": '"1"'},
    )

    error = _refusal(response)
    assert (error["loc"], error["type"]) == (["body", "custom_attributes"], error_type)
    assert error["msg"].startswith(where), error["msg"]
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/partners/{partner['id']}")).json() == partner
