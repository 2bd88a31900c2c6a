"""Signed tracking tokens: who sent a banner to which audience, in 25 to 60 URL-safe characters.

A token is base64url (no padding) over a binary body followed by a truncated HMAC:

    body = varint(version) varint(tenant id) varint(key id) varint(employee id)
           byte(audience code) [varint(account id)] [varint(contact id)]
           varint(issue time in minutes since ISSUE_EPOCH)
    token = body || HMAC-SHA256(key, DOMAIN_TAG || body)[:MAC_LENGTH]

Varints are unsigned LEB128 and must be minimal. The tenant id inside the body selects the
tenant whose keys verify the token, so a token signed with another tenant's key fails.
Tokens carry ids only, never an address, a domain or a URL, and have no expiry, because
banners in mail sent years ago must keep working.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import hashlib
import hmac
from functools import lru_cache
from typing import NamedTuple, Protocol

from maltastic.campaigns.audience import Audience
from maltastic.targeting.decision import AudienceKind

TOKEN_VERSION = 1
MAC_LENGTH = 12  # 96 bits of HMAC-SHA256
DOMAIN_TAG = b"maltastic tracking token\x00"
ISSUE_EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

# Ids and minutes fit in 63 bits, which is 9 varint bytes.
_MAX_VARINT_BYTES = 9
_MAX_VALUE = (1 << 63) - 1
# Tokens of this module stay below this, so longer input is rejected before decoding.
MAX_TOKEN_LENGTH = 96

_MAX_CACHED_SECRETS = 1024
_keyed_macs: dict[bytes, hmac.HMAC] = {}
_TO_STANDARD_ALPHABET = bytes.maketrans(b"-_+/=", b"+/***")
_MAX_CACHED_AUDIENCES = 65536
_audiences: dict[tuple[int, ...], Audience] = {}
# Tokens that verified before, decoded: text -> (body, MAC, payload). A hit skips only
# the decoding, which depends on the text alone. The MAC is still checked against the
# keyring on every call. An entry takes about 500 bytes with its shared audience.
_MAX_DECODED_TOKENS = 16384
_decoded_tokens: dict[str, tuple[bytes, bytes, TokenPayload]] = {}


class InvalidTokenError(Exception):
    """A tracking token that is malformed, truncated, forged or signed with an unknown key."""


class AudienceCode(enum.IntEnum):
    """Audience code in the token body, which says which of the two optional ids follow."""

    NONE = 0
    ACCOUNT = 1
    CONTACT = 2  # contact id only
    CONTACT_WITH_ACCOUNT = 3  # account id, then contact id


_WITH_ACCOUNT = (AudienceCode.ACCOUNT, AudienceCode.CONTACT_WITH_ACCOUNT)
_WITH_CONTACT = (AudienceCode.CONTACT, AudienceCode.CONTACT_WITH_ACCOUNT)


class VerificationKeys(Protocol):
    """Looks up a tenant's signing secret by key id (see `maltastic.tracking.keyring`)."""

    def secret(self, tenant_id: int, key_id: int) -> bytes | None: ...


class SigningKeys(VerificationKeys, Protocol):
    """Also returns a tenant's active key as (key id, secret)."""

    def active_key(self, tenant_id: int) -> tuple[int, bytes]: ...


class TokenPayload(NamedTuple):
    """The signed content of a token. `issued_minute` counts minutes since ISSUE_EPOCH.

    A named tuple rather than a dataclass, because one is built per tracking request and
    a tuple is built several times faster than a frozen dataclass.
    """

    tenant_id: int
    key_id: int
    employee_id: int
    audience: Audience
    issued_minute: int
    version: int = TOKEN_VERSION

    @property
    def issued_at(self) -> dt.datetime:
        return issued_at_of(self.issued_minute)


@lru_cache(maxsize=4096)
def issued_at_of(issued_minute: int) -> dt.datetime:
    """Convert minutes since ISSUE_EPOCH to a datetime; cached, as many tokens share a minute."""
    return ISSUE_EPOCH + dt.timedelta(minutes=issued_minute)


