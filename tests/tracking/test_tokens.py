"""Tracking tokens: round trip, tamper detection, key rotation and link length."""

from __future__ import annotations

import base64
import codecs
import contextlib
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maltastic.campaigns.audience import Audience
from maltastic.tracking.keyring import Keyring, TenantKeys
from maltastic.tracking.links import banner_url, click_url
from maltastic.tracking.tokens import (
    InvalidTokenError,
    TokenPayload,
    encode_token,
    issue_token,
    minutes_since_epoch,
    verify,
)

TENANT_A, TENANT_B = 7, 8
SECRET_A1 = b"a" * 32
SECRET_A2 = b"A" * 32
SECRET_B = b"b" * 32
BASE_URL = "https://t.maltastic.example"
ISSUED = dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC)
BILLION = 1_000_000_000


def keyring(*, tenant_a_active: int = 1) -> Keyring:
    return Keyring(
        {
            TENANT_A: TenantKeys(tenant_a_active, {1: SECRET_A1, 2: SECRET_A2}),
            TENANT_B: TenantKeys(1, {1: SECRET_B}),
        }
    )


def contact_token() -> str:
    audience = Audience.contact(42, account_id=17)
    return issue_token(
        keyring(), tenant_id=TENANT_A, employee_id=3, audience=audience, issued_at=ISSUED
    )


@pytest.mark.parametrize(
    "audience",
    [Audience.nobody(), Audience.account(17), Audience.contact(42), Audience.contact(42, 17)],
)
def test_round_trip_keeps_payload(audience: Audience) -> None:
    token = issue_token(
        keyring(), tenant_id=TENANT_A, employee_id=3, audience=audience, issued_at=ISSUED
    )
    payload = verify(token, keyring())
    assert payload.tenant_id == TENANT_A
    assert payload.key_id == 1
    assert payload.employee_id == 3
    assert payload.audience == audience
    assert payload.issued_at == ISSUED


def test_token_is_base64url_without_padding() -> None:
    token = contact_token()
    assert "=" not in token
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_issue_time_is_rounded_to_minutes() -> None:
    moment = ISSUED + dt.timedelta(seconds=59)
    assert minutes_since_epoch(moment) == minutes_since_epoch(ISSUED)


def test_every_single_character_change_is_rejected() -> None:
    token = contact_token()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for position in range(len(token)):
        for replacement in alphabet:
            if replacement == token[position]:
                continue
            mangled = token[:position] + replacement + token[position + 1 :]
            with pytest.raises(InvalidTokenError):
                verify(mangled, keyring())


def test_every_flipped_bit_of_the_bytes_is_rejected() -> None:
    token = contact_token()
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    for index in range(len(raw)):
        for bit in range(8):
            changed = bytearray(raw)
            changed[index] ^= 1 << bit
            mangled = base64.urlsafe_b64encode(bytes(changed)).rstrip(b"=").decode()
            with pytest.raises(InvalidTokenError):
                verify(mangled, keyring())


def test_every_truncation_is_rejected() -> None:
    token = contact_token()
    for length in range(len(token)):
        with pytest.raises(InvalidTokenError):
            verify(token[:length], keyring())


def test_appended_characters_are_rejected() -> None:
    token = contact_token()
    for suffix in ("A", "AA", "AAAA", "=", "==", " ", "\n"):
        with pytest.raises(InvalidTokenError):
            verify(token + suffix, keyring())


def test_rot13_is_rejected() -> None:
    token = contact_token()
    assert codecs.encode(token, "rot13") != token
    with pytest.raises(InvalidTokenError):
        verify(codecs.encode(token, "rot13"), keyring())


def test_token_signed_with_other_tenants_key_is_rejected() -> None:
    payload = TokenPayload(TENANT_A, 1, 3, Audience.account(17), minutes_since_epoch(ISSUED))
    forged = encode_token(payload, SECRET_B)
    with pytest.raises(InvalidTokenError):
        verify(forged, keyring())


def test_unknown_key_id_is_rejected() -> None:
    payload = TokenPayload(TENANT_A, 9, 3, Audience.nobody(), minutes_since_epoch(ISSUED))
    with pytest.raises(InvalidTokenError):
        verify(encode_token(payload, SECRET_A1), keyring())


