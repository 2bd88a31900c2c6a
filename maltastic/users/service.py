"""Creating admin users and checking their credentials."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from maltastic.db.base import utc_now
from maltastic.security.passwords import (
    WeakPasswordError,
    hash_password,
    needs_rehash,
    verify_password,
)
from maltastic.targeting.addresses import normalise_address
from maltastic.tenants.models import Tenant
from maltastic.users.models import Membership, Role, User

logger = logging.getLogger(__name__)


class UserError(ValueError):
    """A user cannot be created as requested; the message says why and what to do."""


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    tenant: Tenant,
    role: Role,
    display_name: str = "",
) -> User:
    """Create a user, or give an existing user (same email) a role in `tenant`."""
    address = normalise_address(email)
    if address is None:
        raise UserError(f"{email!r} is not an email address: use a form like name@beispiel.de")
    try:
        password_hash = hash_password(password)
    except WeakPasswordError as error:
        raise UserError(str(error)) from None

    user = session.scalar(select(User).where(User.email == address))
    if user is None:
        user = User(email=address, display_name=display_name, password_hash=password_hash)
        session.add(user)
    else:
        user.password_hash = password_hash
    if any(m.tenant_id == tenant.id for m in user.memberships):
        raise UserError(f"{address} is already a member of tenant {tenant.slug!r}")
    user.memberships.append(Membership(tenant_id=tenant.id, role=role))
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None."""
    address = normalise_address(email)
    if address is None:
        return None
    user = session.scalar(select(User).where(User.email == address, User.active.is_(True)))
    if user is None:
        # Hash anyway so a missing user takes as long as a wrong password.
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        logger.info("login failed for user id=%s", user.id)
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utc_now()
    return user


_DUMMY_HASH = hash_password("timing-equaliser-not-a-real-password")
