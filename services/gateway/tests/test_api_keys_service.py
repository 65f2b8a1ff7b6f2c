"""The functions the CLI calls: create, list, revoke, the bootstrap key; and the key format."""

from __future__ import annotations

import hashlib
from uuid import UUID

import pytest
from gateway.api_keys import service
from gateway.api_keys.key_format import new_key, parse_key
from gateway.api_keys.models import ApiKey
from prm_contracts.problem import Conflict, NotFound, UnprocessableContent
from prm_kit.clock import utc_now
from sqlalchemy import select

from .harness import GatewayUnderTest

BOOTSTRAP = "prm_boot0001_" + "B" * 40


def test_new_keys_have_the_documented_shape() -> None:
    plaintext, parsed = new_key()

    assert parse_key(plaintext) == parsed
    assert plaintext == f"{parsed.prefix}_{parsed.secret}"
    assert len(parsed.prefix) == 12
    assert len(parsed.secret) >= 32


@pytest.mark.parametrize(
    "text",
    [
        "prm_ABCDEFGH_" + "a" * 40,
        "prm_abcdefg_" + "a" * 40,
        "prm_abcdefgh_" + "a" * 31,
        "key_abcdefgh_" + "a" * 40,
        "",
    ],
)
def test_malformed_keys_do_not_parse(text: str) -> None:
    assert parse_key(text) is None


@pytest.mark.asyncio
async def test_only_a_digest_of_the_secret_is_stored(gw: GatewayUnderTest) -> None:
    key, plaintext = await service.create_key(gw.session, now=utc_now(), name="ci", scopes=["scoring:read"])

    stored = await gw.session.scalar(select(ApiKey).where(ApiKey.id == key.id))

    assert stored is not None
    secret = plaintext.split("_", 2)[2]
    assert stored.secret_digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(vars(stored))
    assert stored.prefix == plaintext[:12]


@pytest.mark.asyncio
async def test_create_list_revoke(gw: GatewayUnderTest) -> None:
    partner = UUID(int=42)
    key, _plaintext = await service.create_key(
        gw.session, now=utc_now(), name="erp", scopes=["analytics:write"], partner_id=partner
    )

    listed = await service.list_keys(gw.session)
    revoked = await service.revoke_key(gw.session, key.id, now=utc_now())

    assert key in listed
    assert (key.name, key.scopes, key.partner_id) == ("erp", ["analytics:write"], partner)
    assert revoked.id == key.id
    assert revoked.revoked_at is not None
    assert await service.verified_key(gw.session, _plaintext) is None


@pytest.mark.asyncio
async def test_bad_input_is_refused_as_problems(gw: GatewayUnderTest) -> None:
    with pytest.raises(UnprocessableContent):
        await service.create_key(gw.session, now=utc_now(), name="x", scopes=["partners:delete"])
    with pytest.raises(UnprocessableContent):
        await service.create_key(gw.session, now=utc_now(), name="  ", scopes=["admin"])
    with pytest.raises(NotFound):
        await service.revoke_key(gw.session, UUID(int=0), now=utc_now())


@pytest.mark.asyncio
async def test_the_bootstrap_key_is_created_once(gw: GatewayUnderTest) -> None:
    await service.ensure_bootstrap_key(gw.session, BOOTSTRAP, now=utc_now())
    await service.ensure_bootstrap_key(gw.session, BOOTSTRAP, now=utc_now())

    found = list(await gw.session.scalars(select(ApiKey).where(ApiKey.prefix == "prm_boot0001")))
    assert len(found) == 1
    assert (found[0].name, found[0].scopes, found[0].partner_id) == ("bootstrap-admin", ["admin"], None)
    assert await service.verified_key(gw.session, BOOTSTRAP) is not None


@pytest.mark.asyncio
async def test_a_bootstrap_key_clashing_with_another_keys_id_is_refused(gw: GatewayUnderTest) -> None:
    await service.ensure_bootstrap_key(gw.session, BOOTSTRAP, now=utc_now())

    with pytest.raises(Conflict):
        await service.ensure_bootstrap_key(gw.session, "prm_boot0001_" + "C" * 40, now=utc_now())


@pytest.mark.asyncio
async def test_a_revoked_bootstrap_key_stays_revoked(gw: GatewayUnderTest) -> None:
    await service.ensure_bootstrap_key(gw.session, BOOTSTRAP, now=utc_now())
    key = await gw.session.scalar(select(ApiKey).where(ApiKey.prefix == "prm_boot0001"))
    assert key is not None
    await service.revoke_key(gw.session, key.id, now=utc_now())

    await service.ensure_bootstrap_key(gw.session, BOOTSTRAP, now=utc_now())

    assert await service.verified_key(gw.session, BOOTSTRAP) is None


@pytest.mark.asyncio
async def test_use_is_recorded_in_batches(gw: GatewayUnderTest) -> None:
    key, plaintext = await service.create_key(gw.session, now=utc_now(), name="used", scopes=["admin"])
    assert key.last_used_at is None

    await gw.client.get("/v1/partners", headers=gw.bearer(plaintext))
    await gw.app.state.authenticator.record_uses()

    await gw.session.refresh(key)
    assert key.last_used_at is not None
