"""The CSV shape of answer models, without a database."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from prm_contracts.kpis import Kpi
from prm_kit.csv_rows import cells, columns, csv_bytes, defused
from pydantic import BaseModel


class _Inner(BaseModel):
    a: str
    b: int | None


class _Outer(BaseModel):
    name: str
    kpi: Kpi
    inner: _Inner | None
    tags: list[str]
    flag: bool


def test_nested_models_flatten_into_columns_and_null_is_empty() -> None:
    item = _Outer(
        name='Acme, "the" GmbH\nBerlin',
        kpi=Kpi(value=Decimal("-0.125000"), reason=None, unit="ratio"),
        inner=None,
        tags=["x", "y"],
        flag=False,
    )

    assert columns(_Outer) == [
        "name",
        "kpi_value",
        "kpi_reason",
        "kpi_unit",
        "inner_a",
        "inner_b",
        "tags",
        "flag",
    ]
    assert cells(item) == ['Acme, "the" GmbH\nBerlin', "-0.125000", "", "ratio", "", "", '["x","y"]', "false"]
    text = csv_bytes([columns(_Outer), cells(item)]).decode()
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        columns(_Outer),
        cells(item),
    ]  # quoted round trip


def test_formulas_are_defused_and_numbers_are_not() -> None:
    assert [defused(t) for t in ("=1+2", "+A1", "-cmd", "@SUM(A1)", "\tx", "-12.5", "+3", "plain", "")] == [
        "'=1+2",
        "'+A1",
        "'-cmd",
        "'@SUM(A1)",
        "'\tx",
        "-12.5",
        "+3",
        "plain",
        "",
    ]
