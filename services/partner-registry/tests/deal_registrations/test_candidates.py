"""The conflict check narrows its candidates in the database: among thousands of open registrations it reads
only those sharing the customer's domain or a name token, at most the configured number, best first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from partner_registry.deal_registrations import repository
from partner_registry.deal_registrations.matching import Submission, name_tokens, normalise_name
from partner_registry.deal_registrations.policy import DealPolicy
from partner_registry.deal_registrations.submission import conflict_candidates
from partner_registry.models import DealRegistration, DealRegistrationNameToken
from partner_registry.name_search import FREQUENT_TOKEN_POSTINGS
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import a_deal, an_active_partner, deal_body

pytestmark = pytest.mark.asyncio

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "ze", "bi", "do"]


def _made_up_name(number: int, suffix: str = " Logistics") -> str:
    """A distinct pronounceable name per number: a syllable for each of its 4 digits (1342 → "lonerumi"),
    then `suffix`."""
    return "".join(SYLLABLES[int(d)] for d in f"{number:04d}") + suffix


async def _bulk_registrations(
    db: AsyncSession, partner_id: uuid.UUID, count: int, suffix: str = " Logistics"
) -> None:
    """Arrange: `count` approved registrations of one partner, inserted in bulk as the bench does."""
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    tokens: list[dict[str, Any]] = []
    for number in range(count):
        registration_id = uuid.uuid4()
        name = _made_up_name(number, suffix)
        key = normalise_name(name)
        rows.append(
            {
                "id": registration_id,
                "partner_id": partner_id,
                "customer_name": name,
                "customer_name_key": key,
                "customer_domain": f"c{number}.example",
                "country": "DE",
                "products": ["firewall"],
                "estimated_value_amount": Decimal("1000"),
                "estimated_value_currency": "EUR",
                "expected_close_on": (now + timedelta(days=30)).date(),
                "status": "approved",
                "has_conflicts": False,
                "submitted_by": "bench",
                "protected_until": now + timedelta(days=90),
                "extension_used": False,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        tokens += [
            {"token": token, "deal_registration_id": registration_id, "partner_id": partner_id}
            for token in name_tokens(key)
        ]
    await db.execute(sa.insert(DealRegistration), rows)
    await db.execute(sa.insert(DealRegistrationNameToken), tokens)
    await db.flush()


async def test_only_look_alike_names_and_the_same_domain_are_read(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    holder, partner = await an_active_partner(client), await an_active_partner(client)
    await _bulk_registrations(db, uuid.UUID(holder["id"]), 2000, suffix="")
    target = _made_up_name(1342, suffix="")  # "lonerumi"
    submission = Submission(
        partner_id=uuid.UUID(partner["id"]),
        customer_name="Lonnerumi",  # a typo
        customer_domain="c7.example",
        country="DE",
        region=None,
        customer_segment=None,
        products=["vpn"],
    )

    candidates = await conflict_candidates(
        db, submission, policy=DealPolicy(candidate_limit=50), now=datetime.now(UTC)
    )

    names = sorted(c.customer_name for c in candidates.registrations)
    # the typo'd name's look-alike, and the registration of the same domain; not the other 1998
    assert names == sorted([target, _made_up_name(7, suffix="")])


async def test_the_candidate_limit_keeps_the_names_sharing_most_tokens(
    db: AsyncSession, client: httpx.AsyncClient
) -> None:
    holder = await an_active_partner(client)
    # every name shares "logistics" (and its variants): the limit keeps the one sharing its own word too
    await _bulk_registrations(db, uuid.UUID(holder["id"]), 300)
    key = normalise_name(_made_up_name(42))

    ids = await repository.ids_sharing_name_tokens(db, name_tokens(key), not_of=uuid.UUID(int=0), limit=5)

    assert len(ids) == 5
    best = await db.scalar(sa.select(DealRegistration.customer_name).where(DealRegistration.id == ids[0]))
    assert best == _made_up_name(42)


async def test_a_submission_among_thousands_finds_its_one_conflict(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    holder, partner = await an_active_partner(client), await an_active_partner(client)
    # 2000 names of 8 letters; any two differ in a syllable: 2 substitutions, 4 edits over 16 letters = 75.
    # No domain: matched by name and country.
    await _bulk_registrations(db, uuid.UUID(holder["id"]), 2000, suffix="")

    response = await client.post(
        "/v1/deal-registrations",
        json=deal_body(partner, customer_name="Lonerumi GmbH", customer_domain=None),
    )

    assert response.status_code == 201, response.text
    conflicts = response.json()["conflicts"]
    assert [(c["kind"], c["score"]) for c in conflicts] == [("customer_name", 100), ("product_overlap", 100)]
    assert (await a_deal(client, partner, customer_name="Kakaka Freight"))["status"] == "approved"


async def test_a_word_too_common_to_tell_names_apart_is_not_read(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    holder = await an_active_partner(client)
    # "logistics" (and each of its one-letter deletions) has 1100 postings: more than FREQUENT_TOKEN_POSTINGS
    await _bulk_registrations(db, uuid.UUID(holder["id"]), 1100)
    assert FREQUENT_TOKEN_POSTINGS < 1100

    unrelated = await repository.ids_sharing_name_tokens(
        db, name_tokens(normalise_name("Zuzuzu Logistics")), not_of=uuid.UUID(int=0), limit=50
    )
    misspelt = await repository.ids_sharing_name_tokens(
        db, name_tokens(normalise_name("Lokkarumi Logistics")), not_of=uuid.UUID(int=0), limit=50
    )
    only_common = await repository.ids_sharing_name_tokens(
        db, name_tokens(normalise_name("Logistics")), not_of=uuid.UUID(int=0), limit=50
    )

    assert unrelated == []
    names = await db.scalars(
        sa.select(DealRegistration.customer_name).where(DealRegistration.id.in_(misspelt))
    )
    assert set(names.all()) == {_made_up_name(1042)}  # "lokarumi Logistics"
    # a name of common words only: the least common token's first postings, up to the limit
    assert len(only_common) == 50
