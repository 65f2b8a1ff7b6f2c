"""Pure rules of partner data, without a database: normalisation, comparison keys, change lists."""

from __future__ import annotations

from decimal import Decimal

import pytest
from partner_registry.partners.changes import (
    field_changes,
    fields_not_editable_by_partner,
    initial_values,
    label_key,
    registration_key,
)
from partner_registry.partners.schemas import canonical_amount
from prm_contracts.partners import FieldChange, normalise_domain, parse_country
from pydantic_core import PydanticCustomError


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("example.com", "example.com"),
        ("https://www.Example.COM/about?x=1", "example.com"),
        ("WWW.shop.example.co.uk.", "shop.example.co.uk"),
        ("http://example.com:8080", "example.com"),
        ("Müller.de", "xn--mller-kva.de"),  # the well-known punycode example
    ],
)
def test_website_domains_are_normalised(given: str, stored: str) -> None:
    assert normalise_domain(given) == stored


@pytest.mark.parametrize("given", ["localhost", "exa mple.com", "-bad.com", "1.2.3.4", "", "https://", 42])
def test_things_that_are_not_domains_are_refused(given: object) -> None:
    with pytest.raises(PydanticCustomError):
        normalise_domain(given)


@pytest.mark.parametrize(("given", "code"), [("de", "DE"), (" us ", "US"), ("GB", "GB")])
def test_countries_are_iso_alpha_2(given: str, code: str) -> None:
    assert parse_country(given) == code


@pytest.mark.parametrize("given", ["UK", "DEU", "XX", "", None])
def test_unknown_countries_are_refused(given: object) -> None:
    with pytest.raises(PydanticCustomError):
        parse_country(given)


def test_registration_numbers_compare_without_punctuation_or_case() -> None:
    assert registration_key("HRB 123-456") == registration_key("hrb123.456") == "HRB123456"
    assert registration_key(None) is None
    assert registration_key(" - ") is None


def test_specialisation_labels_compare_case_folded_and_single_spaced() -> None:
    assert label_key("  Cloud   Security ") == label_key("cloud security") == "cloud security"
    assert label_key("STRASSE") == label_key("straße")


@pytest.mark.parametrize(
    ("amount", "spelled"),
    [("12", "12.00"), ("12.5", "12.50"), ("12.5000", "12.50"), ("0.125", "0.125"), ("0.1234", "0.1234")],
)
def test_amounts_are_answered_with_two_to_four_decimals(amount: str, spelled: str) -> None:
    assert format(canonical_amount(Decimal(amount)), "f") == spelled


def test_field_changes_list_what_differs_in_order() -> None:
    before = {"a": 1, "b": "x", "c": None}
    after = {"a": 1, "b": "y", "c": [1]}

    assert field_changes(before, after) == [
        FieldChange(field="b", before="x", after="y"),
        FieldChange(field="c", before=None, after=[1]),
    ]


def test_a_new_record_lists_the_fields_it_was_given() -> None:
    values = {
        "legal_name": "Acme",
        "region": None,
        "segments_served": [],
        "specialisations": {"product_lines": [], "industries": []},
        "custom_attributes": {"k": None},
    }

    assert [c.field for c in initial_values(values)] == ["legal_name", "custom_attributes"]


def test_what_a_partner_may_not_change_itself() -> None:
    assert fields_not_editable_by_partner(["display_name", "tier", "legal_name"]) == ["legal_name", "tier"]
    assert fields_not_editable_by_partner(["employee_count", "specialisations"]) == []
