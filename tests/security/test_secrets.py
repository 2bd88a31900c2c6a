"""Secrets at rest are encrypted and need the same secret key to open."""

import pytest

from maltastic.security.passwords import WeakPasswordError, hash_password, verify_password
from maltastic.security.secrets import SecretBox, SecretDecryptionError

KEY = "a-secret-key-of-more-than-32-characters"


def test_sealed_value_opens_again() -> None:
    box = SecretBox(KEY)
    assert box.open(box.seal(b"hubspot-token")) == b"hubspot-token"


def test_ciphertext_hides_plaintext() -> None:
    assert b"hubspot-token" not in SecretBox(KEY).seal(b"hubspot-token")


def test_other_key_cannot_open() -> None:
    sealed = SecretBox(KEY).seal(b"hubspot-token")
    with pytest.raises(SecretDecryptionError, match="MALTASTIC_SECRET_KEY"):
        SecretBox(KEY + "x").open(sealed)


def test_password_hash_verifies() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "wrong horse battery")


def test_short_password_is_rejected() -> None:
    with pytest.raises(WeakPasswordError, match="at least 10"):
        hash_password("kurz")


NEW_KEY = "the-new-secret-key-of-more-than-32-characters"


def test_previous_key_opens_and_reseals() -> None:
    sealed_with_old = SecretBox(KEY).seal(b"hubspot-token")
    box = SecretBox(NEW_KEY, previous_keys=[KEY])
    assert box.open(sealed_with_old) == b"hubspot-token"

    resealed = box.reseal(sealed_with_old)

    assert SecretBox(NEW_KEY).open(resealed) == b"hubspot-token"
    with pytest.raises(SecretDecryptionError):
        SecretBox(KEY).open(resealed)


def test_reseal_names_missing_previous_key() -> None:
    sealed = SecretBox(KEY).seal(b"hubspot-token")
    with pytest.raises(SecretDecryptionError, match="MALTASTIC_PREVIOUS_SECRET_KEYS"):
        SecretBox(NEW_KEY).reseal(sealed)
