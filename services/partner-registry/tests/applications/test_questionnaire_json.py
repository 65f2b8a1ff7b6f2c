"""Questionnaire answers JSON cannot carry: Python's json reads NaN, Infinity, 1e999 and lone surrogates, but
none can be passed on to scoring, stored or answered as sent. They are refused as the request is read (422
naming where in the questionnaire), not a 500 once the registry builds what it asks scoring."""

from __future__ import annotations

import json

import httpx
import pytest
import sqlalchemy as sa
from partner_registry.models import PartnerApplication
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import application_body, stored_counts
from ..fakes import FakeScoring

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(
    ("answers", "error_type", "where"),
    [
        # JSON text as sent, in place of the questionnaire
        ('{"certified_engineers": Infinity}', "non_finite_number", 'at ["certified_engineers"]: '),
        ('{"certified_engineers": -Infinity}', "non_finite_number", 'at ["certified_engineers"]: '),
        ('{"certified_engineers": NaN}', "non_finite_number", 'at ["certified_engineers"]: '),
        ('{"staff": {"engineers": [1e999]}}', "non_finite_number", 'at ["staff"]["engineers"][0]: '),
        ('{"support_hours": "24/7 \\ud800"}', "lone_surrogate", 'at ["support_hours"]: '),
        ('{"\\udc00": 1}', "lone_surrogate", 'the key "\\udc00"'),
    ],
)
async def test_answers_json_cannot_carry_are_422_naming_where_and_nothing_is_stored(
    client: httpx.AsyncClient,
    db: AsyncSession,
    scoring: FakeScoring,
    answers: str,
    error_type: str,
    where: str,
) -> None:
    before = await stored_counts(db)
    body = json.dumps(application_body(questionnaire={"placeholder": "ANSWERS"}))

    response = await client.post(
        "/v1/applications",
        content=body.replace('{"placeholder": "ANSWERS"}', answers),
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert (error["loc"], error["type"]) == (["body", "questionnaire"], error_type)
    assert error["msg"].startswith(where), error["msg"]
    assert await stored_counts(db) == before
    assert await db.scalar(sa.select(sa.func.count()).select_from(PartnerApplication)) == 0
    assert scoring.requests == []  # refused before scoring was asked


async def test_a_surrogate_pair_in_the_answers_is_one_character_and_accepted(
    client: httpx.AsyncClient, scoring: FakeScoring
) -> None:
    # a surrogate pair, as an ensure_ascii encoder writes U+1F600, is one character once read
    body = json.dumps(application_body(questionnaire={"placeholder": "ANSWERS"}))
    answers = '{"mood": "\\ud83d\\ude00", "engineers": 4, "share_of_services": 0.25}'

    response = await client.post(
        "/v1/applications",
        content=body.replace('{"placeholder": "ANSWERS"}', answers),
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 201, response.text
    assert response.json()["questionnaire"] == {
        "mood": "\U0001f600",
        "engineers": 4,
        "share_of_services": 0.25,
    }
