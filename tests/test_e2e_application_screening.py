"""An application is screened end to end, with real processes: scoring, the registry and the gateway (started
as deployed, `python -m gateway.serve`), each on a fresh database of the test backend (PRM_TEST_DB).

apply through the gateway → the registry asks scoring (whose default model a migration seeded and published)
→ the application is screened, not left pending → a channel manager approves it → the partner is onboarding.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from prm_cli.e2e import Platform, running_platform

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The gateway with scoring and the registry behind it, no events between them: the registry asks."""
    folder = tmp_path_factory.mktemp("screening")
    with running_platform(folder, ("scoring", "registry"), subscriptions={}) as running:
        yield running


def test_an_application_through_the_gateway_is_screened_approved_and_becomes_a_partner(
    platform: Platform,
) -> None:
    application = {
        "company": {
            "legal_name": "Screened Networks GmbH",
            "partner_type": "reseller",
            "country": "DE",
            "registration_number": f"HRB {uuid4().int % 10**9}",
            "year_founded": datetime.now(UTC).year - 6,
            "employee_count": 12,
            "segments_served": ["smb", "enterprise"],
        },
        "questionnaire": {"certified_engineers": 4, "has_support_desk": True},
    }

    # the public application form: no API key
    submitted = platform.anonymous.post("/v1/applications", json=application)

    assert submitted.status_code == 201, submitted.text
    assert submitted.json()["screening_status"] == "passed", submitted.json()
    manager = platform.gateway  # with an admin key: a channel manager
    screened = manager.get(f"/v1/applications/{submitted.json()['id']}").json()
    assert screened["prequalification"]["model_version"] == "partner-evaluation@1"
    assert [g["passed"] for g in screened["prequalification"]["gates"]] == [True, True, True]
    # the default model, computed by hand in services/scoring/tests/screening/test_screening.py: 640/11 → 58.18
    assert (screened["evaluation"]["score"], screened["evaluation"]["grade"]) == ("58.18", "C")

    approved = manager.post(f"/v1/applications/{screened['id']}/approval", json={"note": "Screened and fits"})

    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    partner = manager.get(f"/v1/partners/{screened['partner_id']}")
    assert partner.status_code == 200
    assert (partner.json()["legal_name"], partner.json()["status"]) == (
        "Screened Networks GmbH",
        "onboarding",
    )
