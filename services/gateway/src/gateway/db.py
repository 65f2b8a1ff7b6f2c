"""The declarative base of the gateway's tables (its own small database: API keys)."""

from prm_kit.db import ServiceBase, new_metadata


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()
