from prm_kit.db.base import NAMING_CONVENTION, TYPE_ANNOTATION_MAP, ServiceBase, new_metadata
from prm_kit.db.engine import make_engine, make_session_factory
from prm_kit.db.session import SessionDep, request_session
from prm_kit.db.types import ExactDecimal, JSONDocument, UTCDateTime

__all__ = [
    "NAMING_CONVENTION",
    "TYPE_ANNOTATION_MAP",
    "ExactDecimal",
    "JSONDocument",
    "ServiceBase",
    "SessionDep",
    "UTCDateTime",
    "make_engine",
    "make_session_factory",
    "new_metadata",
    "request_session",
]
