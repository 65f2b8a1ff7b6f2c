"""The registry as scoring reaches it, over `httpx.MockTransport`: the partners and compliance summaries a
test puts in it; anything else is a 404 problem, as the real registry answers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
from prm_contracts.problem import PROBLEM_MEDIA_TYPE

_PARTNER = re.compile(r"^/v1/partners/([0-9a-f-]{36})$")
_SUMMARY = re.compile(r"^/v1/partners/([0-9a-f-]{36})/compliance/summary$")
NOW = datetime(2026, 11, 1, tzinfo=UTC).isoformat()


def partner_record(partner_id: UUID, **fields: Any) -> dict[str, Any]:
    """A PartnerOut body as the registry answers it."""
    record: dict[str, Any] = {
        "id": str(partner_id),
        "legal_name": "Nordlicht IT GmbH",
        "display_name": "Nordlicht IT",
        "partner_type": "reseller",
        "status": "active",
        "status_changed_at": NOW,
        "status_reason": None,
        "tier": "silver",
        "country": "DE",
        "region": None,
        "registration_number": None,
        "website_domain": None,
        "year_founded": 2015,
        "employee_count": 40,
        "annual_revenue": {"amount": "1200000.00", "currency": "EUR"},
        "specialisations": {"product_lines": [], "industries": []},
        "segments_served": [],
        "custom_attributes": {},
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return record | fields


def _summary(partner_id: str, open_violations: int) -> dict[str, Any]:
    return {
        "partner_id": partner_id,
        "as_of": "2026-11-01",
        "open_violations": {"low": 0, "medium": open_violations, "high": 0, "critical": 0},
        "open_violations_total": open_violations,
        "oldest_open_violation_opened_on": "2026-10-01" if open_violations else None,
        "violations_by_status": {"open": open_violations, "remediating": 0, "resolved": 0, "waived": 0},
        "audit_count": 0,
        "last_audit": None,
        "audits_failed": 0,
        "has_current_agreement": True,
    }


@dataclass
class FakeRegistry:
    partners: dict[str, dict[str, Any]] = field(default_factory=dict)
    open_violations: dict[str, int] = field(default_factory=dict)
    reachable: bool = True
    requests: list[str] = field(default_factory=list)

    def add_partner(self, *, open_violations: int = 0, **fields: Any) -> UUID:
        partner_id = uuid4()
        self.partners[str(partner_id)] = partner_record(partner_id, **fields)
        self.open_violations[str(partner_id)] = open_violations
        return partner_id

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        if not self.reachable:
            raise httpx.ConnectError("the registry is not running", request=request)
        self.requests.append(f"{request.method} {request.url.path}")
        if (match := _PARTNER.match(request.url.path)) and match.group(1) in self.partners:
            return httpx.Response(200, json=self.partners[match.group(1)])
        if (match := _SUMMARY.match(request.url.path)) and match.group(1) in self.partners:
            return httpx.Response(200, json=_summary(match.group(1), self.open_violations[match.group(1)]))
        problem = {
            "type": "/problems/not-found",
            "title": "Not found",
            "status": 404,
            "detail": "no such partner",
        }
        return httpx.Response(404, content=json.dumps(problem), headers={"content-type": PROBLEM_MEDIA_TYPE})
