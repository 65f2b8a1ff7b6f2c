"""The shape of an API key, `prm_<8-char id>_<secret>`, and how its secret is stored.

The id (lowercase letters and digits) finds the row; only a SHA-256 digest of the secret part is stored.
A fast hash is right here: the secret is 32 random bytes, so there is nothing to brute-force that a slow
password hash would protect, and verification stays cheap on a cache miss.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from dataclasses import dataclass

_ID_ALPHABET = string.ascii_lowercase + string.digits
ID_LENGTH = 8
SECRET_MIN_LENGTH = 32
_SECRET_BYTES = 32  # token_urlsafe(32): 43 characters
_KEY = re.compile(r"prm_([a-z0-9]{8})_([A-Za-z0-9_-]{32,256})")
KEY_FORMAT_DESCRIPTION = (
    "'prm_' + 8 lowercase letters or digits + '_' + at least 32 URL-safe characters (A-Z a-z 0-9 - _)"
)


@dataclass(frozen=True, slots=True)
class ParsedKey:
    prefix: str  # "prm_<id>": stored in clear, shown in listings, finds the row
    secret: str


def parse_key(plaintext: str) -> ParsedKey | None:
    """The parts of a well-formed key, or None (then it cannot be one of ours)."""
    found = _KEY.fullmatch(plaintext)
    if found is None:
        return None
    return ParsedKey(prefix=f"prm_{found.group(1)}", secret=found.group(2))


def new_key() -> tuple[str, ParsedKey]:
    """A fresh random key: its plaintext (shown once) and its parts."""
    key_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(ID_LENGTH))
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    parsed = ParsedKey(prefix=f"prm_{key_id}", secret=secret)
    return f"{parsed.prefix}_{secret}", parsed


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def secret_matches(secret: str, digest: str) -> bool:
    return secrets.compare_digest(secret_digest(secret), digest)
