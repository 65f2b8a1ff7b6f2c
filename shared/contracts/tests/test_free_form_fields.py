"""The free-form objects of partner bodies (an application's questionnaire, a partner's custom attributes)
refuse what JSON cannot carry as `JsonObject` does, before their size is measured: a lone surrogate or a
number JSON has not is a refusal saying where, never a value changed on the way or an encoder's error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from prm_contracts.applications import ApplicationIn
from prm_contracts.partners import PartnerIn, PartnerPatch
from pydantic import BaseModel, ValidationError

COMPANY = {"legal_name": "Q Inf GmbH", "partner_type": "reseller", "country": "DE"}

# (model, the body around the free-form object, the object's field)
FREE_FORM_FIELDS = [
    (ApplicationIn, {"company": COMPANY}, "questionnaire"),
    (PartnerIn, COMPANY, "custom_attributes"),
    (PartnerPatch, {}, "custom_attributes"),
]
# JSON text of the object, as Python's json reads it: (text, error type, the message's start)
UNFIT_OBJECTS = [
    ('{"certified_engineers": Infinity}', "non_finite_number", 'at ["certified_engineers"]: NaN, Infinity'),
    ('{"n": NaN}', "non_finite_number", 'at ["n"]: '),
    ('{"n": [-Infinity]}', "non_finite_number", 'at ["n"][0]: '),
    ('{"n": {"m": 1e999}}', "non_finite_number", 'at ["n"]["m"]: '),
    # measuring the size would fail to encode this one: the JSON check must come first
    ('{"q": "\\ud800"}', "lone_surrogate", 'at ["q"]: a lone UTF-16 surrogate'),
    ('{"\\udc00": 1}', "lone_surrogate", 'the key "\\udc00"'),
]


def refusal(model: type[BaseModel], body: dict[str, Any], field: str, text: str) -> dict[str, Any]:
    """The one error refusing `body` with `text` (JSON text) as its `field`."""
    sent = json.dumps({**body, field: "OBJECT"}).replace('"OBJECT"', text)
    with pytest.raises(ValidationError) as caught:
        model.model_validate(json.loads(sent))
    [error] = caught.value.errors()
    return {"loc": error["loc"], "type": error["type"], "msg": error["msg"]}


@pytest.mark.parametrize(("model", "body", "field"), FREE_FORM_FIELDS)
@pytest.mark.parametrize(("text", "type_", "msg_start"), UNFIT_OBJECTS)
def test_what_json_cannot_carry_is_refused_at_the_free_form_field(
    model: type[BaseModel], body: dict[str, Any], field: str, text: str, type_: str, msg_start: str
) -> None:
    error = refusal(model, body, field, text)

    assert (error["loc"], error["type"]) == ((field,), type_)
    assert error["msg"].startswith(msg_start), error["msg"]


@pytest.mark.parametrize(("model", "body", "field"), FREE_FORM_FIELDS)
def test_what_json_carries_is_kept_as_sent(model: type[BaseModel], body: dict[str, Any], field: str) -> None:
    sent = {"engineers": 4, "share": 0.25, "big": 1e308, "mood": "\U0001f600", "flags": [True, None]}

    assert getattr(model.model_validate({**body, field: sent}), field) == sent
