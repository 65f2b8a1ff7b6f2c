"""Webhook signing secrets: how they are made, fingerprinted, and encrypted at rest. Pure, no I/O.

A secret is `whsec_` + the base64 of 32 random bytes, the Standard Webhooks format (which asks for 24 to
64 bytes). It is stored encrypted with Fernet (AES-128-CBC + HMAC-SHA256): the registry must hand the secret
to analytics later, so it cannot be a hash, and a copy of the database alone reveals nothing.

The keys are `webhook_secret_keys` (Fernet keys of their own: the first encrypts, every one decrypts, so a
key is rotated by putting a new one first), followed by keys derived by HKDF-SHA256 from key material (the
older `webhook_secret_key`, then the internal secret), which encrypted everything before such keys existed
and still encrypt when none is set: secrets stored under any of them stay readable.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from prm_contracts.problem import AppError
from prm_contracts.webhook_secrets import WEBHOOK_SECRET_PREFIX

SECRET_BYTES = 32
_HKDF_INFO = b"prm partner-registry webhook secrets v1"


def new_secret() -> str:
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def fingerprint(secret: str) -> str:
    """12 hex digits of the secret's SHA-256: enough to tell a partner's secrets apart, useless to forge."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def derived_key(key_material: str) -> bytes:
    """The Fernet key HKDF-SHA256 derives from `key_material`."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(key_material.encode())
    return base64.urlsafe_b64encode(key)


class SecretBox:
    """Encrypts with the first key and decrypts with any: the `fernet_keys` in order, then the keys derived
    from each `key_material`."""

    def __init__(self, *key_material: str, fernet_keys: Sequence[str] = ()) -> None:
        keys = [key.encode("ascii") for key in fernet_keys] + [derived_key(m) for m in key_material]
        if not keys:
            raise ValueError("a SecretBox needs at least one key")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except InvalidToken as exc:
            # a plain 500: a subclass of AppError for 500 would become what every service's 500 is parsed as
            raise AppError(
                "a stored webhook secret cannot be decrypted with any configured key; was a key removed "
                "from PRM_WEBHOOK_SECRET_KEYS, or PRM_WEBHOOK_SECRET_KEY or PRM_INTERNAL_SECRET changed? "
                "Put the old key back (last in PRM_WEBHOOK_SECRET_KEYS) or issue new secrets."
            ) from exc


@lru_cache(maxsize=4)
def secret_box(fernet_keys: tuple[str, ...], key_material: tuple[str, ...]) -> SecretBox:
    """The box of these keys, built once (deriving a key is deliberately not free)."""
    return SecretBox(*key_material, fernet_keys=fernet_keys)
