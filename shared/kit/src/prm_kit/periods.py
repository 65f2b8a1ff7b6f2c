"""A period (`2026`, `2026-Q3`, `2026-07`) as a path or query parameter, declared once for every service's routes: its
pattern stated in the document, the value parsed by the handler with `prm_contracts.periods.parse_period`
(which names what is wrong with it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from prm_contracts.periods import PERIOD_IN_DOCUMENT

PERIOD_DESCRIPTION = "A year (`2026`), a quarter (`2026-Q3`) or a month (`2026-07`)."

PeriodPath = Annotated[
    str, Path(max_length=16, description=PERIOD_DESCRIPTION, json_schema_extra=PERIOD_IN_DOCUMENT)
]
PeriodQuery = Annotated[
    str | None, Query(max_length=16, description=PERIOD_DESCRIPTION, json_schema_extra=PERIOD_IN_DOCUMENT)
]
