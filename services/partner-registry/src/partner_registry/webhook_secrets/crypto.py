"""Webhook signing secrets: how they are made, fingerprinted, and encrypted at rest. Pure, no I/O.

A secret is `whsec_` + the base64 of 32 random bytes, the Standard Webhooks format (which asks for 24 to
64 bytes). It is stored encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived by HKDF-SHA256
from the configured key material (the internal secret unless `webhook_secret_key` is set): the registry must
hand the secret to analytics later, so it cannot be a hash, and a copy of the database alone reveals nothing.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
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


class SecretBox:
    """Encrypts and decrypts secrets with a key derived from `key_material`."""

    def __init__(self, key_material: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
            key_material.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except InvalidToken as exc:
            # a plain 500: a subclass of AppError for 500 would become what every service's 500 is parsed as
            raise AppError(
                "a stored webhook secret cannot be decrypted with the configured key; was the key "
                "material (PRM_WEBHOOK_SECRET_KEY or PRM_INTERNAL_SECRET) changed? Issue new secrets."
            ) from exc


@lru_cache(maxsize=4)
def secret_box(key_material: str) -> SecretBox:
    return SecretBox(key_material)
