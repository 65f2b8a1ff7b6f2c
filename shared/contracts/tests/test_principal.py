"""What a principal may do: its scopes, and the partner it is bound to."""

from __future__ import annotations

from uuid import uuid4

import pytest
from prm_contracts.principal import Principal
from prm_contracts.problem import Forbidden


def principal(*scopes: str, partner_id: object = None) -> Principal:
    return Principal.model_validate({"subject": "key:test", "scopes": set(scopes), "partner_id": partner_id})


def test_a_granted_scope_is_held() -> None:
    assert principal("partners:read").has_scope("partners:read")


def test_a_scope_not_granted_is_not_held() -> None:
    reader = principal("partners:read")

    assert not reader.has_scope("deals:read")
    assert not reader.has_scope("partners:write")


def test_write_implies_read_on_the_same_resource_only() -> None:
    writer = principal("partners:write")

    assert writer.has_scope("partners:read")
    assert not writer.has_scope("deals:read")
    assert not writer.has_scope("partners:admin")


@pytest.mark.parametrize("powerful", ["admin", "internal"])
def test_admin_and_internal_principals_hold_every_scope(powerful: str) -> None:
    caller = principal(powerful)

    assert caller.has_scope("partners:write")
    assert caller.has_scope("payouts:approve")


def test_require_scope_refuses_with_forbidden_naming_the_scope() -> None:
    with pytest.raises(Forbidden) as caught:
        principal("partners:read").require_scope("partners:write")

    assert caught.value.status == 403
    assert "partners:write" in str(caught.value.detail)


def test_an_unbound_principal_acts_on_the_partner_it_asks_for() -> None:
    requested = uuid4()

    assert principal("admin").partner_scope(requested) == requested
    assert principal("admin").partner_scope(None) is None


def test_a_bound_principal_acts_on_its_own_partner() -> None:
    own = uuid4()
    bound = principal("deals:write", partner_id=own)

    assert bound.partner_scope(None) == own
    assert bound.partner_scope(own) == own


def test_a_bound_principal_asking_for_another_partner_is_forbidden() -> None:
    bound = principal("deals:write", partner_id=uuid4())

    with pytest.raises(Forbidden) as caught:
        bound.partner_scope(uuid4())

    assert caught.value.status == 403
    assert "its own partner" in str(caught.value.detail)


@pytest.mark.parametrize("vendor_wide", ["admin", "internal"])
def test_admin_and_internal_mean_nothing_for_a_partner_bound_principal(vendor_wide: str) -> None:
    bound = principal(vendor_wide, "deal-registrations:read", partner_id=uuid4())

    assert not bound.has_scope("admin")
    assert not bound.has_scope(vendor_wide)
    assert not bound.has_scope("partners:write")
    assert bound.has_scope("deal-registrations:read")  # what it was given explicitly still counts
    with pytest.raises(Forbidden):
        bound.require_scope("admin")


def test_admin_grants_everything_to_an_unbound_principal() -> None:
    admin = principal("admin")

    assert admin.has_scope("admin")
    assert admin.has_scope("partners:write")
