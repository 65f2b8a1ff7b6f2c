"""Sales lines between their three shapes: as sent (`SalesTransaction`), as stored (`SalesLine` rows) and as
answered (`SalesLineOut`); and the documented request body of the webhook, which the endpoint reads raw."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from prm_contracts.sales import (
    PaymentStatus,
    SalesCustomer,
    SalesKind,
    SalesLineFlag,
    SalesLineOut,
    SalesProduct,
    SalesWebhookMessage,
)
from prm_kit.openapi import raw_json_body

from analytics.sales.deduplication import AcceptedLine
from analytics.sales.models import SalesLine
from analytics.sales.rollups import STORED_QUANTUM, customer_key


def _stored(value: Decimal) -> Decimal:
    """The value as the column holds it (4 places), so that events and reads show it alike."""
    return value.quantize(STORED_QUANTUM)


def line_row(
    accepted: AcceptedLine, *, partner_id: UUID, webhook_id: str, received_at: datetime
) -> dict[str, Any]:
    """The `sales_line` row of an accepted line."""
    line = accepted.line
    return {
        "id": accepted.line_id,
        "occurred_on": line.occurred_on,
        "partner_id": partner_id,
        "external_id": line.external_id,
        "kind": line.kind.value,
        "invoice_id": line.invoice_id,
        "payment_status": line.payment_status.value,
        "paid_on": line.paid_day,
        "customer_key": customer_key(line),
        "customer_name": line.customer.name,
        "customer_domain": line.customer.domain,
        "customer_country": line.customer.country,
        "customer_external_id": line.customer.external_id,
        "customer_is_new": line.customer.is_new,
        "product_sku": line.product.sku,
        "product_category": line.product.category,
        "quantity": _stored(line.quantity),
        "unit_price": _stored(line.unit_price),
        "amount": _stored(line.amount),
        "currency": line.currency,
        "cost": None if line.cost is None else _stored(line.cost),
        "deal_registration_id": line.deal_registration_id,
        "original_external_id": line.original_external_id,
        "webhook_id": webhook_id,
        "received_at": received_at,
    }


def key_row(accepted: AcceptedLine, *, partner_id: UUID) -> dict[str, Any]:
    return {
        "partner_id": partner_id,
        "external_id": accepted.line.external_id,
        "content_hash": accepted.content_hash,
        "line_id": accepted.line_id,
        "occurred_on": accepted.line.occurred_on,
    }


def recorded_line(row: dict[str, Any], flags: Sequence[SalesLineFlag] = ()) -> dict[str, Any]:
    """A stored line as `sales.recorded` carries it (`RecordedSalesLine`), with the anomaly guard's flags, as
    plain values the outbox serialises straight to JSON: the row was made from a validated line, and building
    models of it cost as much as parsing the delivery (tests/sales/test_recorded_event.py checks the shape
    against the contract)."""
    return {
        "id": row["id"],
        "partner_id": row["partner_id"],
        "external_id": row["external_id"],
        "kind": row["kind"],
        "occurred_on": row["occurred_on"],
        "invoice_id": row["invoice_id"],
        "payment_status": row["payment_status"],
        "paid_on": row["paid_on"],
        "customer": {
            "name": row["customer_name"],
            "domain": row["customer_domain"],
            "country": row["customer_country"],
            "external_id": row["customer_external_id"],
            "is_new": row["customer_is_new"],
        },
        "product": {"sku": row["product_sku"], "category": row["product_category"]},
        "quantity": row["quantity"],
        "unit_price": row["unit_price"],
        "amount": row["amount"],
        "currency": row["currency"],
        "cost": row["cost"],
        "deal_registration_id": row["deal_registration_id"],
        "original_external_id": row["original_external_id"],
        "webhook_id": row["webhook_id"],
        "received_at": row["received_at"],
        "flags": list(flags),
    }


def line_out(line: SalesLine) -> SalesLineOut:
    return SalesLineOut(**_out_fields({column: getattr(line, column) for column in _COLUMNS}))


_COLUMNS = tuple(column.key for column in SalesLine.__table__.columns)


def _out_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "partner_id": row["partner_id"],
        "external_id": row["external_id"],
        "kind": SalesKind(row["kind"]),
        "occurred_on": row["occurred_on"],
        "invoice_id": row["invoice_id"],
        "payment_status": PaymentStatus(row["payment_status"]),
        "paid_on": row["paid_on"],
        "customer": SalesCustomer.model_construct(
            name=row["customer_name"],
            domain=row["customer_domain"],
            country=row["customer_country"],
            external_id=row["customer_external_id"],
            is_new=row["customer_is_new"],
        ),
        "product": SalesProduct.model_construct(sku=row["product_sku"], category=row["product_category"]),
        "quantity": row["quantity"],
        "unit_price": row["unit_price"],
        "amount": row["amount"],
        "currency": row["currency"],
        "cost": row["cost"],
        "deal_registration_id": row["deal_registration_id"],
        "original_external_id": row["original_external_id"],
        "webhook_id": row["webhook_id"],
        "received_at": row["received_at"],
    }


# Written out: a body composed field by field breaks the rules across fields (amount = quantity x
# unit_price; paid_on only when paid), and integrators try these first.
_SALE = {
    "external_id": "INV-1001-1",
    "kind": "sale",
    "occurred_on": "2026-06-15",
    "invoice_id": "INV-1001",
    "payment_status": "invoiced",
    "customer": {"name": "Globex Corporation", "domain": "globex.example", "country": "DE", "is_new": True},
    "product": {"sku": "NET-100", "category": "networking"},
    "quantity": "2",
    "unit_price": "150.00",
    "amount": "300.00",
    "currency": "EUR",
    "cost": "210.00",
}
_RETURN = {
    "external_id": "INV-1001-R1",
    "kind": "return",
    "occurred_on": "2026-06-20",
    "payment_status": "invoiced",
    "customer": {"name": "Globex Corporation", "domain": "globex.example", "country": "DE"},
    "product": {"sku": "NET-100", "category": "networking"},
    "quantity": "1",
    "unit_price": "150.00",
    "amount": "150.00",
    "currency": "EUR",
    "original_external_id": "INV-1001-1",
}
WEBHOOK_REQUEST_BODY: dict[str, Any] = raw_json_body(
    SalesWebhookMessage,
    description="A `sales.reported` (up to 1,000 lines) or `sales.payment_updated` message, signed per "
    "Standard Webhooks: the signature covers these exact bytes.",
    examples={
        "sales_reported": {"type": "sales.reported", "data": {"transactions": [_SALE, _RETURN]}},
        "payment_updated": {
            "type": "sales.payment_updated",
            "data": {
                "updates": [{"external_id": "INV-1001-1", "payment_status": "paid", "paid_on": "2026-07-01"}]
            },
        },
    },
)
