"""`prm keys`: create, list and revoke API keys on the gateway's database."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from click.testing import Result

PrmRunner = Callable[..., Result]

KEY = re.compile(r"\bprm_[A-Za-z0-9_\-]{16,}")
ID = re.compile(r"\(([0-9a-f-]{36})\)")


def test_create_shows_the_key_once_and_list_never_shows_it(prm: PrmRunner, gateway_database: str) -> None:
    created = prm(
        "keys",
        "create",
        "--name",
        "portal",
        "--scope",
        "partners:read",
        "--scope",
        "scoring:read",
        PRM_GATEWAY_DATABASE_URL=gateway_database,
    )

    assert created.exit_code == 0, created.output
    plaintext = KEY.search(created.output)
    assert plaintext is not None, created.output
    assert "partners:read, scoring:read" in created.output
    listed = prm("keys", "list", PRM_GATEWAY_DATABASE_URL=gateway_database)
    assert listed.exit_code == 0, listed.output
    assert "portal" in listed.output
    assert "active" in listed.output
    assert plaintext.group(0) not in listed.output
    assert KEY.search(listed.output) is None


def test_a_key_can_be_bound_to_one_partner(prm: PrmRunner, gateway_database: str) -> None:
    partner_id = uuid.uuid4()

    created = prm(
        "keys",
        "create",
        "--name",
        "acme-erp",
        "--scope",
        "analytics:write",
        "--partner-id",
        str(partner_id),
        PRM_GATEWAY_DATABASE_URL=gateway_database,
    )

    assert created.exit_code == 0, created.output
    assert str(partner_id) in prm("keys", "list", PRM_GATEWAY_DATABASE_URL=gateway_database).output


def test_revoke_marks_the_key_revoked(prm: PrmRunner, gateway_database: str) -> None:
    created = prm(
        "keys", "create", "--name", "old", "--scope", "admin", PRM_GATEWAY_DATABASE_URL=gateway_database
    )
    found = ID.search(created.output)
    assert found is not None, created.output

    revoked = prm("keys", "revoke", found.group(1), PRM_GATEWAY_DATABASE_URL=gateway_database)

    assert revoked.exit_code == 0, revoked.output
    assert "Revoked API key old" in revoked.output
    listed = prm("keys", "list", PRM_GATEWAY_DATABASE_URL=gateway_database).output
    assert re.search(rf"{found.group(1)}.*revoked", listed), listed


def test_an_unknown_scope_is_refused_with_the_valid_ones(prm: PrmRunner, gateway_database: str) -> None:
    result = prm(
        "keys", "create", "--name", "x", "--scope", "everything", PRM_GATEWAY_DATABASE_URL=gateway_database
    )

    assert result.exit_code == 1
    assert "partners:read" in result.output
    assert "Traceback" not in result.output


def test_revoking_an_unknown_key_fails_without_a_traceback(prm: PrmRunner, gateway_database: str) -> None:
    result = prm("keys", "revoke", str(uuid.uuid4()), PRM_GATEWAY_DATABASE_URL=gateway_database)

    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_list_with_no_keys_says_how_to_make_one(prm: PrmRunner, gateway_database: str) -> None:
    result = prm("keys", "list", PRM_GATEWAY_DATABASE_URL=gateway_database)

    assert result.exit_code == 0
    assert "prm keys create" in result.output


def test_keys_on_an_unmigrated_database_ask_for_prm_migrate(prm: PrmRunner) -> None:
    result = prm("keys", "list")  # the default SQLite file in the fresh data folder: no tables yet

    assert result.exit_code == 1
    assert "prm migrate" in result.output
