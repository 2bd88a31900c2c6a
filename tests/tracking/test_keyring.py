"""Keyring: loading encrypted keys per tenant, first key, rotation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from maltastic.campaigns.audience import Audience
from maltastic.db.tenancy import open_tenant_session
from maltastic.runtime import Runtime
from maltastic.security.secrets import SecretBox
from maltastic.tenants.service import create_tenant
from maltastic.tracking.keyring import (
    Keyring,
    MissingSigningKeyError,
    ensure_signing_key,
    load_keyring,
    rotate_signing_key,
)
from maltastic.tracking.models import TokenSigningKey
from maltastic.tracking.tokens import (
    InvalidTokenError,
    TokenPayload,
    encode_token,
    issue_token,
    verify,
)


def make_tenant(runtime: Runtime, slug: str) -> int:
    with runtime.session_factory.begin() as session:
        tenant = create_tenant(
            session, slug=slug, name=slug.title(), own_domains=[f"{slug}.de"], internal_domains=[]
        )
        session.flush()
        return tenant.id


def load(runtime: Runtime) -> Keyring:
    with runtime.session_factory() as session:
        return load_keyring(session, runtime.secret_box)


def test_first_key_is_created_once(runtime: Runtime) -> None:
    tenant_id = make_tenant(runtime, "alpha")
    for _ in range(2):
        with open_tenant_session(runtime.session_factory, tenant_id) as session, session.begin():
            key = ensure_signing_key(session, runtime.secret_box)
            assert key.key_id == 1
    with runtime.session_factory() as session:
        assert len(session.scalars(select(TokenSigningKey)).all()) == 1


def test_stored_secret_is_encrypted(runtime: Runtime) -> None:
    tenant_id = make_tenant(runtime, "alpha")
    with open_tenant_session(runtime.session_factory, tenant_id) as session, session.begin():
        ensure_signing_key(session, runtime.secret_box)
    keyring = load(runtime)
    key_id, secret = keyring.active_key(tenant_id)
    with runtime.session_factory() as session:
        stored = session.scalars(select(TokenSigningKey.secret_ciphertext)).one()
    assert secret not in stored
    assert len(secret) == 32
    assert key_id == 1


def test_rotation_keeps_old_key_for_verification(runtime: Runtime) -> None:
    tenant_id = make_tenant(runtime, "alpha")
    with open_tenant_session(runtime.session_factory, tenant_id) as session, session.begin():
        ensure_signing_key(session, runtime.secret_box)
    old_token = issue_token(
        load(runtime), tenant_id=tenant_id, employee_id=1, audience=Audience.nobody()
    )

    with open_tenant_session(runtime.session_factory, tenant_id) as session, session.begin():
        new_key = rotate_signing_key(session, runtime.secret_box)
    assert new_key.key_id == 2

    keyring = load(runtime)
    assert keyring.active_key(tenant_id)[0] == 2
    assert verify(old_token, keyring).key_id == 1
    with runtime.session_factory() as session:
        rows = {row.key_id: row for row in session.scalars(select(TokenSigningKey))}
    assert rows[1].active is False
    assert rows[1].retired_at is not None
    assert rows[2].active is True


def test_tenant_keys_do_not_verify_other_tenant(runtime: Runtime) -> None:
    tenant_a = make_tenant(runtime, "alpha")
    tenant_b = make_tenant(runtime, "beta")
    for tenant_id in (tenant_a, tenant_b):
        with open_tenant_session(runtime.session_factory, tenant_id) as session, session.begin():
            ensure_signing_key(session, runtime.secret_box)
    keyring = load(runtime)
    assert keyring.tenant_ids() == {tenant_a, tenant_b}
    assert keyring.secret(tenant_a, 1) != keyring.secret(tenant_b, 1)

    secret_b = keyring.secret(tenant_b, 1)
    assert secret_b is not None
    claims_a = TokenPayload(tenant_a, 1, 1, Audience.nobody(), 0)
    with pytest.raises(InvalidTokenError):
        verify(encode_token(claims_a, secret_b), keyring)


def test_undecryptable_key_is_skipped(runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    tenant_id = make_tenant(runtime, "alpha")
    with open_tenant_session(runtime.session_factory, tenant_id) as session, session.begin():
        ensure_signing_key(session, runtime.secret_box)
    other_box = SecretBox("another-secret-key-with-at-least-32-characters")
    with runtime.session_factory() as session:
        keyring = load_keyring(session, other_box)
    assert keyring.secret(tenant_id, 1) is None
    assert "cannot be decrypted" in caplog.text
    with pytest.raises(MissingSigningKeyError):
        keyring.active_key(tenant_id)


def test_keys_need_a_tenant_session(sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.session_factory() as session, pytest.raises(ValueError, match="tenant"):
        ensure_signing_key(session, sqlite_runtime.secret_box)
