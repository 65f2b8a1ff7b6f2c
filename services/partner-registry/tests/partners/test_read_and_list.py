"""Reading one partner, and listing partners: filters, text search, sort orders and keyset pages."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from prm_kit.pagination import encode_cursor

from ..factories import a_partner, moved_to, partner_user, signed_as

pytestmark = pytest.mark.asyncio


async def test_a_partner_is_read_with_its_version_as_etag(client: httpx.AsyncClient) -> None:
    created = await a_partner(client)

    response = await client.get(f"/v1/partners/{created['id']}")

    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    assert response.json() == created


async def test_an_unknown_partner_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v1/partners/{uuid.uuid4()}")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/not-found"


async def _catalogue(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """Five partners, created in this order."""
    partners = {
        "alpha": await a_partner(
            client,
            legal_name="Alpha Systems GmbH",
            display_name="Alpha Systems",
            partner_type="distributor",
            country="DE",
            region="DACH",
            specialisations={"product_lines": ["Networking"]},
        ),
        "beta": await a_partner(
            client,
            legal_name="Beta Solutions SAS",
            display_name="beta solutions",
            partner_type="reseller",
            country="FR",
            region="Western Europe",
            specialisations={"industries": ["Healthcare"]},
        ),
        "gamma": await a_partner(
            client,
            legal_name="Gamma Managed Services GmbH",
            display_name="Gamma MSP",
            partner_type="msp",
            country="DE",
            region="DACH",
            specialisations={"product_lines": ["Security", "networking"]},
        ),
        "delta": await a_partner(
            client,
            legal_name="Delta 100% Partners Inc",
            display_name="Delta Partners",
            partner_type="var",
            country="US",
            region="North America",
        ),
        "epsilon": await a_partner(
            client,
            legal_name="Epsilon Agents LLC",
            display_name="Epsilon_Agents",
            partner_type="agent",
            country="US",
            region="North America",
        ),
    }
    for name, tier in (("alpha", "gold"), ("gamma", "silver")):
        changed = await client.post(
            f"/v1/partners/{partners[name]['id']}/tier-changes",
            json={"tier": tier, "reason": "Annual review"},
        )
        assert changed.status_code == 201, changed.text
        partners[name] = (await client.get(f"/v1/partners/{partners[name]['id']}")).json()
    partners["gamma"] = await moved_to(client, partners["gamma"], "active")
    return partners


async def _names(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get("/v1/partners", params=params)
    assert response.status_code == 200, response.text
    return [p["display_name"] for p in response.json()["items"]]


async def test_partners_are_listed_by_display_name_ignoring_case(client: httpx.AsyncClient) -> None:
    await _catalogue(client)

    assert await _names(client) == [
        "Alpha Systems",
        "beta solutions",
        "Delta Partners",
        "Epsilon_Agents",
        "Gamma MSP",
    ]
    assert await _names(client, sort="-display_name") == [
        "Gamma MSP",
        "Epsilon_Agents",
        "Delta Partners",
        "beta solutions",
        "Alpha Systems",
    ]
    assert await _names(client, sort="created_at") == [
        "Alpha Systems",
        "beta solutions",
        "Gamma MSP",
        "Delta Partners",
        "Epsilon_Agents",
    ]
    assert await _names(client, sort="-created_at") == [
        "Epsilon_Agents",
        "Delta Partners",
        "Gamma MSP",
        "beta solutions",
        "Alpha Systems",
    ]
    assert (await _names(client, sort="legal_name"))[:2] == ["Alpha Systems", "beta solutions"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"partner_type": "msp"}, ["Gamma MSP"]),
        ({"partner_type": ["var", "agent"]}, ["Delta Partners", "Epsilon_Agents"]),
        ({"status": "active"}, ["Gamma MSP"]),
        ({"status": "prospect", "country": "DE"}, ["Alpha Systems"]),
        ({"tier": ["gold", "silver"]}, ["Alpha Systems", "Gamma MSP"]),
        ({"country": "us"}, ["Delta Partners", "Epsilon_Agents"]),
        ({"region": "DACH"}, ["Alpha Systems", "Gamma MSP"]),
        ({"specialisation": "NETWORKING"}, ["Alpha Systems", "Gamma MSP"]),
        ({"specialisation": ["healthcare", "security"]}, ["beta solutions", "Gamma MSP"]),
        ({"q": "SOLU"}, ["beta solutions"]),
        ({"q": "managed"}, ["Gamma MSP"]),  # in the legal name only
        ({"q": "100%"}, ["Delta Partners"]),  # % is a character, not a wildcard
        ({"q": "o_s"}, []),  # _ is a character, not a wildcard (it would match "solutiONS")
        ({"q": "n_a"}, ["Epsilon_Agents"]),
        ({"q": "gmbh", "partner_type": "msp"}, ["Gamma MSP"]),
        ({"q": "nothing like it"}, []),
    ],
)
async def test_filters_and_name_search(
    client: httpx.AsyncClient, params: dict[str, Any], expected: list[str]
) -> None:
    await _catalogue(client)

    assert await _names(client, **params) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Öresund", ["Öresund Partners"]),
        ("öresund", ["Öresund Partners"]),
        ("ÖRESUND PARTNERS", ["Öresund Partners"]),
        ("ärger", ["Ärger Bau"]),
        ("Éclair", ["éclair Studio"]),
        ("ölfirma", ["Nordic Oil"]),  # in the legal name only
    ],
)
async def test_the_name_search_ignores_the_case_of_non_ascii_letters(
    client: httpx.AsyncClient, q: str, expected: list[str]
) -> None:
    await a_partner(client, legal_name="Öresund Partners AB", display_name="Öresund Partners", country="SE")
    await a_partner(client, legal_name="Ärger Bau GmbH", display_name="Ärger Bau", country="DE")
    await a_partner(client, legal_name="éclair SARL", display_name="éclair Studio", country="FR")
    await a_partner(client, legal_name="ÖLFIRMA AB", display_name="Nordic Oil", country="SE")

    assert await _names(client, q=q) == expected


@pytest.mark.parametrize("sort", ["display_name", "-display_name", "created_at", "-created_at", "legal_name"])
async def test_pages_walk_the_whole_list_without_gaps_or_repeats(
    client: httpx.AsyncClient, sort: str
) -> None:
    await _catalogue(client)
    everything = await _names(client, sort=sort)

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"sort": sort, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/partners", params=params)).json()
        seen += [p["display_name"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == everything
    assert pages == 3  # 2 + 2 + 1


async def test_a_cursor_only_works_with_the_sort_it_came_from(client: httpx.AsyncClient) -> None:
    await _catalogue(client)
    page = (await client.get("/v1/partners", params={"sort": "display_name", "limit": 2})).json()

    response = await client.get("/v1/partners", params={"sort": "created_at", "cursor": page["next_cursor"]})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "cursor"]


async def test_a_cursor_holding_a_timestamp_without_timezone_is_422(client: httpx.AsyncClient) -> None:
    partner = await a_partner(client)
    # shaped like the cursors of this sort, but no cursor of ours holds a time without its offset
    naive = encode_cursor({"order": "created_at", "key": "2026-07-01T09:00:00", "id": partner["id"]})

    response = await client.get("/v1/partners", params={"sort": "created_at", "cursor": naive})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor!"},
        {"limit": 0},
        {"limit": 201},
        {"country": "XX"},
        {"status": "dormant"},
        {"sort": "revenue"},
        {"q": ""},
    ],
)
async def test_bad_list_parameters_are_422(client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    response = await client.get("/v1/partners", params=params)

    assert response.status_code == 422
    assert response.json()["errors"]


async def test_a_partner_credential_lists_only_its_own_partner(client: httpx.AsyncClient) -> None:
    partners = await _catalogue(client)
    beta = partners["beta"]

    response = await client.get("/v1/partners", headers=signed_as(partner_user(beta, "partners:read")))
    filtered = await client.get(
        "/v1/partners", params={"country": "DE"}, headers=signed_as(partner_user(beta, "partners:read"))
    )

    assert [p["id"] for p in response.json()["items"]] == [beta["id"]]
    assert filtered.json()["items"] == []


async def test_a_partner_is_found_by_its_registration_number_or_domain_in_any_spelling(
    client: httpx.AsyncClient,
) -> None:
    german = await a_partner(
        client,
        display_name="Nordlicht",
        country="DE",
        registration_number="HRB 77/88-99",
        website_domain="nordlicht.example",
    )
    austrian = await a_partner(
        client, display_name="Alpenblick", country="AT", registration_number="HRB778899"
    )
    await a_partner(client, display_name="Other", registration_number="HRB 1")

    async def ids(**params: Any) -> list[str]:
        response = await client.get("/v1/partners", params=params)
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["items"]]

    assert await ids(registration_number="hrb 778899") == [austrian["id"], german["id"]]  # by display name
    assert await ids(registration_number="HRB.77.88.99", country="DE") == [german["id"]]
    assert await ids(website_domain="https://www.Nordlicht.example/kontakt") == [german["id"]]
    assert await ids(website_domain="nobody.example") == []


@pytest.mark.parametrize("number", ["-", " ", "./-", "\u200b", "Ä"])
async def test_a_registration_number_filter_without_a_letter_or_digit_is_422(
    client: httpx.AsyncClient, number: str
) -> None:
    await a_partner(client, registration_number=None)

    # compared by its letters and digits alone, it would filter nothing: never the unfiltered list
    response = await client.get("/v1/partners", params={"registration_number": number, "status": "prospect"})

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert (error["loc"], error["type"]) == (["query", "registration_number"], "registration_number_empty")
    assert "registration_number" in response.json()["detail"]


async def test_a_domain_filter_that_is_no_domain_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/partners", params={"website_domain": "not a domain"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "website_domain"]
