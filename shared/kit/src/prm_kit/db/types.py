"""Column types that keep PostgreSQL's proper types and stay exact on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Context, Decimal, localcontext
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# Wide enough for every column's value and for sums of them up to 10^54; one context passed to each operation
# instead of a `localcontext()` entered per value (the cost of reading an aggregate of thousands of rows).
_WIDE = Context(prec=60)


class NumberOutOfRange(ValueError):
    """A value beyond what its ExactDecimal column stores exactly: a 422 (prm_kit.errors), as PostgreSQL's
    own 22003 is, since each number a client sends is bounded but a total kept of many is not."""


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC(precision, scale) on PostgreSQL; on SQLite a scaled 64-bit integer.

    SQLite has no decimal type: its NUMERIC is a float. Storing `amount * 10**scale` as an integer keeps
    values and SQL `SUM` exact there (SUM of a column of this type comes back through this type).
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 19, scale: int = 4) -> None:
        if precision >= _WIDE.prec:
            raise ValueError(
                f"precision {precision} is beyond the {_WIDE.prec} digits values are checked with"
            )
        super().__init__()
        self.precision = precision
        self.scale = scale
        self._factor = Decimal(10) ** scale
        self._quantum = Decimal(1).scaleb(-scale)
        self._limit = Decimal(10) ** (precision - scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """Refuse, on every backend, what the column cannot hold exactly: PostgreSQL would round silently."""
        if value is None:
            return None
        value = Decimal(value)
        if not value.is_finite():
            raise ValueError(f"{value} is not a finite decimal")
        if abs(value) >= self._limit:
            raise NumberOutOfRange(f"{value} does not fit NUMERIC({self.precision}, {self.scale})")
        # |value| < 10**(precision - scale) <= 10**59: at 60 digits the arithmetic below is exact
        if _WIDE.remainder(value, self._quantum) != 0:
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        scaled = int(_WIDE.multiply(value, self._factor))
        if dialect.name == "sqlite":
            if not _INT64_MIN <= scaled <= _INT64_MAX:
                largest = Decimal(_INT64_MAX) / self._factor
                raise NumberOutOfRange(
                    f"{value} is beyond what SQLite stores exactly in this column (±{largest})"
                )
            return scaled
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        # SQLite hands back the scaled integer; PostgreSQL the NUMERIC (a SUM may have more digits than a column)
        number = Decimal(int(value)).scaleb(-self.scale) if dialect.name == "sqlite" else Decimal(value)
        if number.adjusted() + self.scale + 2 <= _WIDE.prec:
            return number.quantize(self._quantum, context=_WIDE)
        with localcontext() as exact:
            exact.prec = max(exact.prec, number.adjusted() + self.scale + 2)
            return number.quantize(self._quantum)


class UTCDateTime(TypeDecorator[datetime]):
    """timestamptz on PostgreSQL; on SQLite an ISO string. Always aware UTC in Python."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONDocument = JSON().with_variant(JSONB(), "postgresql")