def minutes_since_epoch(moment: dt.datetime) -> int:
    """Convert an aware datetime to whole minutes since ISSUE_EPOCH (0 for earlier moments)."""
    return max(0, int((moment - ISSUE_EPOCH).total_seconds() // 60))


def issue_token(
    keyring: SigningKeys,
    *,
    tenant_id: int,
    employee_id: int,
    audience: Audience,
    issued_at: dt.datetime | None = None,
) -> str:
    """Build and sign a token with the tenant's active key. `issued_at` defaults to now."""
    key_id, secret = keyring.active_key(tenant_id)
    moment = issued_at or dt.datetime.now(dt.UTC)
    payload = TokenPayload(tenant_id, key_id, employee_id, audience, minutes_since_epoch(moment))
    return encode_token(payload, secret)


def encode_token(payload: TokenPayload, secret: bytes) -> str:
    """Serialise and sign a payload with the secret of `payload.key_id`."""
    body = _encode_body(payload)
    mac = _mac(secret, body)
    return base64.urlsafe_b64encode(body + mac).rstrip(b"=").decode("ascii")


def verify(token: str, keyring: VerificationKeys) -> TokenPayload:
    """Check a token's signature and return its payload.

    Raises InvalidTokenError for every kind of bad token. The MAC is compared in constant
    time, and the keyring is read from memory only.
    """
    decoded = _decoded_tokens.get(token)
    known = decoded is not None
    if decoded is None:
        decoded = _decode_token(token)
    body, mac, payload = decoded
    secret = keyring.secret(payload.tenant_id, payload.key_id)
    if secret is None:
        raise InvalidTokenError("unknown signing key")
    if not hmac.compare_digest(mac, _mac(secret, body)):
        raise InvalidTokenError("signature mismatch")
    if not known:
        # Only verified tokens are kept, so forged ones cannot fill the cache.
        if len(_decoded_tokens) >= _MAX_DECODED_TOKENS:
            _decoded_tokens.clear()
        _decoded_tokens[token] = decoded
    return payload


def _decode_token(token: str) -> tuple[bytes, bytes, TokenPayload]:
    """Split a token into body and MAC and decode the body; the MAC is not checked here."""
    raw = _decode_base64url(token)
    if len(raw) <= MAC_LENGTH:
        raise InvalidTokenError("token too short")
    body, mac = raw[:-MAC_LENGTH], raw[-MAC_LENGTH:]
    return body, mac, _decode_body(body)


def _mac(secret: bytes, body: bytes) -> bytes:
    """Return the truncated HMAC-SHA256 of DOMAIN_TAG || body.

    The HMAC keyed with the secret and fed the domain tag is kept per secret and copied
    for each token, which saves hashing the key pads and the tag every time.
    """
    keyed = _keyed_macs.get(secret)
    if keyed is None:
        if len(_keyed_macs) >= _MAX_CACHED_SECRETS:
            _keyed_macs.clear()
        keyed = hmac.new(secret, DOMAIN_TAG, hashlib.sha256)
        _keyed_macs[secret] = keyed
    mac = keyed.copy()
    mac.update(body)
    return mac.digest()[:MAC_LENGTH]


def _decode_base64url(token: str) -> bytes:
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
        raise InvalidTokenError("token has an invalid length")
    if not token.isascii() or len(token) % 4 == 1:
        raise InvalidTokenError("token is not base64url")
    # Map base64url to the standard alphabet; "+", "/" and "=" become "*", which strict
    # decoding rejects like every other character outside the alphabet.
    standard = token.encode("ascii").translate(_TO_STANDARD_ALPHABET) + b"=" * (-len(token) % 4)
    try:
        raw = binascii.a2b_base64(standard, strict_mode=True)
    except binascii.Error:
        raise InvalidTokenError("token is not base64url") from None
    # Reject spellings with non-zero unused bits, so each token has exactly one text form.
    if binascii.b2a_base64(raw, newline=False) != standard:
        raise InvalidTokenError("token is not canonical base64url")
    return raw


def _encode_body(payload: TokenPayload) -> bytes:
    audience = payload.audience
    code = _audience_code(audience)
    parts = [
        _varint(payload.version),
        _varint(payload.tenant_id),
        _varint(payload.key_id),
        _varint(payload.employee_id),
        bytes([code]),
    ]
    if code in (AudienceCode.ACCOUNT, AudienceCode.CONTACT_WITH_ACCOUNT):
        parts.append(_varint(_required(audience.account_id, "account_id")))
    if code in (AudienceCode.CONTACT, AudienceCode.CONTACT_WITH_ACCOUNT):
        parts.append(_varint(_required(audience.contact_id, "contact_id")))
    parts.append(_varint(payload.issued_minute))
    return b"".join(parts)


def _audience_code(audience: Audience) -> AudienceCode:
    if audience.kind is AudienceKind.ACCOUNT:
        return AudienceCode.ACCOUNT
    if audience.kind is AudienceKind.CONTACT:
        if audience.account_id is None:
            return AudienceCode.CONTACT
        return AudienceCode.CONTACT_WITH_ACCOUNT
    return AudienceCode.NONE


def _required(value: int | None, name: str) -> int:
    if value is None:
        raise ValueError(f"audience without {name} cannot be encoded")
    return value


def _decode_body(body: bytes) -> TokenPayload:
    # The audience code is a single byte below 0x80, so it reads like a one-byte varint.
    # Any byte from 0x80 up yields a code above 3 or a non-minimal varint.
    values = _read_varints(body)
    if len(values) < 6:
        raise InvalidTokenError("token truncated")
    version, tenant_id, key_id, employee_id, code = values[:5]
    if version != TOKEN_VERSION:
        raise InvalidTokenError(f"unsupported token version {version}")
    if code > AudienceCode.CONTACT_WITH_ACCOUNT:
        raise InvalidTokenError("unknown audience code")
    expected = 6 + (code in _WITH_ACCOUNT) + (code in _WITH_CONTACT)
    if len(values) < expected:
        raise InvalidTokenError("token truncated")
    if len(values) > expected:
        raise InvalidTokenError("unexpected bytes after the payload")
    audience = _audience(code, values[5:-1])
    return TokenPayload(tenant_id, key_id, employee_id, audience, values[-1], version)


def _audience(code: int, ids: list[int]) -> Audience:
    """Return the audience of a token, shared between tokens with the same ids."""
    key = (code, *ids)
    audience = _audiences.get(key)
    if audience is not None:
        return audience
    if code == AudienceCode.NONE:
        audience = Audience.nobody()
    elif code == AudienceCode.ACCOUNT:
        audience = Audience.account(ids[0])
    elif code == AudienceCode.CONTACT:
        audience = Audience.contact(ids[0])
    else:
        audience = Audience.contact(ids[1], account_id=ids[0])
    if len(_audiences) >= _MAX_CACHED_AUDIENCES:
        _audiences.clear()
    _audiences[key] = audience
    return audience


def _read_varints(data: bytes) -> list[int]:
    """Decode a sequence of minimal unsigned LEB128 varints that fills `data` exactly."""
    values: list[int] = []
    value = 0
    shift = 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            if shift >= 7 * _MAX_VARINT_BYTES:
                raise InvalidTokenError("varint too long")
            continue
        # A final zero byte after the first one means a non-minimal encoding.
        if byte == 0 and shift:
            raise InvalidTokenError("non-minimal varint")
        values.append(value)
        value = 0
        shift = 0
    if shift:
        raise InvalidTokenError("token truncated")
    return values


def _varint(value: int) -> bytes:
    if not 0 <= value <= _MAX_VALUE:
        raise ValueError(f"value {value} is outside 0..2**63-1 and cannot be encoded")
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)
