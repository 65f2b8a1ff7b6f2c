"""The webhook's request examples in the OpenAPI document are what an integrator tries first: each one, signed,
is accepted as it stands (an example composed field by field broke amount = quantity x unit_price)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from .factories import Sender
from .fakes import FakeRegistry

pytestmark = pytest.mark.asyncio

WEBHOOK = "/v1/webhooks/partners/{partner_id}/sales"


async def test_each_documented_request_example_is_accepted_as_it_stands(
    app: FastAPI, sender: Sender, registry: FakeRegistry
) -> None:
    examples = app.openapi()["paths"][WEBHOOK]["post"]["requestBody"]["content"]["application/json"][
        "examples"
    ]
    partner_id, secret = registry.partner()

    answers = {
        name: await sender.send(partner_id, secret, example["value"]) for name, example in examples.items()
    }

    assert set(answers) == {"sales_reported", "payment_updated"}  # the sale first: the payment names it
    for name, response in answers.items():
        assert response.status_code == 200, (name, response.text)
        assert response.json()["counts"]["rejected"] == 0, name
        assert response.json()["counts"]["accepted"] >= 1, name
