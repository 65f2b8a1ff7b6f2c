"""The declarative base pattern each service's ORM models use."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import MetaData, Uuid
from sqlalchemy.orm import DeclarativeBase

from prm_kit.db.types import ExactDecimal, JSONDocument, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TYPE_ANNOTATION_MAP: dict[Any, Any] = {
    Decimal: ExactDecimal(19, 4),
    datetime: UTCDateTime(),
    dict[str, Any]: JSONDocument,
    uuid.UUID: Uuid(),
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class ServiceBase(DeclarativeBase):
    """Subclass once per service with its own `metadata = new_metadata()`."""

    __abstract__ = True
    type_annotation_map = TYPE_ANNOTATION_MAP
