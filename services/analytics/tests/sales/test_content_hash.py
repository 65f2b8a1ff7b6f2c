"""A line's content hash is stored with its key, so the text it hashes must never change: the hash built from
the fields is checked against the hash of the line's JSON dump (as every stored key was made), and the
fields hashed against the contract's, so a field added to `SalesTransaction` fails here until it is decided
whether it is content."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from analytics.sales.rollups import content_hash
from prm_contracts.sales import SalesCustomer, SalesProduct, SalesTransaction

from .factories import a_line

_STORED_PLACES = "0.0001"


def _reference_hash(line: SalesTransaction) -> str:
    """The original definition: the JSON dump without the payment (`payment_status`, `paid_on`: they change by
    `sales.payment_updated`), amounts at the stored scale."""
    content: dict[str, Any] = line.model_dump(mode="json", exclude={"payment_status", "paid_on"})
    for field in ("quantity", "unit_price", "amount", "cost"):
        value = getattr(line, field)
        content[field] = None if value is None else format(value.quantize(type(value)(_STORED_PLACES)), "f")
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


LINES = [
    a_line(),
    a_line(
        kind="return",
        original_external_id="INV-1-1",
        invoice_id=None,
        cost="12.5",
        quantity="3",
        unit_price="0.3333",
        amount="1.00",
        currency="USD",
        deal_registration_id="0b4f6f5e-3c7a-4d59-9a43-6f4d3c2b1a00",
        customer={
            "name": 'Société Générale « Ünïcode » "quoted" \\ back\tslash',
            "domain": "https://www.Société.example/path",
            "country": "fr",
            "external_id": "C-7",
            "is_new": False,
        },
        product={"sku": " SKU-9 ", "category": "クラウド"},
    ),
    a_line(customer={"name": "Initech", "is_new": True}, payment_status="paid", amount="300.0"),
    a_line(customer={"name": "Emoji 😀 \u2028 \u00e9 \x7f", "domain": "xn--bcher-kva.example"}),
]


def test_the_hash_built_from_fields_equals_the_hash_of_the_dump() -> None:
    for raw in LINES:
        line = SalesTransaction.model_validate(raw)
        assert content_hash(line) == _reference_hash(line)


def test_equal_values_written_differently_hash_alike_and_the_payment_is_not_content() -> None:
    fixed = {"external_id": "X", "invoice_id": "INV-X"}
    one = SalesTransaction.model_validate(a_line(**fixed, amount="300.00", payment_status="invoiced"))
    same = SalesTransaction.model_validate(a_line(**fixed, amount="300", payment_status="paid"))
    paid_later = SalesTransaction.model_validate(
        a_line(**fixed, amount="300", payment_status="paid", paid_on="2026-07-01")
    )
    other = SalesTransaction.model_validate(a_line(**fixed, amount="300.00", currency="USD"))
    assert content_hash(one) == content_hash(same) == content_hash(paid_later) != content_hash(other)


def test_every_field_of_the_contract_is_hashed_but_the_payment() -> None:
    # When this fails, the contract gained (or lost) a field: decide whether it is content, and add it to
    # content_hash so that lines stored before it (hashed without it) still match when it is absent.
    assert set(SalesTransaction.model_fields) - {"payment_status", "paid_on"} == {
        "external_id",
        "kind",
        "occurred_on",
        "invoice_id",
        "customer",
        "product",
        "quantity",
        "unit_price",
        "amount",
        "currency",
        "cost",
        "deal_registration_id",
        "original_external_id",
    }
    assert set(SalesCustomer.model_fields) == {"name", "domain", "country", "external_id", "is_new"}
    assert set(SalesProduct.model_fields) == {"sku", "category"}
