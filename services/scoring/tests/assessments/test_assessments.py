"""Assessments over HTTP: scores computed by hand, gates against the registry's facts, missing and unknown
inputs, the history of a partner, idempotent submission and what-if re-scoring."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import a_model, assessment_body, criterion, is_problem, linear, stored_counts
from ..fakes import FakeRegistry

pytestmark = pytest.mark.asyncio

CRITERIA = [
    linear("growth", "3", floor="0", ceiling="20"),
    criterion("nps", {"kind": "rating_1_5"}, "2", when_missing="exclude"),
    criterion("support", {"kind": "boolean"}, "1"),
    criterion(
        "tenure",
        {
            "kind": "banded",
            "bands": [
                {"min": "0", "max": "2", "points": "0"},
                {"min": "2", "max": "5", "points": "50"},
                {"min": "5", "points": "100"},
            ],
        },
        "1.5",
    ),
]
GATES = [
    {"type": "employees", "key": "min_employees", "min_employees": 10},
    {"type": "no_open_compliance_violation", "key": "compliant"},
    {"type": "certified_technical_contact", "key": "contact"},
    {
        "type": "questionnaire",
        "key": "engineers",
        "question": "engineers",
        "operator": "at_least",
        "value": "2",
    },
]
INPUTS = {"growth": "12.5", "nps": 4, "support": True, "tenure": "3"}
FACTS = {"certified_technical_contact": True, "answers": {"engineers": 3}}


async def _model(client: httpx.AsyncClient) -> dict[str, Any]:
    return await a_model(client, criteria=CRITERIA, gates=GATES)


async def _submit(client: httpx.AsyncClient, partner: UUID, model: str, **fields: Any) -> httpx.Response:
    body = assessment_body(
        partner, model, fields.pop("inputs", INPUTS), facts=fields.pop("facts", FACTS), **fields
    )
    return await client.post("/v1/assessments", json=body)


async def test_an_assessment_is_scored_explained_and_stored(
    client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    model = await _model(client)
    partner = registry.add_partner(employee_count=40)

    response = await _submit(client, partner, model["model_name"])

    assert response.status_code == 201, response.text
    assessment = response.json()
    # normalised: growth 12.5 of 0..20 → 62.5; nps 4 → 75; support true → 100; tenure 3 in [2, 5) → 50
    # weights 3 + 2 + 1 + 1.5 = 7.5; contributions 62.5·3/7.5 = 25, 75·2/7.5 = 20, 100/7.5 = 13.333…,
    # 50·1.5/7.5 = 10; total 68.333… → 68.33, floors 25 + 20 + 13.33 + 10 = 68.33 already (no cent to give)
    assert (assessment["total"], assessment["grade"], assessment["complete"]) == ("68.33", "C", True)
    assert [(c["key"], c["normalised"], c["weight"], c["contribution"]) for c in assessment["criteria"]] == [
        ("growth", "62.50", "0.400000", "25.00"),
        # shares 0.4 + 0.266666 + 0.133333 + 0.2 = 0.999999: the millionth to the largest remainder (2/7.5)
        ("nps", "75.00", "0.266667", "20.00"),
        ("support", "100.00", "0.133333", "13.33"),
        ("tenure", "50.00", "0.200000", "10.00"),
    ]
    assert [c["raw_input"] for c in assessment["criteria"]] == ["12.5", 4, True, "3"]
    assert assessment["gates_passed"] is True
    assert [(g["gate"], g["actual"], g["threshold"]) for g in assessment["gates"]] == [
        ("min_employees", "40", "10"),
        ("compliant", "0", "0"),
        ("contact", "yes", "yes"),
        ("engineers", "3", "2"),
    ]
    assert (assessment["model"], assessment["model_version"]) == (model["model_name"], 1)
    assert response.headers["location"] == f"/v1/assessments/{assessment['id']}"
    assert (await client.get(f"/v1/assessments/{assessment['id']}")).json() == assessment


async def test_an_excluded_criterion_renormalises_the_other_weights(
    client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    model = await _model(client)
    inputs = {key: value for key, value in INPUTS.items() if key != "nps"}

    response = await _submit(client, registry.add_partner(), model["model_name"], inputs=inputs)

    assessment = response.json()
    # weights 3 + 1 + 1.5 = 5.5: 62.5·3/5.5 = 34.0909…, 100/5.5 = 18.1818…, 50·1.5/5.5 = 13.6363…;
    # total 362.5/5.5 = 65.9090… → 65.91; floors sum 65.90, the cent to the largest remainder (tenure, .0063…)
    assert assessment["total"] == "65.91"
    assert [(c["key"], c["status"], c["contribution"]) for c in assessment["criteria"]] == [
        ("growth", "scored", "34.09"),
        ("nps", "excluded", None),
        ("support", "scored", "18.18"),
        ("tenure", "scored", "13.64"),
    ]


async def test_a_total_exactly_on_a_half_cent_rounds_up_to_its_grade(
    client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    model = await a_model(client, criteria=[linear("a"), linear("b"), linear("c")])
    inputs = {"a": "91.096", "b": "70.357", "c": "93.532"}

    response = await _submit(client, registry.add_partner(), model["model_name"], inputs=inputs, facts={})

    # (91.096 + 70.357 + 93.532) / 3 = 254.985 / 3 = 84.995 exactly → half-up 85.00, grade A (A ≥ 85)
    assert response.status_code == 201, response.text
    assert (response.json()["total"], response.json()["grade"]) == ("85.00", "A")
    # thirds 30.365333…, 23.452333…, 31.177333…: floors make 84.98, the 2 cents to a (.5333…) and c (.7333…)
    assert [c["contribution"] for c in response.json()["criteria"]] == ["30.37", "23.45", "31.18"]


async def test_a_missing_input_marked_incomplete_stores_no_total(
    client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    model = await a_model(client, criteria=[linear("a"), linear("needed", when_missing="incomplete")])

    response = await _submit(
        client, registry.add_partner(), model["model_name"], inputs={"a": "50"}, facts={}
    )

    assert response.status_code == 201, response.text
    assert (response.json()["complete"], response.json()["total"], response.json()["grade"]) == (
        False,
        None,
        None,
    )
    assert response.json()["criteria"][1]["status"] == "missing"


async def test_failed_gates_say_rule_actual_and_threshold(
    client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    model = await _model(client)
    partner = registry.add_partner(employee_count=4, open_violations=2)

    response = await _submit(client, partner, model["model_name"], facts={})

    gates = {g["gate"]: g for g in response.json()["gates"]}
    assert response.json()["gates_passed"] is False
    assert (gates["min_employees"]["passed"], gates["min_employees"]["actual"]) == (False, "4")
    assert (gates["compliant"]["passed"], gates["compliant"]["actual"]) == (False, "2")
    assert (gates["contact"]["passed"], gates["contact"]["actual"]) == (False, None)
    assert gates["min_employees"]["rule"] == "employees >= 10"


@pytest.mark.parametrize(
    ("inputs", "loc", "error_type"),
    [
        ({**INPUTS, "bogus": "1"}, ["body", "inputs", "bogus"], "criterion_unknown"),
        ({**INPUTS, "growth": 12.5}, ["body", "inputs", "growth"], "float_not_allowed"),
        ({**INPUTS, "nps": 7}, ["body", "inputs", "nps"], "input_unfit"),
        ({**INPUTS, "support": "1"}, ["body", "inputs", "support"], "input_unfit"),
    ],
)
async def test_bad_inputs_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    db: AsyncSession,
    registry: FakeRegistry,
    inputs: dict[str, Any],
    loc: list[str],
    error_type: str,
) -> None:
    model = await _model(client)
    before = await stored_counts(db)

    response = await _submit(client, registry.add_partner(), model["model_name"], inputs=inputs)

    assert is_problem(response, 422, "validation-error"), response.text
    assert [(e["loc"], e["type"]) for e in response.json()["errors"]] == [(loc, error_type)]
    assert await stored_counts(db) == before
    assert registry.requests == []  # refused before the registry was asked


@pytest.mark.parametrize(
    ("answers", "error_type", "where"),
    [
        # JSON text as sent: Python's json reads each, but none can be stored or answered as sent
        ('{"other": "\\ud800"}', "lone_surrogate", 'at ["other"]: '),
        ('{"other": ["ok", "\\udfff"]}', "lone_surrogate", 'at ["other"][1]: '),
        ('{"\\udc00": 1}', "lone_surrogate", 'the key "\\udc00"'),
        ('{"staff": NaN}', "non_finite_number", 'at ["staff"]: '),
        ('{"staff": -Infinity}', "non_finite_number", 'at ["staff"]: '),
        ('{"staff": {"count": 1e999}}', "non_finite_number", 'at ["staff"]["count"]: '),
    ],
)
async def test_answers_json_cannot_carry_are_refused_naming_the_field(
    client: httpx.AsyncClient,
    db: AsyncSession,
    registry: FakeRegistry,
    answers: str,
    error_type: str,
    where: str,
) -> None:
    model = await _model(client)
    before = await stored_counts(db)
    body = json.dumps(assessment_body(registry.add_partner(), model["model_name"], INPUTS, facts="FACTS"))

    response = await client.post(
        "/v1/assessments",
        content=body.replace('"FACTS"', f'{{"answers": {answers}}}'),
        headers={"content-type": "application/json", "Idempotency-Key": "odd-answers"},
    )

    assert is_problem(response, 422, "validation-error"), response.text
    [error] = response.json()["errors"]
    assert (error["loc"], error["type"]) == (["body", "facts", "answers"], error_type)
    assert error["msg"].startswith(where)
    assert await stored_counts(db) == before


async def test_a_surrogate_pair_is_one_character_and_accepted(
    client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    model = await _model(client)
    body = json.dumps(assessment_body(registry.add_partner(), model["model_name"], INPUTS, facts="FACTS"))

    response = await client.post(
        "/v1/assessments",
        # U+1F600 escaped as its pair, as ensure_ascii encoders write it
        content=body.replace('"FACTS"', '{"answers": {"engineers": 3, "mood": "\\ud83d\\ude00"}}'),
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 201, response.text
    assert response.json()["facts"]["answers"]["mood"] == "\U0001f600"


async def test_an_unknown_partner_is_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    model = await _model(client)
    before = await stored_counts(db)

    response = await _submit(client, UUID("00000000-0000-0000-0000-00000000abcd"), model["model_name"])

    assert is_problem(response, 422, "validation-error")
    assert response.json()["errors"][0]["type"] == "partner_unknown"
    assert await stored_counts(db) == before


async def test_the_registry_unreachable_is_503_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    model = await _model(client)
    partner = registry.add_partner()
    registry.reachable = False
    before = await stored_counts(db)

    response = await _submit(client, partner, model["model_name"])

    assert is_problem(response, 503, "service-unavailable")
    assert await stored_counts(db) == before


async def test_only_published_versions_score_assessments(
    client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    model = await _model(client)
    await client.post(f"/v1/evaluation-models/{model['model_id']}/versions", json={"copy_from": 1})
    partner = registry.add_partner()

    draft = await _submit(client, partner, model["model_name"], model_version=2)
    unknown_version = await _submit(client, partner, model["model_name"], model_version=9)
    past_any_version = await _submit(client, partner, model["model_name"], model_version=2**70)
    unknown_model = await _submit(client, partner, "no-such-model")
    named = await _submit(client, partner, model["model_name"], model_version=1)

    assert is_problem(draft, 422, "validation-error")
    assert draft.json()["errors"][0]["type"] == "model_version_draft"
    assert unknown_version.json()["errors"][0]["type"] == "model_version_unknown"
    assert unknown_model.json()["errors"][0]["type"] == "model_version_unknown"
    assert is_problem(past_any_version, 422, "validation-error")  # its bound, not an overflow where stored
    assert past_any_version.json()["errors"][0]["loc"] == ["body", "model_version"]
    assert named.status_code == 201
    # the latest published version is the default: still 1, as 2 is a draft
    assert (await _submit(client, partner, model["model_name"])).json()["model_version"] == 1


async def test_a_partners_history_newest_first_in_pages(
    client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    model = await _model(client)
    partner, other = registry.add_partner(), registry.add_partner()
    made = [(await _submit(client, partner, model["model_name"])).json()["id"] for _ in range(3)]
    await _submit(client, other, model["model_name"])

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"partner_id": str(partner), "limit": 2} | (
            {"cursor": cursor} if cursor else {}
        )
        page = (await client.get("/v1/assessments", params=params)).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == list(reversed(made))


async def test_the_same_idempotency_key_gives_the_first_answer(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    model = await _model(client)
    partner = registry.add_partner()
    headers = {"Idempotency-Key": "assess-1"}

    first = await client.post(
        "/v1/assessments", json=assessment_body(partner, model["model_name"], INPUTS), headers=headers
    )
    counts = await stored_counts(db)
    replay = await client.post(
        "/v1/assessments", json=assessment_body(partner, model["model_name"], INPUTS), headers=headers
    )
    changed = await client.post(
        "/v1/assessments",
        json=assessment_body(partner, model["model_name"], {**INPUTS, "nps": 5}),
        headers=headers,
    )

    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["idempotent-replayed"] == "true"
    assert is_problem(changed, 422, "idempotency-key-reused")
    assert await stored_counts(db) == counts


async def test_what_if_rescores_under_another_version_and_stores_nothing(
    client: httpx.AsyncClient, db: AsyncSession, registry: FakeRegistry
) -> None:
    model = await _model(client)
    equal_weights = [{**c, "weight": "1"} for c in CRITERIA]
    await client.post(
        f"/v1/evaluation-models/{model['model_id']}/versions",
        json={"copy_from": 1, "criteria": equal_weights},
    )
    stored = (await _submit(client, registry.add_partner(employee_count=40), model["model_name"])).json()
    before = await stored_counts(db)

    response = await client.get(f"/v1/assessments/{stored['id']}/rescoring", params={"model_version": 2})

    assert response.status_code == 200, response.text
    what_if = response.json()
    # equal weights: (62.5 + 75 + 100 + 50) / 4 = 71.875 → 71.88; contributions 15.625, 18.75, 25, 12.5:
    # floors 15.62 + 18.75 + 25 + 12.5 = 71.87, the cent to growth (remainder .005)
    assert (what_if["total"], what_if["grade"], what_if["model_version"]) == ("71.88", "B", 2)
    assert [c["contribution"] for c in what_if["criteria"]] == ["15.63", "18.75", "25.00", "12.50"]
    assert (what_if["stored_model_version"], what_if["stored_total"]) == (1, "68.33")
    assert what_if["gates_passed"] is True  # the stored facts, checked again
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/assessments/{stored['id']}")).json() == stored


async def test_what_if_under_a_version_without_an_input_criterion_is_refused(
    client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    model = await _model(client)
    await client.post(
        f"/v1/evaluation-models/{model['model_id']}/versions",
        json={"copy_from": 1, "criteria": [linear("growth")]},
    )
    stored = (await _submit(client, registry.add_partner(), model["model_name"])).json()

    response = await client.get(f"/v1/assessments/{stored['id']}/rescoring", params={"model_version": 2})
    missing = await client.get(f"/v1/assessments/{stored['id']}/rescoring", params={"model_version": 5})

    assert is_problem(response, 422, "validation-error")
    assert {e["loc"][-1] for e in response.json()["errors"]} == {"nps", "support", "tenure"}
    assert missing.json()["errors"][0]["type"] == "model_version_unknown"
