"""Who may do what, on every operation of analytics' own OpenAPI document.

Callers: an admin, an analytics writer (analytics:write), an analytics reader (analytics:read), an outsider
(a credential without analytics scopes), a partner's own credential (analytics:read bound to the partner the
request is about), another partner's credential, and the anonymous principal the gateway forwards webhooks
as. Operations listed in MATRIX have their expected statuses; every other operation (a new endpoint is
covered the day it is added) is held to the rule the gateway applies too: an outsider and the webhook caller
are refused, and a reader may not use a method other than GET. A refused request stores nothing.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa
from analytics.config import Settings
from analytics.main import create_app
from analytics.models import Base
from analytics.sales.deduplication import AcceptedLine
from analytics.sales.schemas import line_row
from prm_contracts.principal import Principal
from prm_contracts.sales import SalesTransaction
from prm_kit.outbox import outbox_event
from prm_kit.testing import ADMIN, TEST_SECRET, internal_headers
from sqlalchemy.ext.asyncio import AsyncSession

OWN_PARTNER, OTHER_PARTNER = (
    UUID("00000000-0000-4000-8000-00000000000a"),
    UUID("00000000-0000-4000-8000-00000000000b"),
)
CALLERS: dict[str, Principal] = {
    "admin": ADMIN,
    "writer": Principal(subject="key:writer", scopes=frozenset({"analytics:write"})),
    "reader": Principal(subject="key:reader", scopes=frozenset({"analytics:read"})),
    "outsider": Principal(subject="key:outsider", scopes=frozenset({"partners:read", "incentives:write"})),
    "own partner": Principal(subject="key:own", scopes=frozenset({"analytics:read"}), partner_id=OWN_PARTNER),
    "other partner": Principal(
        subject="key:other", scopes=frozenset({"analytics:read"}), partner_id=OTHER_PARTNER
    ),
    "webhook": Principal(subject="webhook:anonymous", scopes=frozenset()),
}
NAMES = list(CALLERS)

# expected status per caller, in the order of CALLERS
MATRIX: dict[str, tuple[int, ...]] = {
    # signed by the partner, never by a credential: without a signature every caller is a 401
    "receive_partner_sales_webhook": (401, 401, 401, 401, 401, 401, 401),
    "list_sales_lines": (200, 200, 200, 403, 200, 200, 403),
    # the line is OWN_PARTNER's; another partner's credential is told it does not exist
    "get_sales_line": (200, 200, 200, 403, 200, 404, 403),
    # OWN_PARTNER is in the replica; operations taking a period are sent period=2026
    "get_partner_kpis": (200, 200, 200, 403, 200, 404, 403),
    "list_anomaly_flags": (200, 200, 200, 403, 200, 200, 403),
    "get_anomaly_flag": (404, 404, 404, 403, 404, 404, 403),  # no such flag: refusals come first
    # an empty body is a 422 for whoever may review; a partner's own credential never may
    "review_anomaly_flag": (422, 422, 403, 403, 403, 403, 403),
    # ecosystem views: never for a partner's own credential (kpi / by are missing: 422 for the others)
    "get_leaderboard": (422, 422, 422, 403, 403, 403, 403),
    "get_revenue_by_segment": (422, 422, 422, 403, 403, 403, 403),
    "get_concentration": (200, 200, 200, 403, 403, 403, 403),
    "get_time_series": (200, 200, 200, 403, 403, 403, 403),
    "get_cohorts": (200, 200, 200, 403, 403, 403, 403),
    # CSV exports: a partner's own credential exports its own lines, flags and KPIs, and no ecosystem view
    "export_sales_lines": (200, 200, 200, 403, 200, 200, 403),
    "export_anomaly_flags": (200, 200, 200, 403, 200, 200, 403),
    # OTHER_PARTNER's line is stored without rollups: analytics does not know it as a partner with KPIs
    "export_kpi_snapshots": (200, 200, 200, 403, 200, 404, 403),
    "export_leaderboard": (422, 422, 422, 403, 403, 403, 403),
    "export_revenue_by_segment": (422, 422, 422, 403, 403, 403, 403),
    "export_concentration": (200, 200, 200, 403, 403, 403, 403),
    "export_time_series": (200, 200, 200, 403, 403, 403, 403),
    "export_cohorts": (200, 200, 200, 403, 403, 403, 403),
}
REFUSED = (401, 403)
METHODS = {"get", "post", "put", "patch", "delete"}


def _operations() -> dict[str, tuple[str, str]]:
    return {
        operation["operationId"]: (method.upper(), path)
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _taking_a_period() -> set[str]:
    return {
        operation["operationId"]
        for item in DOCUMENT["paths"].values()
        for method, operation in item.items()
        if method in METHODS
        and any(p["in"] == "query" and p["name"] == "period" for p in operation.get("parameters", []))
    }


DOCUMENT = create_app(Settings(internal_secret=TEST_SECRET)).openapi()


OPERATIONS = _operations()
TAKING_A_PERIOD = _taking_a_period()


def _cases() -> list[Any]:
    cases = []
    for name, (method, _path) in sorted(OPERATIONS.items()):
        if name in MATRIX:
            expected: dict[str, int | tuple[int, ...]] = dict(zip(NAMES, MATRIX[name], strict=True))
        else:
            expected = {"outsider": REFUSED, "webhook": REFUSED}
            if method != "GET":
                expected["reader"] = REFUSED
        cases += [
            pytest.param(name, caller, status, id=f"{name} by {caller}")
            for caller, status in expected.items()
        ]
    return cases


def test_the_matrix_names_only_operations_that_exist() -> None:
    assert set(MATRIX) <= set(OPERATIONS)


async def _stored_counts(db: AsyncSession) -> dict[str, int]:
    tables = [*Base.metadata.sorted_tables, outbox_event]
    return {
        table.name: int(await db.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
        for table in tables
    }


async def _a_line_of(db: AsyncSession, partner_id: UUID) -> UUID:
    line = SalesTransaction.model_validate(
        {
            "external_id": f"M-{uuid4()}",
            "kind": "sale",
            "occurred_on": "2026-06-15",
            "payment_status": "paid",
            "customer": {"name": "Globex"},
            "product": {"sku": "NET-100", "category": "networking"},
            "quantity": "1",
            "unit_price": "10.00",
            "amount": "10.00",
            "currency": "EUR",
        }
    )
    accepted = AcceptedLine(line=line, line_id=uuid4(), content_hash="0" * 64)
    row = line_row(accepted, partner_id=partner_id, webhook_id="msg_matrix", received_at=datetime.now(UTC))
    await db.execute(sa.insert(Base.metadata.tables["sales_line"]).values(**row))
    return accepted.line_id


@pytest.mark.asyncio
@pytest.mark.parametrize(("operation", "caller", "expected"), _cases())
async def test_access_matrix(
    client: httpx.AsyncClient, db: AsyncSession, operation: str, caller: str, expected: int | tuple[int, ...]
) -> None:
    method, path = OPERATIONS[operation]
    line_id = await _a_line_of(db, OWN_PARTNER)
    await db.execute(
        sa.insert(Base.metadata.tables["partner_dimension"]).values(
            partner_id=OWN_PARTNER, updated_at=datetime.now(UTC)
        )
    )
    await _a_line_of(db, OTHER_PARTNER)
    values = {"partner_id": OWN_PARTNER, "line_id": line_id}
    url = path.format_map(_Placeholders(values))
    before = await _stored_counts(db)

    response = await client.request(
        method,
        url,
        json={} if method in {"POST", "PUT", "PATCH"} else None,
        params={"period": "2026"} if operation in TAKING_A_PERIOD else None,
        headers=internal_headers(CALLERS[caller]),
    )

    allowed = expected if isinstance(expected, tuple) else (expected,)
    assert response.status_code in allowed, response.text
    if response.status_code in REFUSED:
        assert response.headers["content-type"] == "application/problem+json"
        assert await _stored_counts(db) == before
    if operation == "list_sales_lines" and caller in {"own partner", "other partner"}:
        bound = CALLERS[caller].partner_id
        assert {item["partner_id"] for item in response.json()["items"]} == {str(bound)}
    if operation in {"export_sales_lines", "export_kpi_snapshots"} and caller == "own partner":
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert rows
        assert {row["partner_id"] for row in rows} == {str(OWN_PARTNER)}


class _Placeholders(dict[str, Any]):
    """Path parameters: the arranged records by name, any other a fresh UUID (refusals come before lookups)."""

    def __missing__(self, key: str) -> str:
        return str(uuid4())
