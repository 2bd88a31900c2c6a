"""Encryption of secrets at rest (integration credentials, token signing keys).

Values are sealed with Fernet (AES-128-CBC with HMAC-SHA256) under a key derived from
the process secret key with HKDF, so the database alone never reveals them.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_KEY_PURPOSE = b"maltastic secrets at rest v1"


class SecretDecryptionError(Exception):
    """Stored ciphertext could not be opened, usually because the secret key changed."""


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_PURPOSE).derive(
            secret_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, plaintext: bytes) -> bytes:
        return self._fernet.encrypt(plaintext)

    def open(self, ciphertext: bytes) -> bytes:
        try:
            return self._fernet.decrypt(ciphertext)
        except InvalidToken:
            raise SecretDecryptionError(
                "stored secret cannot be decrypted: MALTASTIC_SECRET_KEY differs from the "
                "key it was encrypted with; restore the old key or enter the secret again"
            ) from None
