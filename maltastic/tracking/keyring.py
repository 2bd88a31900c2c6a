"""Tenants' token signing keys in memory, loaded from the encrypted `TokenSigningKey` rows.

A `Keyring` is immutable. To pick up new or rotated keys, load a fresh one and replace
the reference that request handlers read. Assigning one attribute is atomic, so a
request gets either the old or the new keyring, never a mix.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from maltastic.db.base import utc_now
from maltastic.db.tenancy import session_tenant_id
from maltastic.security.secrets import SecretBox, SecretDecryptionError
from maltastic.tracking.models import TokenSigningKey

logger = logging.getLogger(__name__)

SECRET_LENGTH = 32  # bytes of a new HMAC-SHA256 key


class MissingSigningKeyError(LookupError):
    """A tenant has no active token signing key, so no token can be issued for it."""


@dataclass(frozen=True)
class TenantKeys:
    """One tenant's secrets by key id and the id of the key that signs new tokens."""

    active_key_id: int | None
    secrets: Mapping[int, bytes] = field(default_factory=dict)


class Keyring:
    """Secrets of every loaded tenant by key id, with each tenant's active key for signing."""

    def __init__(self, tenants: Mapping[int, TenantKeys] | None = None) -> None:
        self._tenants: Mapping[int, TenantKeys] = MappingProxyType(dict(tenants or {}))

    def secret(self, tenant_id: int, key_id: int) -> bytes | None:
        keys = self._tenants.get(tenant_id)
        return None if keys is None else keys.secrets.get(key_id)

    def active_key(self, tenant_id: int) -> tuple[int, bytes]:
        keys = self._tenants.get(tenant_id)
        if keys is None or keys.active_key_id is None:
            raise MissingSigningKeyError(
                f"tenant {tenant_id} has no usable token signing key: either none was "
                "created (ensure_signing_key creates one) or it was encrypted with another "
                "MALTASTIC_SECRET_KEY (see `maltastic secrets rotate`)"
            )
        return keys.active_key_id, keys.secrets[keys.active_key_id]

    def tenant_ids(self) -> frozenset[int]:
        return frozenset(self._tenants)


def load_keyring(session: Session, secret_box: SecretBox) -> Keyring:
    """Decrypt every signing key the session can see into a new Keyring.

    An unscoped session loads all tenants; a tenant session loads that tenant only. A key
    that cannot be decrypted is skipped and logged, so one bad row does not stop the others.
    """
    rows = session.scalars(select(TokenSigningKey).order_by(TokenSigningKey.key_id))
    return build_keyring(rows, secret_box)


def build_keyring(rows: Iterable[TokenSigningKey], secret_box: SecretBox) -> Keyring:
    secrets_by_tenant: dict[int, dict[int, bytes]] = {}
    active: dict[int, int] = {}
    for row in rows:
        try:
            secret = secret_box.open(row.secret_ciphertext)
        except SecretDecryptionError:
            logger.error(
                "token signing key %s of tenant %s cannot be decrypted, so tokens signed with "
                "it will not verify; restore the MALTASTIC_SECRET_KEY that encrypted it",
                row.key_id,
                row.tenant_id,
            )
            continue
        secrets_by_tenant.setdefault(row.tenant_id, {})[row.key_id] = secret
        # Rows arrive by ascending key id, so the newest active key wins.
        if row.active:
            active[row.tenant_id] = row.key_id
    return Keyring(
        {
            tenant_id: TenantKeys(active.get(tenant_id), MappingProxyType(keys))
            for tenant_id, keys in secrets_by_tenant.items()
        }
    )


def ensure_signing_key(session: Session, secret_box: SecretBox) -> TokenSigningKey:
    """Return the tenant's active key, creating the first one when there is none."""
    tenant_id = _require_tenant(session)
    current = session.scalar(
        select(TokenSigningKey)
        .where(TokenSigningKey.active.is_(True))
        .order_by(TokenSigningKey.key_id.desc())
        .limit(1)
    )
    return current or rotate_signing_key(session, secret_box, tenant_id=tenant_id)


def rotate_signing_key(
    session: Session, secret_box: SecretBox, *, tenant_id: int | None = None
) -> TokenSigningKey:
    """Add a new active key for the session's tenant and retire the previous active keys.

    Retired keys stay stored, so tokens they signed keep verifying. Two rotations racing
    for the same tenant pick the same next key id, and the unique constraint on
    (tenant_id, key_id) makes the later flush fail instead of storing two keys with one id.
    """
    tenant_id = tenant_id if tenant_id is not None else _require_tenant(session)
    highest = session.scalar(
        select(func.max(TokenSigningKey.key_id)).where(TokenSigningKey.tenant_id == tenant_id)
    )
    now = utc_now()
    session.execute(
        update(TokenSigningKey)
        .where(TokenSigningKey.tenant_id == tenant_id, TokenSigningKey.active.is_(True))
        .values(active=False, retired_at=now)
        .execution_options(synchronize_session="fetch")
    )
    key = TokenSigningKey(
        tenant_id=tenant_id,
        key_id=(highest or 0) + 1,
        secret_ciphertext=secret_box.seal(secrets.token_bytes(SECRET_LENGTH)),
        active=True,
    )
    session.add(key)
    session.flush()
    logger.info("token signing key %s of tenant %s is now active", key.key_id, tenant_id)
    return key


def _require_tenant(session: Session) -> int:
    tenant_id = session_tenant_id(session)
    if tenant_id is None:
        raise ValueError("signing keys are managed in a tenant session (open_tenant_session)")
    return tenant_id
