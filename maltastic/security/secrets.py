"""Encryption of secrets at rest (integration credentials, token signing keys).

Values are sealed with Fernet (AES-128-CBC with HMAC-SHA256) under a key derived from
the process secret key with HKDF, so the database alone never reveals them. Previous
secret keys still open what they sealed, so the key can be changed first and the stored
values sealed again afterwards (`maltastic secrets rotate`).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_KEY_PURPOSE = b"maltastic secrets at rest v1"


class SecretDecryptionError(Exception):
    """Stored ciphertext could not be opened, usually because the secret key changed."""


class SecretBox:
    """Seals with the current secret key; opens with it or any of `previous_keys`."""

    def __init__(self, secret_key: str, previous_keys: Sequence[str] = ()) -> None:
        self._fernet = MultiFernet([_fernet(key) for key in (secret_key, *previous_keys)])

    def seal(self, plaintext: bytes) -> bytes:
        return self._fernet.encrypt(plaintext)

    def reseal(self, ciphertext: bytes) -> bytes:
        """Return `ciphertext` sealed again with the current key."""
        try:
            return self._fernet.rotate(ciphertext)
        except InvalidToken:
            raise SecretDecryptionError(
                "stored secret cannot be decrypted with MALTASTIC_SECRET_KEY or any of "
                "MALTASTIC_PREVIOUS_SECRET_KEYS: add the key it was encrypted with"
            ) from None

    def open(self, ciphertext: bytes) -> bytes:
        try:
            return self._fernet.decrypt(ciphertext)
        except InvalidToken:
            raise SecretDecryptionError(
                "stored secret cannot be decrypted: MALTASTIC_SECRET_KEY differs from the "
                "key it was encrypted with; restore the old key or enter the secret again"
            ) from None


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_PURPOSE).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))
