from prm_kit.db.base import NAMING_CONVENTION, TYPE_ANNOTATION_MAP, ServiceBase, new_metadata
from prm_kit.db.constraints import one_of
from prm_kit.db.engine import make_engine, make_session_factory
from prm_kit.db.ids import ordered_id
from prm_kit.db.session import SessionDep, end_reading, request_session
from prm_kit.db.types import ExactDecimal, JSONDocument, UTCDateTime
from prm_kit.db.versions import Versioned, bump_version

__all__ = [
    "NAMING_CONVENTION",
    "TYPE_ANNOTATION_MAP",
    "ExactDecimal",
    "JSONDocument",
    "ServiceBase",
    "SessionDep",
    "UTCDateTime",
    "Versioned",
    "bump_version",
    "end_reading",
    "make_engine",
    "make_session_factory",
    "new_metadata",
    "one_of",
    "ordered_id",
    "request_session",
]
