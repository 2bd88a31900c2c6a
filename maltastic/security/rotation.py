"""Check that stored secrets open with the configured keys, and seal them again."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from maltastic.integrations.models import IntegrationCredential
from maltastic.security.secrets import SecretBox, SecretDecryptionError
from maltastic.tracking.models import TokenSigningKey


def reseal_all(session: Session, box: SecretBox) -> int:
    """Re-encrypt the secrets of every tenant in `session` (unscoped); return the count.

    Raises SecretDecryptionError when a value opens with none of the keys. The caller
    then rolls back, so either every value or none is sealed again.
    """
    rows = sealed_rows(session)
    for row in rows:
        row.secret_ciphertext = box.reseal(row.secret_ciphertext)
    return len(rows)


def unreadable_secret_count(session: Session, box: SecretBox) -> int:
    """Count the stored secrets (of every tenant in `session`) that no key opens."""
    unreadable = 0
    for row in sealed_rows(session):
        try:
            box.open(row.secret_ciphertext)
        except SecretDecryptionError:
            unreadable += 1
    return unreadable


def sealed_rows(session: Session) -> list[TokenSigningKey | IntegrationCredential]:
    """Return every row whose `secret_ciphertext` is sealed with the secret key."""
    return [
        *session.scalars(select(TokenSigningKey)),
        *session.scalars(select(IntegrationCredential)),
    ]


def secrets_problem(session: Session, box: SecretBox) -> str | None:
    """Return why the product must not start with these keys, or None when all secrets open."""
    unreadable = unreadable_secret_count(session, box)
    if not unreadable:
        return None
    return (
        f"{unreadable} stored secret(s) cannot be decrypted with MALTASTIC_SECRET_KEY, so "
        "tracking links and integrations would fail: set the key they were encrypted "
        "with, or add it to MALTASTIC_PREVIOUS_SECRET_KEYS and run `maltastic secrets rotate`"
    )
