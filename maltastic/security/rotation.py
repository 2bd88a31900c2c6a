"""Seal every stored secret again with the current secret key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from maltastic.integrations.models import IntegrationCredential
from maltastic.security.secrets import SecretBox
from maltastic.tracking.models import TokenSigningKey


def reseal_all(session: Session, box: SecretBox) -> int:
    """Re-encrypt the secrets of every tenant in `session` (unscoped); return the count.

    Raises SecretDecryptionError when a value opens with none of the keys; the caller
    then rolls back, so either every value or none is sealed again.
    """
    rows: list[TokenSigningKey | IntegrationCredential] = [
        *session.scalars(select(TokenSigningKey)),
        *session.scalars(select(IntegrationCredential)),
    ]
    for row in rows:
        row.secret_ciphertext = box.reseal(row.secret_ciphertext)
    return len(rows)
