"""Submitting partner applications: the partner it registers, what scoring is asked and said, and what
happens when scoring cannot answer."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from partner_registry.models import PartnerApplication
from partner_registry.partners.changes import registration_key
from partner_registry.partners.service import RegistrationNumberTaken, ensure_registration_free
from prm_contracts.principal import APPLICATION_SUBMIT_SCOPE, Principal
from prm_contracts.scoring import APPLICATION_EVALUATION_PATH, PREQUALIFICATION_PATH
from prm_kit.internal_auth import INTERNAL_HEADER, PrincipalVerifier
from prm_kit.testing import TEST_SECRET
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import (
    ANALYST,
    a_partner,
    an_application,
    application_body,
    history,
    outbox_payloads,
    partner_user,
    signed_as,
    stored_counts,
)
from ..fakes import EVALUATION, FAILING, PASSING, FakeScoring

pytestmark = pytest.mark.asyncio


async def test_an_application_registers_an_applied_partner_and_records_the_screening(
    client: httpx.AsyncClient, db: AsyncSession, scoring: FakeScoring
) -> None:
    body = application_body(
        company={
            "legal_name": "Nordlicht IT Services GmbH",
            "partner_type": "msp",
            "country": "de",
            "registration_number": "HRB 778899",
            "website_domain": "https://www.nordlicht-it.example",
            "employee_count": 85,
            "annual_revenue": {"amount": "12500000.50", "currency": "EUR"},
            "specialisations": {"product_lines": ["Networking"], "industries": ["Healthcare"]},
        },
        questionnaire={"certified_engineers": 4, "support_hours": "24/7"},
    )

    response = await client.post("/v1/applications", json=body)

    assert response.status_code == 201, response.text
    application = response.json()
    assert response.headers["location"] == f"/v1/applications/{application['id']}"
    assert response.headers["etag"] == '"1"'
    assert application["status"] == "submitted"
    assert application["screening_status"] == "passed"
    assert application["screening_attempts"] == 1
    assert application["screening_error"] is None
    assert application["screened_at"] is not None
    assert application["prequalification"] == PASSING.model_dump(mode="json")
    assert application["evaluation"] == EVALUATION.model_dump(mode="json")
    assert application["evaluation"]["score"] == "72.5"
    assert application["company"]["country"] == "DE"
    assert application["company"]["website_domain"] == "nordlicht-it.example"
    assert application["questionnaire"] == {"certified_engineers": 4, "support_hours": "24/7"}
    assert application["submitted_by"] == "user:cm-anna"
    assert application["decided_at"] is None

    partner = (await client.get(f"/v1/partners/{application['partner_id']}")).json()
    assert partner["status"] == "applied"
    assert partner["legal_name"] == "Nordlicht IT Services GmbH"
    assert partner["registration_number"] == "HRB 778899"
    assert partner["annual_revenue"] == {"amount": "12500000.50", "currency": "EUR"}
    entries = await history(client, partner)
    assert [(e["kind"], e["to_status"]) for e in entries] == [
        ("status_changed", "applied"),
        ("created", "prospect"),
    ]
    assert entries[0]["reason"] == f"application {application['id']} submitted"

    # scoring was asked about the applicant as submitted, signed as the registry
    [prequalification] = scoring.bodies(PREQUALIFICATION_PATH)
    [evaluation] = scoring.bodies(APPLICATION_EVALUATION_PATH)
    assert prequalification == evaluation
    applicant = prequalification["applicant"]
    assert applicant["application_id"] == application["id"]
    assert applicant["employee_count"] == 85
    assert applicant["annual_revenue"] == {"amount": "12500000.50", "currency": "EUR"}
    assert applicant["questionnaire"] == body["questionnaire"]
    caller = PrincipalVerifier(TEST_SECRET).verify(scoring.requests[0].headers[INTERNAL_HEADER])
    assert caller.subject == "service:partner-registry"

    [submitted] = await outbox_payloads(db, "partner_application.submitted")
    [screened] = await outbox_payloads(db, "partner_application.screened")
    assert submitted["data"]["application"] == screened["data"]["application"] == application
    assert len(await outbox_payloads(db, "partner.created")) == 1


async def test_an_applicant_failing_a_gate_is_screened_failed_with_its_score(
    client: httpx.AsyncClient, scoring: FakeScoring
) -> None:
    scoring.mode = "fail"

    application = await an_application(client, employee_count=4)

    assert application["screening_status"] == "failed"
    assert application["prequalification"] == FAILING.model_dump(mode="json")
    assert application["evaluation"]["score"] == "72.5"


@pytest.mark.parametrize(
    ("mode", "error_part"),
    [
        ("unreachable", "scoring is unreachable"),
        ("problem", "model store is down"),
        ("garbage", "without a problem body"),
        ("broken_contract", "breaks the contract"),
    ],
)
async def test_when_scoring_cannot_answer_the_application_is_stored_pending(
    client: httpx.AsyncClient, db: AsyncSession, scoring: FakeScoring, mode: Any, error_part: str
) -> None:
    scoring.mode = mode

    response = await client.post("/v1/applications", json=application_body())

    assert response.status_code == 201, response.text
    application = response.json()
    assert application["screening_status"] == "pending"
    assert application["screening_attempts"] == 1
    assert error_part in application["screening_error"]
    assert application["prequalification"] is None
    assert application["evaluation"] is None
    assert application["screened_at"] is None
    stored = await db.get(PartnerApplication, uuid.UUID(application["id"]))
    assert stored is not None
    assert stored.screening_status == "pending"
    assert await outbox_payloads(db, "partner_application.screened") == []
    assert len(await outbox_payloads(db, "partner_application.submitted")) == 1


async def test_a_pending_screening_is_retried_once_scoring_answers(
    client: httpx.AsyncClient, db: AsyncSession, scoring: FakeScoring
) -> None:
    scoring.mode = "unreachable"
    application = await an_application(client)
    screening = f"/v1/applications/{application['id']}/screening"

    still_down = await client.post(screening)
    assert still_down.status_code == 200, still_down.text
    assert still_down.json()["screening_status"] == "pending"
    assert still_down.json()["screening_attempts"] == 2
    assert still_down.headers["etag"] == '"2"'

    scoring.mode = "pass"
    retried = await client.post(screening, headers={"If-Match": '"2"'})

    assert retried.status_code == 200, retried.text
    screened = retried.json()
    assert screened["screening_status"] == "passed"
    assert screened["screening_attempts"] == 3
    assert screened["screening_error"] is None
    assert screened["evaluation"] == EVALUATION.model_dump(mode="json")
    assert screened["version"] == 3
    assert screened["company"] == application["company"]
    # asked again about the applicant as submitted
    assert scoring.bodies(PREQUALIFICATION_PATH)[-1]["applicant"]["application_id"] == application["id"]
    [event] = await outbox_payloads(db, "partner_application.screened")
    assert event["data"]["application"] == screened
    assert (await client.get(f"/v1/applications/{application['id']}")).json() == screened


async def test_a_stale_if_match_on_a_retry_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, scoring: FakeScoring
) -> None:
    scoring.mode = "unreachable"
    application = await an_application(client)
    before = await stored_counts(db)
    scoring.mode = "pass"

    response = await client.post(
        f"/v1/applications/{application['id']}/screening", headers={"If-Match": '"7"'}
    )

    assert response.status_code == 412
    assert await stored_counts(db) == before
    assert (await client.get(f"/v1/applications/{application['id']}")).json() == application


async def test_a_decided_application_is_not_screened_again(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    application = await an_application(client)
    await client.post(f"/v1/applications/{application['id']}/rejection", json={"reason": "Not a fit"})
    before = await stored_counts(db)

    response = await client.post(f"/v1/applications/{application['id']}/screening")

    assert response.status_code == 409
    assert response.json()["type"] == "/problems/application-decided"
    assert await stored_counts(db) == before


async def test_a_registration_number_already_registered_is_409_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, scoring: FakeScoring
) -> None:
    existing = await a_partner(client, registration_number="HRB 4711", country="DE")
    before = await stored_counts(db)
    applications_before = await db.scalar(sa.select(sa.func.count()).select_from(PartnerApplication))

    response = await client.post(
        "/v1/applications", json=application_body(registration_number="hrb-4711", country="DE")
    )

    assert response.status_code == 409
    assert response.json()["existing_partner_id"] == existing["id"]
    assert await stored_counts(db) == before
    assert await db.scalar(sa.select(sa.func.count()).select_from(PartnerApplication)) == applications_before
    assert scoring.requests == []


async def test_the_public_form_is_told_a_registration_number_is_taken_but_not_by_whom(
    client: httpx.AsyncClient, db: AsyncSession, scoring: FakeScoring
) -> None:
    existing = await a_partner(client, registration_number="0721 4593", country="GB")
    before = await stored_counts(db)

    response = await client.post(
        "/v1/applications",
        json=application_body(registration_number="07214593", country="GB"),
        headers=signed_as(PUBLIC_APPLICANT),
    )

    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "/problems/registration-number-taken"
    assert problem["detail"] == "this registration number is already registered in GB"
    assert "existing_partner_id" not in problem
    assert existing["id"] not in response.text
    assert await stored_counts(db) == before
    assert scoring.requests == []


@pytest.mark.parametrize(
    ("scopes", "bound", "named"),
    [({"partners:read"}, False, True), ({"partners:read"}, True, False), (set(), False, False)],
)
async def test_a_taken_registration_number_names_its_holder_only_to_who_may_read_every_partner(
    client: httpx.AsyncClient, db: AsyncSession, scopes: set[str], bound: bool, named: bool
) -> None:
    existing = await a_partner(client, registration_number="HRB 99 123", country="DE")
    viewer = Principal(
        subject="key:viewer", scopes=frozenset(scopes), partner_id=uuid.uuid4() if bound else None
    )

    with pytest.raises(RegistrationNumberTaken) as taken:
        await ensure_registration_free(db, "DE", registration_key("hrb99123"), other_than=None, viewer=viewer)

    assert (existing["id"] in str(taken.value.detail)) is named
    assert ("existing_partner_id" in taken.value.to_problem().model_dump(exclude_none=True)) is named


@pytest.mark.parametrize(
    ("change", "loc_part"),
    [
        ({"company": None}, "company"),
        ({"company": {"legal_name": "X GmbH", "partner_type": "reseller"}}, "country"),
        ({"company": {"legal_name": "X GmbH", "partner_type": "reseller", "country": "XX"}}, "country"),
        ({"company": {"legal_name": "X", "partner_type": "wholesaler", "country": "DE"}}, "partner_type"),
        ({"company": {"legal_name": "X", "partner_type": "var", "country": "DE", "tier": "gold"}}, "tier"),
        (
            {
                "company": {
                    "legal_name": "X",
                    "partner_type": "var",
                    "country": "DE",
                    "registration_number": "./-",
                }
            },
            "registration_number",
        ),
        ({"questionnaire": ["not", "an", "object"]}, "questionnaire"),
        ({"questionnaire": {"essay": "x" * 40_000}}, "questionnaire"),
        ({"questionnaire": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}}, "questionnaire"),
        ({"questionnaire": {" ": 1}}, "questionnaire"),
        ({"status": "approved"}, "status"),
    ],
)
async def test_invalid_applications_are_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db: AsyncSession, scoring: FakeScoring, change: dict[str, Any], loc_part: str
) -> None:
    body = {**application_body(), **change}
    before = await stored_counts(db)

    response = await client.post("/v1/applications", json=body)

    assert response.status_code == 422, response.text
    assert any(loc_part in [str(p) for p in e["loc"]] for e in response.json()["errors"]), response.json()
    assert await stored_counts(db) == before
    assert await db.scalar(sa.select(sa.func.count()).select_from(PartnerApplication)) == 0
    assert scoring.requests == []


async def test_a_retried_submission_gets_the_first_answer_and_registers_one_partner(
    client: httpx.AsyncClient, db: AsyncSession, scoring: FakeScoring
) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = application_body()

    first = await client.post("/v1/applications", json=body, headers=key)
    counts = await stored_counts(db)
    retried = await client.post("/v1/applications", json=body, headers=key)

    assert first.status_code == retried.status_code == 201
    assert retried.json() == first.json()
    assert retried.headers["idempotent-replayed"] == "true"
    assert await stored_counts(db) == counts
    assert len(scoring.bodies(PREQUALIFICATION_PATH)) == 1


async def test_partner_credentials_and_readers_cannot_submit(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    partner = await a_partner(client)
    before = await stored_counts(db)

    bound = await client.post(
        "/v1/applications", json=application_body(), headers=signed_as(partner_user(partner))
    )
    reader = await client.post("/v1/applications", json=application_body(), headers=signed_as(ANALYST))

    assert bound.status_code == reader.status_code == 403
    assert await stored_counts(db) == before


async def test_applications_are_listed_newest_first_in_pages_and_filtered(
    client: httpx.AsyncClient, scoring: FakeScoring
) -> None:
    scoring.mode = "pass"
    first = await an_application(client, legal_name="First GmbH")
    scoring.mode = "unreachable"
    second = await an_application(client, legal_name="Second GmbH")
    third = await an_application(client, legal_name="Third GmbH")
    await client.post(f"/v1/applications/{third['id']}/rejection", json={"reason": "Duplicate"})

    page_one = (await client.get("/v1/applications", params={"limit": 2})).json()
    page_two = (
        await client.get("/v1/applications", params={"limit": 2, "cursor": page_one["next_cursor"]})
    ).json()
    pending = (await client.get("/v1/applications", params={"screening_status": "pending"})).json()
    submitted = (await client.get("/v1/applications", params={"status": "submitted"})).json()

    assert [a["id"] for a in page_one["items"] + page_two["items"]] == [
        third["id"],
        second["id"],
        first["id"],
    ]
    assert page_two["next_cursor"] is None
    assert [a["id"] for a in pending["items"]] == [third["id"], second["id"]]
    assert [a["id"] for a in submitted["items"]] == [second["id"], first["id"]]


async def test_a_partner_credential_sees_only_its_own_application(client: httpx.AsyncClient) -> None:
    mine = await an_application(client)
    theirs = await an_application(client)
    me = signed_as(partner_user({"id": mine["partner_id"]}, "partners:read"))

    listed = await client.get("/v1/applications", headers=me)
    own = await client.get(f"/v1/applications/{mine['id']}", headers=me)
    other = await client.get(f"/v1/applications/{theirs['id']}", headers=me)

    assert [a["id"] for a in listed.json()["items"]] == [mine["id"]]
    assert own.status_code == 200
    assert other.status_code == 403


async def test_an_unknown_application_is_404(client: httpx.AsyncClient) -> None:
    unknown = uuid.uuid4()

    assert (await client.get(f"/v1/applications/{unknown}")).status_code == 404
    assert (await client.post(f"/v1/applications/{unknown}/screening")).status_code == 404
    assert (
        await client.post(f"/v1/applications/{unknown}/rejection", json={"reason": "x"})
    ).status_code == 404


async def test_a_foreign_cursor_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/applications", params={"cursor": "not-a-cursor"})

    assert response.status_code == 422


PUBLIC_APPLICANT = Principal(subject="public:applicant", scopes=frozenset({APPLICATION_SUBMIT_SCOPE}))


async def test_the_public_form_submits_and_gets_its_application_without_scorings_findings(
    client: httpx.AsyncClient, db: AsyncSession, scoring: FakeScoring
) -> None:
    response = await client.post(
        "/v1/applications", json=application_body(), headers=signed_as(PUBLIC_APPLICANT)
    )

    assert response.status_code == 201, response.text
    mine = response.json()
    assert mine["screening_status"] == "passed"
    assert (mine["prequalification"], mine["evaluation"], mine["screening_error"]) == (None, None, None)
    assert mine["submitted_by"] == "public:applicant"
    # the channel team sees what scoring said
    full = (await client.get(f"/v1/applications/{mine['id']}")).json()
    assert full["prequalification"] == PASSING.model_dump(mode="json")
    assert full["evaluation"] == EVALUATION.model_dump(mode="json")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/applications"),
        ("POST", "/v1/partners"),
        ("GET", "/v1/partners"),
        ("GET", "/v1/deal-registrations"),
    ],
)
async def test_the_public_form_can_do_nothing_else(
    client: httpx.AsyncClient, db: AsyncSession, method: str, path: str
) -> None:
    before = await stored_counts(db)

    response = await client.request(method, path, json={}, headers=signed_as(PUBLIC_APPLICANT))

    assert response.status_code == 403
    assert await stored_counts(db) == before


async def test_the_whole_profile_of_an_applicant_reaches_the_partner_and_scoring(
    client: httpx.AsyncClient, scoring: FakeScoring
) -> None:
    body = application_body(region="Benelux", year_founded=2011, segments_served=["smb", "public_sector"])

    application = await client.post("/v1/applications", json=body)

    assert application.status_code == 201, application.text
    partner = (await client.get(f"/v1/partners/{application.json()['partner_id']}")).json()
    assert (partner["region"], partner["year_founded"], partner["segments_served"]) == (
        "Benelux",
        2011,
        ["smb", "public_sector"],
    )
    [asked] = scoring.bodies(PREQUALIFICATION_PATH)
    assert (asked["applicant"]["year_founded"], asked["applicant"]["segments_served"]) == (
        2011,
        ["smb", "public_sector"],
    )