def test_unknown_tenant_is_rejected() -> None:
    payload = TokenPayload(99, 1, 3, Audience.nobody(), minutes_since_epoch(ISSUED))
    with pytest.raises(InvalidTokenError):
        verify(encode_token(payload, SECRET_A1), keyring())


def test_rotated_key_still_verifies_old_tokens() -> None:
    old_token = contact_token()
    rotated = keyring(tenant_a_active=2)
    new_token = issue_token(
        rotated, tenant_id=TENANT_A, employee_id=3, audience=Audience.nobody(), issued_at=ISSUED
    )
    assert verify(old_token, rotated).key_id == 1
    assert verify(new_token, rotated).key_id == 2


def test_retired_key_removed_rejects_its_tokens() -> None:
    old_token = contact_token()
    without_old = Keyring({TENANT_A: TenantKeys(2, {2: SECRET_A2})})
    with pytest.raises(InvalidTokenError):
        verify(old_token, without_old)


def test_links_stay_short_with_large_ids() -> None:
    payload = TokenPayload(
        BILLION,
        BILLION,
        BILLION,
        Audience.contact(BILLION, account_id=BILLION),
        minutes_since_epoch(dt.datetime(2075, 1, 1, tzinfo=dt.UTC)),
    )
    token = encode_token(payload, SECRET_A1)
    assert len(banner_url(BASE_URL, token)) <= 120
    assert len(click_url(BASE_URL, token)) <= 120
    assert verify(token, Keyring({BILLION: TenantKeys(BILLION, {BILLION: SECRET_A1})})) == payload


def test_links_use_b_and_c_paths() -> None:
    assert banner_url(BASE_URL + "/", "TOKEN") == "https://t.maltastic.example/b/TOKEN"
    assert click_url(BASE_URL, "TOKEN") == "https://t.maltastic.example/c/TOKEN"
    assert click_url("https://example.com/track", "T") == "https://example.com/track/c/T"


def test_links_reject_base_url_without_scheme() -> None:
    with pytest.raises(ValueError, match="must start with"):
        banner_url("t.maltastic.example", "TOKEN")


def test_negative_ids_cannot_be_encoded() -> None:
    payload = TokenPayload(TENANT_A, 1, -3, Audience.nobody(), 0)
    with pytest.raises(ValueError, match="cannot be encoded"):
        encode_token(payload, SECRET_A1)


@given(st.text(max_size=200))
def test_arbitrary_text_raises_only_invalid_token(text: str) -> None:
    with contextlib.suppress(InvalidTokenError):
        verify(text, keyring())


@given(st.binary(min_size=13, max_size=80))
def test_arbitrary_bytes_raise_only_invalid_token(raw: bytes) -> None:
    token = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    with contextlib.suppress(InvalidTokenError):
        verify(token, keyring())


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
def test_arbitrary_base64url_raises_only_invalid_token(text: str) -> None:
    with contextlib.suppress(InvalidTokenError):
        verify(text, keyring())


def test_known_token_fails_without_its_key() -> None:
    token = contact_token()
    assert verify(token, keyring()).tenant_id == TENANT_A
    with pytest.raises(InvalidTokenError):
        verify(token, Keyring({TENANT_A: TenantKeys(2, {2: SECRET_A2})}))


def test_known_token_fails_with_changed_secret() -> None:
    token = contact_token()
    assert verify(token, keyring()).employee_id == 3
    with pytest.raises(InvalidTokenError):
        verify(token, Keyring({TENANT_A: TenantKeys(1, {1: SECRET_B})}))


def test_forged_token_fails_every_time() -> None:
    payload = TokenPayload(TENANT_A, 1, 3, Audience.account(17), minutes_since_epoch(ISSUED))
    forged = encode_token(payload, SECRET_B)
    for _attempt in range(3):
        with pytest.raises(InvalidTokenError):
            verify(forged, keyring())
    # The same payload signed with the right key still verifies.
    assert verify(encode_token(payload, SECRET_A1), keyring()) == payload
