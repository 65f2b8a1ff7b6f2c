"""`one_of`: the CHECK that keeps a column to an enum's values, enforced by the database itself."""

from __future__ import annotations

from enum import StrEnum

import pytest
import sqlalchemy as sa
from prm_kit.db import one_of


class Colour(StrEnum):
    RED = "red"
    GREEN = "green"


def test_one_of_an_enum_lists_its_values() -> None:
    assert one_of("colour", Colour) == "colour IN ('red', 'green')"
    assert one_of("colour", ["a", "it's"]) == "colour IN ('a', \"it's\")"


def test_the_database_refuses_a_value_outside_the_enum() -> None:
    metadata = sa.MetaData()
    table = sa.Table(
        "paint",
        metadata,
        sa.Column("colour", sa.String(10)),
        sa.CheckConstraint(one_of("colour", Colour), name="ck_paint_colour"),
    )
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(sa.insert(table).values(colour="red"))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(sa.insert(table).values(colour="blue"))
