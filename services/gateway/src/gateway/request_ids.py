"""Request ids on the proxy path: the kit's rules for a caller's id, a cheaper way to make new ones.

A new id has the kit's shape (32 lowercase hex digits) but is a random per-process prefix plus a
counter rather than a fresh uuid4: ids need to be unique, not unpredictable, and making a uuid4 was
the single most expensive step of a proxied request after the network.
"""

from __future__ import annotations

import itertools
import os

from prm_kit.request_id import accept_request_id

_PREFIX = os.urandom(10).hex()  # 80 random bits: processes (and restarts) do not collide
_COUNTER = itertools.count()


def new_request_id() -> str:
    return f"{_PREFIX}{next(_COUNTER) & 0xFFFFFFFFFFFF:012x}"


def request_id_from(incoming: bytes | None) -> str:
    """The caller's id when it is acceptable (kept, so one id follows a request across systems), else a new one."""
    if incoming is None:
        return new_request_id()
    return accept_request_id(incoming.decode("latin-1"))
