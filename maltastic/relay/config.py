"""Settings of the SMTP relay, checked once when the relay starts."""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from maltastic.settings import HostPort, Settings

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MiB = 1024 * 1024
LOOPBACK_NETWORKS: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
_PRINTABLE_ASCII = re.compile(r"^[\x21-\x7e]+(?: [\x21-\x7e]+)*$")


class NextHopTls(enum.StrEnum):
    """Whether the relay uses STARTTLS towards the next hop."""

    REQUIRED = "required"  # no STARTTLS offered or handshake failed: defer with 4xx
    OPPORTUNISTIC = "opportunistic"  # STARTTLS when the next hop offers it
    OFF = "off"  # plain SMTP, for a next hop on the same host or network


class RelayConfigError(ValueError):
    """Invalid relay settings; the message names the setting and how to fix it."""


@dataclass(frozen=True, kw_only=True)
class RelayConfig:
    """Everything the relay server, its pipeline and its delivery need.

    Sizes are in bytes and timeouts in seconds. `auth_users` maps SMTP AUTH user names
    to passwords, which should be long random strings because they are compared as given.
    """

    listen_host: str = "127.0.0.1"
    listen_port: int = 2525
    server_name: str = field(default_factory=socket.gethostname)

    allowed_networks: tuple[IPNetwork, ...] = LOOPBACK_NETWORKS
    allowed_client_cert_names: tuple[str, ...] = ()
    auth_users: Mapping[str, str] = field(default_factory=dict, repr=False)
    auth_allow_plaintext: bool = False

    tls_cert_path: Path | None = None
    tls_key_path: Path | None = None
    tls_client_ca_path: Path | None = None
    require_tls: bool = False

    # An estimate, sized above what common mail systems let users send, so that big
    # messages are relayed unchanged (see max_rewrite_size) instead of rejected with 552.
    max_message_size: int = 160 * MiB
    # Messages above this size are relayed unchanged instead of rewritten in memory.
    max_rewrite_size: int = 25 * MiB

    next_hop: HostPort | None = None
    next_hop_tls: NextHopTls = NextHopTls.OPPORTUNISTIC
    next_hop_tls_verify: bool = True
    next_hop_ca_path: Path | None = None
    outbox_dir: Path = Path("var/outbox")

    processed_header_value: str = "true"

    idle_timeout: float = 300.0
    next_hop_connect_timeout: float = 30.0
    next_hop_command_timeout: float = 60.0
    # RFC 5321 (section 4.5.3.2.6) gives a client 10 minutes for the reply to the end of
    # DATA, so the relay must reply to its upstream well before that.
    next_hop_data_timeout: float = 300.0
    processing_timeout: float = 60.0
    worker_threads: int = 8

    def __post_init__(self) -> None:
        _check_tls_files(self)
        _check_auth(self)
        _check_limits(self)
        if not _PRINTABLE_ASCII.match(self.processed_header_value):
            raise RelayConfigError(
                f"processed header value {self.processed_header_value!r} is invalid: "
                "use printable ASCII such as 'true'"
            )

    @classmethod
    def from_settings(cls, settings: Settings, **changes: Any) -> RelayConfig:
        """Build the relay settings from the process settings, with `changes` on top."""
        base: dict[str, Any] = {
            "listen_host": settings.smtp_host,
            "listen_port": settings.smtp_port,
            "next_hop": settings.next_hop_address,
            "outbox_dir": settings.outbox_dir,
            "allowed_networks": parse_networks(settings.relay_allowed_networks),
            "tls_cert_path": settings.relay_tls_cert,
            "tls_key_path": settings.relay_tls_key,
            "require_tls": settings.relay_require_tls,
            "auth_users": parse_auth_users(settings.relay_auth_users),
            "max_message_size": settings.relay_max_message_size,
            "next_hop_tls": NextHopTls(settings.relay_next_hop_tls),
        }
        base.update(changes)
        return cls(**base)

    def replace(self, **changes: Any) -> RelayConfig:
        return dataclasses.replace(self, **changes)

    @property
    def tls_enabled(self) -> bool:
        return self.tls_cert_path is not None


def parse_auth_users(value: SecretStr | None) -> dict[str, str]:
    """Parse `user:password` pairs separated by commas; a password may contain colons."""
    if value is None:
        return {}
    users: dict[str, str] = {}
    for pair in value.get_secret_value().split(","):
        user, separator, password = pair.strip().partition(":")
        if not pair.strip():
            continue
        if not separator or not user or not password:
            raise RelayConfigError(
                f"SMTP AUTH entry for {user or '?'!r} is invalid: use user:password"
            )
        users[user] = password
    return users


def parse_networks(values: str | list[str] | tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """Parse CIDR networks such as `10.0.0.0/8, 2001:db8::/32` (commas or a list)."""
    items = values.split(",") if isinstance(values, str) else list(values)
    networks: list[IPNetwork] = []
    for item in (value.strip() for value in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise RelayConfigError(
                f"{item!r} is not a network: use CIDR notation such as 10.0.0.0/8"
            ) from None
    return tuple(networks)


def _check_tls_files(config: RelayConfig) -> None:
    if (config.tls_cert_path is None) != (config.tls_key_path is None):
        raise RelayConfigError("set both the TLS certificate and its key, or neither")
    if config.require_tls and config.tls_cert_path is None:
        raise RelayConfigError("require_tls needs a TLS certificate and key")
    if config.allowed_client_cert_names and config.tls_client_ca_path is None:
        raise RelayConfigError(
            "allowed TLS client certificate names need a CA file to verify client certificates"
        )
    if config.tls_client_ca_path is not None and config.tls_cert_path is None:
        raise RelayConfigError("a client CA file needs the relay's own certificate and key")


def _check_auth(config: RelayConfig) -> None:
    if not config.auth_allow_plaintext:
        return
    try:
        loopback = ipaddress.ip_address(config.listen_host).is_loopback
    except ValueError:
        loopback = config.listen_host == "localhost"
    if not loopback:
        raise RelayConfigError(
            f"AUTH without TLS is allowed only on a loopback address, not {config.listen_host!r}"
        )


def _check_limits(config: RelayConfig) -> None:
    if config.max_message_size <= 0 or config.max_rewrite_size <= 0:
        raise RelayConfigError("message size limits must be positive numbers of bytes")
    if config.max_rewrite_size > config.max_message_size:
        raise RelayConfigError("max_rewrite_size must not exceed max_message_size")
    if config.worker_threads < 1:
        raise RelayConfigError("worker_threads must be at least 1")
