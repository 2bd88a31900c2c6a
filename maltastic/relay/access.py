"""Access control of the relay: allowed networks, TLS client certificates, SMTP AUTH.

The relay is not an open relay. A client is allowed when its address is in an allowed
network, when it presented a verified TLS client certificate with an allowed name, or
when it authenticated with SMTP AUTH. A client in one of a tenant's relay source
networks is allowed only for that tenant's senders (`tenant_network_source`). The sender
check (known tenants only) follows in the handler.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from maltastic.relay.config import RelayConfig

logger = logging.getLogger(__name__)


def format_peer(peer: Any) -> str:
    """Format an asyncio peer name as `host:port` for log lines."""
    if isinstance(peer, tuple) and len(peer) >= 2:
        host, port = peer[0], peer[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(peer)


def peer_address(session: Session) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    peer = session.peer
    if not isinstance(peer, tuple) or not peer:
        return None
    try:
        address = ipaddress.ip_address(str(peer[0]).split("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def certificate_names(session: Session) -> list[str]:
    """Return the DNS names and the common name of a verified TLS client certificate."""
    peercert = (session.ssl or {}).get("peercert") or {}
    names = [value for kind, value in peercert.get("subjectAltName", ()) if kind == "DNS"]
    for rdn in peercert.get("subject", ()):
        names.extend(value for key, value in rdn if key == "commonName")
    return [name.lower() for name in names]


def name_matches(name: str, pattern: str) -> bool:
    """Match a certificate name against an allowed name; `*.example.com` matches one label."""
    pattern = pattern.lower()
    if pattern.startswith("*."):
        head, _, rest = name.partition(".")
        return bool(head) and head != "*" and rest == pattern[2:]
    return name == pattern


def authorise_client(config: RelayConfig, session: Session) -> str | None:
    """Return why the client may relay (for the log), or None when it may not."""
    if session.authenticated:
        return f"authenticated as {authenticated_user(session)}"
    address = peer_address(session)
    if address is not None:
        for network in config.allowed_networks:
            if address.version == network.version and address in network:
                return f"network {network}"
    for name in certificate_names(session):
        if any(name_matches(name, allowed) for allowed in config.allowed_client_cert_names):
            return f"TLS client certificate {name}"
    return None


def tenant_network_source(
    session: Session, networks: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> str | None:
    """Return why a client in one of the sender's tenant networks may relay, else None."""
    address = peer_address(session)
    if address is None:
        return None
    for network in networks:
        if address.version == network.version and address in network:
            return f"tenant relay network {network}"
    return None


def authenticated_user(session: Session) -> str:
    data = session.auth_data
    if isinstance(data, LoginPassword):
        return data.login.decode("utf-8", "replace")
    return str(data) if data is not None else "-"


class PasswordAuthenticator:
    """The aiosmtpd authenticator for AUTH PLAIN and LOGIN against the configured users.

    Passwords are compared as SHA-256 digests with `hmac.compare_digest`, so the check
    takes the same time for every wrong password. AuthResult.auth_data carries only the
    user name, never the password.
    """

    def __init__(self, users: Mapping[str, str]) -> None:
        self._digests = {user: _digest(password) for user, password in users.items()}

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        peer = format_peer(session.peer)
        if mechanism not in ("LOGIN", "PLAIN") or not isinstance(auth_data, LoginPassword):
            logger.warning("%s AUTH %s rejected: mechanism not supported", peer, mechanism)
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        expected = self._digests.get(user)
        supplied = _digest(auth_data.password.decode("utf-8", "surrogateescape"))
        if expected is None or not hmac.compare_digest(expected, supplied):
            logger.warning("%s AUTH %s failed for user %r", peer, mechanism, user)
            return AuthResult(success=False, handled=False)
        logger.info("%s AUTH %s succeeded for user %r", peer, mechanism, user)
        return AuthResult(success=True, auth_data=LoginPassword(auth_data.login, b""))


def _digest(password: str) -> bytes:
    return hashlib.sha256(password.encode("utf-8", "surrogateescape")).digest()
