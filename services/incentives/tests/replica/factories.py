"""Events as analytics and the registry send them to incentives, how to deliver them, and the registry at the
HTTP boundary (`FakeRegistry`)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from prm_contracts.pagination import Page
from prm_contracts.partners import PartnerOut
from prm_contracts.principal import Principal
from prm_contracts.problem import PROBLEM_MEDIA_TYPE
from prm_contracts.tiers import TierBenefits, TierOut, TierRequirements
from prm_kit.testing import internal_headers

T0 = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
RELAY = Principal(subject="service:analytics", scopes=frozenset({"internal"}))


def event(
    type_: str, data: dict[str, Any], at: datetime = T0, event_id: uuid.UUID | None = None
) -> dict[str, Any]:
    return {
        "id": str(event_id or uuid.uuid4()),
        "type": type_,
        "occurred_at": at.isoformat(),
        "source": "analytics" if type_.startswith("sales.") else "partner-registry",
        "data": data,
    }


async def deliver(client: httpx.AsyncClient, *events: dict[str, Any]) -> httpx.Response:
    return await client.post(
        "/internal/events", json={"events": list(events)}, headers=internal_headers(RELAY)
    )


# --- analytics ------------------------------------------------------------------------------------------


def line(
    partner_id: uuid.UUID,
    external_id: str,
    *,
    amount: str = "100.00",
    kind: str = "sale",
    occurred_on: date = date(2026, 7, 1),
    payment_status: str = "invoiced",
    paid_on: date | None = None,
    currency: str = "EUR",
    flags: list[dict[str, Any]] | None = None,
    line_id: uuid.UUID | None = None,
    original_external_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": str(line_id or uuid.uuid4()),
        "partner_id": str(partner_id),
        "external_id": external_id,
        "kind": kind,
        "occurred_on": occurred_on.isoformat(),
        "invoice_id": None,
        "payment_status": payment_status,
        "paid_on": paid_on.isoformat() if paid_on else None,
        "customer": {"name": "Globex"},
        "product": {"sku": "FW-100", "category": "firewall"},
        "quantity": "2",
        "unit_price": str(Decimal(amount) / 2),
        "amount": amount,
        "currency": currency,
        "cost": None,
        "deal_registration_id": None,
        "original_external_id": original_external_id,
        "webhook_id": "msg_1",
        "received_at": T0.isoformat(),
        "flags": flags or [],
    }


def flag(code: str, flag_id: uuid.UUID | None = None) -> dict[str, Any]:
    return {"code": code, "reason": f"{code} seen", "flag_id": str(flag_id or uuid.uuid4())}


def sales_recorded(partner_id: uuid.UUID, *lines: dict[str, Any], at: datetime = T0) -> dict[str, Any]:
    return event(
        "sales.recorded", {"partner_id": str(partner_id), "webhook_id": "msg_1", "lines": list(lines)}, at
    )


def payment_updated(
    partner_id: uuid.UUID, *changes: tuple[dict[str, Any], str, date | None], at: datetime = T0
) -> dict[str, Any]:
    """Each change: (the line as sent in sales.recorded, new status, paid_on)."""
    return event(
        "sales.payment_updated",
        {
            "partner_id": str(partner_id),
            "webhook_id": "msg_2",
            "changes": [
                {
                    "line_id": sent["id"],
                    "external_id": sent["external_id"],
                    "occurred_on": sent["occurred_on"],
                    "payment_status": status,
                    "paid_on": paid_on.isoformat() if paid_on else None,
                }
                for sent, status, paid_on in changes
            ],
        },
        at,
    )


def flag_reviewed(
    sent_line: dict[str, Any], sent_flag: dict[str, Any], outcome: str, at: datetime = T0
) -> dict[str, Any]:
    return event(
        "sales.flag_reviewed",
        {
            "flag_id": sent_flag["flag_id"],
            "partner_id": sent_line["partner_id"],
            "line_id": sent_line["id"],
            "line_external_id": sent_line["external_id"],
            "line_occurred_on": sent_line["occurred_on"],
            "code": sent_flag["code"],
            "outcome": outcome,
            "reviewed_at": at.isoformat(),
        },
        at,
    )


# --- registry -------------------------------------------------------------------------------------------


def partner_record(
    partner_id: uuid.UUID, *, status: str = "active", status_changed_at: datetime = T0, **fields: Any
) -> dict[str, Any]:
    record = {
        "id": str(partner_id),
        "legal_name": "Acme Networks GmbH",
        "display_name": "Acme Networks",
        "partner_type": "reseller",
        "status": status,
        "status_changed_at": status_changed_at.isoformat(),
        "status_reason": None,
        "tier": None,
        "country": "DE",
        "region": "DACH",
        "registration_number": None,
        "website_domain": "acme.example",
        "year_founded": None,
        "employee_count": None,
        "annual_revenue": None,
        "specialisations": {"product_lines": [], "industries": []},
        "segments_served": [],
        "custom_attributes": {},
        "version": 1,
        "created_at": T0.isoformat(),
        "updated_at": T0.isoformat(),
    }
    return record | fields


def partner_created(partner_id: uuid.UUID, at: datetime = T0, **fields: Any) -> dict[str, Any]:
    return event("partner.created", {"partner": partner_record(partner_id, **fields)}, at)


def partner_updated(partner_id: uuid.UUID, at: datetime, **fields: Any) -> dict[str, Any]:
    return event("partner.updated", {"partner": partner_record(partner_id, **fields), "changes": []}, at)


def status_changed(partner_id: uuid.UUID, from_status: str, to_status: str, at: datetime) -> dict[str, Any]:
    return event(
        "partner.status_changed",
        {
            "partner_id": str(partner_id),
            "from_status": from_status,
            "to_status": to_status,
            "reason": "review",
            "changed_at": at.isoformat(),
            "partner": partner_record(partner_id, status=to_status, status_changed_at=at),
        },
        at,
    )


def tier_changed(partner_id: uuid.UUID, to_tier: str, effective_on: date, at: datetime) -> dict[str, Any]:
    return event(
        "partner.tier_changed",
        {
            "partner_id": str(partner_id),
            "tier_change_id": str(uuid.uuid4()),
            "from_tier": None,
            "to_tier": to_tier,
            "effective_on": effective_on.isoformat(),
            "reason": "Annual review",
            "source": "manual",
            "recommendation_id": None,
            "changed_at": at.isoformat(),
        },
        at,
    )


def deal_event(
    kind: str,
    deal_id: uuid.UUID,
    partner_id: uuid.UUID,
    status: str,
    at: datetime,
    *,
    decided_at: datetime | None,
) -> dict[str, Any]:
    registration = {
        "id": str(deal_id),
        "partner_id": str(partner_id),
        "customer_name": "Globex",
        "customer_domain": "globex.example",
        "country": "DE",
        "region": None,
        "customer_segment": None,
        "products": ["firewall"],
        "estimated_value": {"amount": "50000.00", "currency": "EUR"},
        "expected_close_on": "2026-09-30",
        "notes": None,
        "status": status,
        "has_conflicts": False,
        "conflicts": [],
        "submitted_by": "key:p",
        "decided_by": "user:cm" if decided_at else None,
        "decided_at": decided_at.isoformat() if decided_at else None,
        "decision_reason": "ok" if decided_at else None,
        "protected_until": (T0 + timedelta(days=90)).isoformat() if decided_at else None,
        "extension_used": False,
        "final_amount": {"amount": "48000.00", "currency": "EUR"} if status == "won" else None,
        "lost_reason": None,
        "closed_at": at.isoformat() if status in {"won", "lost"} else None,
        "expired_at": None,
        "version": 1,
        "created_at": T0.isoformat(),
        "updated_at": at.isoformat(),
    }
    data = {
        "deal_registration_id": str(deal_id),
        "partner_id": str(partner_id),
        "from_status": None,
        "to_status": status,
        "actor": "user:cm",
        "occurred_at": at.isoformat(),
        "registration": registration,
    }
    return event(f"deal_registration.{kind}", data, at)


_PARTNER = re.compile(r"^/v1/partners/([0-9a-f-]{36})$")
LADDER = ("registered", "silver", "gold", "platinum")  # the registry's tiers as its migration seeds them


def tier_ladder(keys: tuple[str, ...]) -> Page[TierOut]:
    """The registry's `GET /v1/tiers` answer: one page, lowest rank first."""
    return Page[TierOut](
        items=[
            TierOut(
                id=uuid.uuid5(uuid.NAMESPACE_URL, f"tier:{key}"),
                key=key,
                name=key.title(),
                rank=rank,
                requirements=TierRequirements(),
                benefits=TierBenefits(),
                version=1,
                created_at=T0,
                updated_at=T0,
            )
            for rank, key in enumerate(keys, start=1)
        ]
    )


@dataclass
class FakeRegistry:
    """`GET /v1/partners/{id}` of the registry: a partner record for the ids in `known` (every id when None),
    404 for the others; `GET /v1/tiers`: the ladder of `tiers`; `down` makes it unreachable. `asked` lists
    the ids asked for."""

    known: set[uuid.UUID] | None = None
    down: bool = False
    asked: list[uuid.UUID] = field(default_factory=list)
    tiers: tuple[str, ...] = LADDER

    def transport(self) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            if self.down:
                raise httpx.ConnectError("connection refused", request=request)
            if request.url.path == "/v1/tiers":
                return httpx.Response(200, content=tier_ladder(self.tiers).model_dump_json())
            match = _PARTNER.fullmatch(request.url.path)
            if match is not None:
                partner_id = uuid.UUID(match.group(1))
                self.asked.append(partner_id)
                if self.known is None or partner_id in self.known:
                    partner = PartnerOut.model_validate(partner_record(partner_id))
                    return httpx.Response(200, content=partner.model_dump_json())
            problem = '{"type": "/problems/not-found", "title": "Not found", "status": 404}'
            return httpx.Response(404, content=problem, headers={"content-type": PROBLEM_MEDIA_TYPE})

        return httpx.MockTransport(answer)
