"""The declarative base of this service's tables."""

from prm_kit.db import ServiceBase, new_metadata


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()
