"""The conflict-case contract: parties, root causes and resolutions refuse what makes no sense."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from prm_contracts.conflicts import ConflictCaseIn, ConflictCasePatch, ResolutionIn
from pydantic import ValidationError

A, B = str(uuid.uuid4()), str(uuid.uuid4())


def case(**fields: Any) -> dict[str, Any]:
    return {"conflict_type": "horizontal", "parties": [A, B], "description": "overlap", **fields}


def test_parties_are_partner_ids_or_vendor_direct() -> None:
    parsed = ConflictCaseIn.model_validate(case(parties=[A, "vendor_direct"]))

    assert parsed.parties == [uuid.UUID(A), "vendor_direct"]
    assert parsed.model_dump(mode="json")["parties"] == [A, "vendor_direct"]


@pytest.mark.parametrize(
    "parties", [[A], [A, A], ["vendor_direct", "vendor_direct"], [A, "vendor"], [A.upper(), A]]
)
def test_odd_party_lists_are_refused(parties: list[str]) -> None:
    with pytest.raises(ValidationError):
        ConflictCaseIn.model_validate(case(parties=parties))


def test_linked_ids_are_de_duplicated_in_order() -> None:
    d1, d2 = uuid.uuid4(), uuid.uuid4()

    parsed = ConflictCaseIn.model_validate(case(deal_registration_ids=[str(d2), str(d1), str(d2)]))

    assert parsed.deal_registration_ids == [d2, d1]


@pytest.mark.parametrize(
    "causes",
    [
        [{"cause": "other"}],
        [{"cause": "pricing"}, {"cause": "pricing", "detail": "again"}],
        [{"cause": "luck"}],
    ],
)
def test_root_causes_are_known_distinct_and_other_says_what(causes: list[dict[str, str]]) -> None:
    with pytest.raises(ValidationError):
        ConflictCaseIn.model_validate(case(root_causes=causes))


@pytest.mark.parametrize(
    "resolution",
    [
        {"ruling": "r", "outcome": "awarded"},
        {"ruling": "r", "outcome": "shared", "awarded_to": A},
        {"ruling": "", "outcome": "settled"},
    ],
)
def test_awarded_goes_with_a_party_and_a_ruling_is_needed(resolution: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        ResolutionIn.model_validate(resolution)


def test_a_patch_refuses_nulls() -> None:
    with pytest.raises(ValidationError):
        ConflictCasePatch.model_validate({"root_causes": None})
    assert ConflictCasePatch.model_validate({}).model_fields_set == set()
