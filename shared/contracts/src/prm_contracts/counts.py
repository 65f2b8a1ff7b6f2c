"""Whole numbers as they cross boundaries: JSON integers, never strings or booleans.

JSON Schema counts `1990.0` as an integer, so a document saying `"type": "integer"` promises to take it, while
pydantic's strict mode (which refuses `"1990"` and `true`, as we want) refuses it too. `WHOLE_NUMBER`, after a
strict int's `Field` (before it, pydantic would not write the bounds into the document), turns an integral
float into its int, so that the field takes what the document says.

    EmployeeCount = Annotated[int, Field(ge=0, strict=True), WHOLE_NUMBER]
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field


def _integral_float(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WHOLE_NUMBER = BeforeValidator(_integral_float)


# Far above any real count of versions, far below the database's integer: a made-up number is refused (422)
# or not found (404), never an overflow where it is stored or compared.
MAX_VERSION_NUMBER = 1_000_000
VersionNumber = Annotated[int, Field(ge=1, le=MAX_VERSION_NUMBER)]
