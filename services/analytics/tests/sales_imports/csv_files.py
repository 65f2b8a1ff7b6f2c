"""CSV files of sales lines for the import tests."""

from __future__ import annotations

from typing import Any

from analytics.sales_imports.columns import OPTIONAL_COLUMNS, REQUIRED_COLUMNS

HEADER = ",".join((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))


def row(external_id: str, **fields: Any) -> str:
    """A valid sale of 2 x 150.00 EUR (300.00); `fields` replace columns by name."""
    values: dict[str, Any] = {
        "external_id": external_id,
        "kind": "sale",
        "occurred_on": "2026-06-15",
        "payment_status": "invoiced",
        "customer_name": "Globex Corporation",
        "product_sku": "NET-100",
        "product_category": "networking",
        "quantity": "2",
        "unit_price": "150.00",
        "amount": "300.00",
        "currency": "EUR",
        "invoice_id": "",
        "paid_on": "",
        "customer_domain": "globex.example",
        "customer_country": "DE",
        "customer_external_id": "",
        "customer_is_new": "",
        "cost": "",
        "deal_registration_id": "",
        "original_external_id": "",
    } | fields
    return ",".join(str(values[name]) for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))


def csv_file(*rows: str) -> bytes:
    return ("\n".join((HEADER, *rows)) + "\n").encode()
