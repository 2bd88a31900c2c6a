"""Test helpers for the relay: an event loop thread, a fake next hop, certificates, fakes."""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import ipaddress
import re
import socket
import ssl
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aiosmtpd.smtp import SMTP, Envelope, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from maltastic.directory.models import Employee
from maltastic.relay.mime import Signature
from maltastic.relay.signature_source import TargetedAudience

T = TypeVar("T")

SIGNATURE = Signature(
    html=(
        '<table data-maltastic-signature="1"><tr><td>Mit freundlichen Grüßen'
        '<br><a href="https://t.maltastic.example/c/T1"><img src="https://t.maltastic.example/b/T1"'
        ' alt="Banner"></a></td></tr></table>'
    ),
    text="-- \nMit freundlichen Grüßen\nhttps://t.maltastic.example/c/T1",
)
_CRLF = re.compile(rb"\r\n|\r|\n")


def crlf(raw: bytes) -> bytes:
    """Normalise every line break to CRLF, as SMTP transmits a message."""
    return _CRLF.sub(b"\r\n", raw)


class LoopThread:
    """An asyncio event loop in a background thread, for servers under test."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout)

    def stop_server(self, server: asyncio.Server) -> None:
        """Close a server that runs on this loop; asyncio servers are not thread-safe."""

        async def stop() -> None:
            server.close()
            await server.wait_closed()

        self.run(stop())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


class Fault(enum.Enum):
    NONE = "none"
    SLOW_DATA = "slow_data"  # replies to DATA after `delay` seconds
    TEMPFAIL_DATA = "tempfail_data"  # replies to DATA with 451
    REJECT_DATA = "reject_data"  # replies to DATA with 554
    DISCONNECT_DATA = "disconnect_data"  # drops the connection instead of answering DATA
    DISCONNECT_RCPT = "disconnect_rcpt"  # drops the connection at the first RCPT TO


@dataclass
class ReceivedMessage:
    mail_from: str
    recipients: list[str]
    data: bytes
    mail_options: list[str]


@dataclass
class FakeNextHop:
    """An aiosmtpd handler that records what it accepts and injects faults."""

    fault: Fault = Fault.NONE
    delay: float = 0.0
    rejected_recipients: dict[str, str] = field(default_factory=dict)
    messages: list[ReceivedMessage] = field(default_factory=list)
    tls_seen: list[bool] = field(default_factory=list)
    client_cert_subjects: list[Any] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.fault is Fault.DISCONNECT_RCPT:
            assert server.transport is not None
            server.transport.close()
            return "421 4.3.0 closing"
        if address in self.rejected_recipients:
            return self.rejected_recipients[address]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.fault is Fault.SLOW_DATA:
            await asyncio.sleep(self.delay)
        if self.fault is Fault.TEMPFAIL_DATA:
            return "451 4.3.0 Temporary failure at the fake next hop"
        if self.fault is Fault.REJECT_DATA:
            return "554 5.6.0 Message rejected by the fake next hop"
        if self.fault is Fault.DISCONNECT_DATA:
            assert server.transport is not None
            server.transport.close()
            return "421 4.3.0 closing"
        self.tls_seen.append(session.ssl is not None)
        peercert = (session.ssl or {}).get("peercert") or {}
        self.client_cert_subjects.append(peercert.get("subject"))
        self.messages.append(
            ReceivedMessage(
                str(envelope.mail_from),
                list(envelope.rcpt_tos),
                envelope.original_content or b"",
                list(envelope.mail_options),
            )
        )
        return "250 2.0.0 Ok: queued as FAKE1"


async def start_fake_next_hop(
    handler: FakeNextHop, tls_context: ssl.SSLContext | None = None
) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(
            handler,
            hostname="next-hop.test",
            enable_SMTPUTF8=True,
            tls_context=tls_context,
            loop=loop,
        ),
        host="127.0.0.1",
        port=0,
    )


def server_port(server: asyncio.Server) -> int:
    port: int = server.sockets[0].getsockname()[1]
    return port


def unused_port() -> int:
    """Return a loopback port that nothing listens on (for a next hop that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class SignatureCall:
    tenant_id: int
    employee_email: str
    audience: TargetedAudience


@dataclass
class FakeSignatureSource:
    """Return one fixed signature and record every call."""

    signature: Signature | None = SIGNATURE
    error: Exception | None = None
    calls: list[SignatureCall] = field(default_factory=list)

    def signature_for(
        self, tenant_id: int, employee: Employee, audience: TargetedAudience
    ) -> Signature | None:
        self.calls.append(SignatureCall(tenant_id, employee.email, audience))
        if self.error is not None:
            raise self.error
        return self.signature


@dataclass(frozen=True)
class Certificates:
    """A test CA, a server certificate for 127.0.0.1 and localhost, and client certificates."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_client_cert: Path
    other_client_key: Path

    def client_context(self, *, with_client_cert: Path | None = None) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca))
        if with_client_cert is not None:
            key = self.client_key if with_client_cert == self.client_cert else self.other_client_key
            context.load_cert_chain(with_client_cert, key)
        return context

    def server_context(self, *, verify_clients: bool = False) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.server_cert, self.server_key)
        if verify_clients:
            context.load_verify_locations(cafile=str(self.ca))
            context.verify_mode = ssl.CERT_OPTIONAL
        return context


def make_certificates(directory: Path) -> Certificates:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Maltastic Test CA")])
    ca_cert = (
        _builder(ca_name, ca_name, ca_key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    _write(directory / "ca.pem", ca_cert, None)
    server = _leaf(directory, "server", "localhost", ca_cert, ca_key, server=True)
    client = _leaf(directory, "client", "relay-client.example", ca_cert, ca_key, server=False)
    other = _leaf(directory, "other", "stranger.example", ca_cert, ca_key, server=False)
    return Certificates(directory / "ca.pem", *server, *client, *other)


def _leaf(
    directory: Path,
    stem: str,
    name: str,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    *,
    server: bool,
) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    alt_names: list[x509.GeneralName] = [x509.DNSName(name)]
    if server:
        alt_names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    cert = (
        _builder(subject, ca_cert.subject, key)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}-key.pem"
    _write(cert_path, cert, None)
    _write(key_path, None, key)
    return cert_path, key_path


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
    )


def _write(
    path: Path, cert: x509.Certificate | None, key: ec.EllipticCurvePrivateKey | None
) -> None:
    if cert is not None:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
