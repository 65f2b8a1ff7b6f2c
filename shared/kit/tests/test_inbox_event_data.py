from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from prm_contracts.events import EventEnvelope
from prm_contracts.problem import UnprocessableContent
from prm_kit.inbox import event_data
from pydantic import BaseModel

pytestmark = pytest.mark.backend_independent

EVENT_ID = UUID("00000000-0000-4000-8000-000000000001")


class Paid(BaseModel):
    partner_id: UUID
    amount: Decimal


def _event(data: dict[str, Any]) -> EventEnvelope[dict[str, Any]]:
    return EventEnvelope[dict[str, Any]](
        id=EVENT_ID,
        type="payout.paid",
        occurred_at=datetime(2026, 7, 1, tzinfo=UTC),
        source="test",
        data=data,
    )


def test_event_data_is_the_contracts_model() -> None:
    paid = event_data(_event({"partner_id": str(EVENT_ID), "amount": "12.30"}), Paid)

    assert paid == Paid(partner_id=EVENT_ID, amount=Decimal("12.30"))


def test_data_off_the_contract_is_a_422_naming_the_event_and_the_field() -> None:
    with pytest.raises(UnprocessableContent) as refused:
        event_data(_event({"partner_id": "not-a-uuid", "amount": "12.30"}), Paid)

    assert refused.value.status == 422
    assert f"event {EVENT_ID} (payout.paid) does not match its contract" in refused.value.detail
    assert "partner_id" in refused.value.detail
