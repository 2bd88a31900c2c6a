"""The relay is not an open relay: sources, senders, STARTTLS, AUTH and client certificates."""

from __future__ import annotations

import ipaddress
import smtplib
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import delete

from maltastic.db.tenancy import open_tenant_session
from maltastic.runtime import Runtime
from maltastic.tenants.models import NetworkPurpose, TenantNetwork
from maltastic.tenants.service import create_tenant, find_tenant
from tests.relay.conftest import RelayFactory, RunningNextHop
from tests.relay.support import Certificates

MESSAGE = (
    b"From: Anna Schmidt <anna.schmidt@beispiel.de>\r\n"
    b"To: max.mustermann@kunde-a.de\r\n"
    b"Subject: Angebot\r\n"
    b"Message-ID: <access-test@beispiel.de>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Hallo Max,\r\nanbei das Angebot.\r\n"
)
SENDER = "anna.schmidt@beispiel.de"
RECIPIENT = "max.mustermann@kunde-a.de"
OTHER_NETWORK = (ipaddress.ip_network("10.0.0.0/8"),)


def test_unknown_network_rejected(start_relay: RelayFactory, next_hop: RunningNextHop) -> None:
    relay = start_relay(next_hop.port, allowed_networks=OTHER_NETWORK)

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.ehlo("upstream.test")
        code, text = client.mail(SENDER)

    assert code == 550
    assert b"5.7.1" in text
    assert next_hop.handler.messages == []


def test_unknown_sender_rejected(start_relay: RelayFactory, next_hop: RunningNextHop) -> None:
    relay = start_relay(next_hop.port)

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.ehlo("upstream.test")
        code, text = client.mail("spammer@elsewhere.example")

    assert code == 550
    assert b"belongs to no Maltastic tenant" in text


def test_employee_at_internal_domain_accepted(
    start_relay: RelayFactory, next_hop: RunningNextHop
) -> None:
    relay = start_relay(next_hop.port)

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.sendmail("jan.becker@tochter.de", [RECIPIENT], MESSAGE)

    assert len(next_hop.handler.messages) == 1


def test_unknown_address_at_own_domain_passes_through(
    start_relay: RelayFactory, next_hop: RunningNextHop
) -> None:
    relay = start_relay(next_hop.port)

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.sendmail("info@beispiel.de", [RECIPIENT], MESSAGE)

    assert next_hop.handler.messages[0].data == b"X-Maltastic-Processed: true\r\n" + MESSAGE
    assert relay.signatures.calls == []


def test_null_sender_passes_through(start_relay: RelayFactory, next_hop: RunningNextHop) -> None:
    relay = start_relay(next_hop.port)

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.sendmail("<>", [RECIPIENT], MESSAGE)

    received = next_hop.handler.messages[0]
    assert received.mail_from == "<>"
    assert received.data == b"X-Maltastic-Processed: true\r\n" + MESSAGE


def test_null_sender_from_unknown_network_rejected(
    start_relay: RelayFactory, next_hop: RunningNextHop
) -> None:
    relay = start_relay(next_hop.port, allowed_networks=OTHER_NETWORK)

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.ehlo("upstream.test")
        code, _ = client.mail("<>")

    assert code == 550


def test_auth_required_without_allowed_network(
    start_relay: RelayFactory, next_hop: RunningNextHop, certificates: Certificates
) -> None:
    relay = start_relay(
        next_hop.port,
        allowed_networks=(),
        auth_users={"exchange": "correct horse battery staple"},
        tls_cert_path=certificates.server_cert,
        tls_key_path=certificates.server_key,
    )

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.starttls(context=certificates.client_context())
        client.ehlo("upstream.test")
        code, text = client.mail(SENDER)

    assert code == 530
    assert b"Authentication required" in text


def test_auth_after_starttls_accepted(
    start_relay: RelayFactory, next_hop: RunningNextHop, certificates: Certificates
) -> None:
    relay = start_relay(
        next_hop.port,
        allowed_networks=(),
        auth_users={"exchange": "correct horse battery staple"},
        tls_cert_path=certificates.server_cert,
        tls_key_path=certificates.server_key,
    )

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.ehlo("upstream.test")
        assert not client.has_extn("auth")
        client.starttls(context=certificates.client_context())
        client.ehlo("upstream.test")
        assert "PLAIN" in client.esmtp_features["auth"]
        client.login("exchange", "correct horse battery staple")
        refused = client.sendmail(SENDER, [RECIPIENT], MESSAGE)

    assert refused == {}
    assert len(next_hop.handler.messages) == 1


def test_auth_login_mechanism_accepted(
    start_relay: RelayFactory, next_hop: RunningNextHop, certificates: Certificates
) -> None:
    relay = start_relay(
        next_hop.port,
        allowed_networks=(),
        auth_users={"exchange": "s3cret-s3cret"},
        tls_cert_path=certificates.server_cert,
        tls_key_path=certificates.server_key,
    )

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.starttls(context=certificates.client_context())
        client.ehlo("upstream.test")
        client.user, client.password = "exchange", "s3cret-s3cret"
        code, _ = client.auth("LOGIN", client.auth_login)

    assert code == 235


def test_auth_before_tls_rejected(
    start_relay: RelayFactory, next_hop: RunningNextHop, certificates: Certificates
) -> None:
    relay = start_relay(
        next_hop.port,
        allowed_networks=(),
        auth_users={"exchange": "s3cret-s3cret"},
        tls_cert_path=certificates.server_cert,
        tls_key_path=certificates.server_key,
    )

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.ehlo("upstream.test")
        code, _ = client.docmd("AUTH", "PLAIN AGV4Y2hhbmdlAHMzY3JldC1zM2NyZXQ=")

    assert code == 538


def test_wrong_password_rejected(
    start_relay: RelayFactory, next_hop: RunningNextHop, certificates: Certificates
) -> None:
    relay = start_relay(
        next_hop.port,
        allowed_networks=(),
        auth_users={"exchange": "s3cret-s3cret"},
        tls_cert_path=certificates.server_cert,
        tls_key_path=certificates.server_key,
    )

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.starttls(context=certificates.client_context())
        client.ehlo("upstream.test")
        with pytest.raises(smtplib.SMTPAuthenticationError) as raised:
            client.login("exchange", "wrong")

    assert raised.value.smtp_code == 535


def test_plaintext_auth_on_loopback_when_allowed(
    start_relay: RelayFactory, next_hop: RunningNextHop
) -> None:
    relay = start_relay(
        next_hop.port,
        allowed_networks=(),
        auth_users={"exchange": "s3cret-s3cret"},
        auth_allow_plaintext=True,
    )

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.login("exchange", "s3cret-s3cret")
        refused = client.sendmail(SENDER, [RECIPIENT], MESSAGE)

    assert refused == {}


def test_starttls_required_before_mail(
    start_relay: RelayFactory, next_hop: RunningNextHop, certificates: Certificates
) -> None:
    relay = start_relay(
        next_hop.port,
        tls_cert_path=certificates.server_cert,
        tls_key_path=certificates.server_key,
        require_tls=True,
    )

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.ehlo("upstream.test")
        code, _ = client.mail(SENDER)
        assert code == 530
        client.starttls(context=certificates.client_context())
        refused = client.sendmail(SENDER, [RECIPIENT], MESSAGE)

    assert refused == {}
    assert len(next_hop.handler.messages) == 1


def test_client_certificate_name_accepted(
    start_relay: RelayFactory, next_hop: RunningNextHop, certificates: Certificates
) -> None:
    relay = start_relay(
        next_hop.port,
        allowed_networks=(),
        allowed_client_cert_names=("*.example", "relay-client.example"),
        tls_cert_path=certificates.server_cert,
        tls_key_path=certificates.server_key,
        tls_client_ca_path=certificates.ca,
    )
    context = certificates.client_context(with_client_cert=certificates.client_cert)

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.starttls(context=context)
        refused = client.sendmail(SENDER, [RECIPIENT], MESSAGE)

    assert refused == {}


def test_client_certificate_other_name_rejected(
    start_relay: RelayFactory, next_hop: RunningNextHop, certificates: Certificates
) -> None:
    relay = start_relay(
        next_hop.port,
        allowed_networks=(),
        allowed_client_cert_names=("relay-client.example",),
        tls_cert_path=certificates.server_cert,
        tls_key_path=certificates.server_key,
        tls_client_ca_path=certificates.ca,
    )
    context = certificates.client_context(with_client_cert=certificates.other_client_cert)

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.starttls(context=context)
        client.ehlo("upstream.test")
        code, _ = client.mail(SENDER)

    assert code == 550
    assert next_hop.handler.messages == []


@pytest.fixture
def loopback_relay_network(demo_runtime: Runtime) -> Iterator[Callable[[str], None]]:
    """Add 127.0.0.0/8 as a relay source network of a tenant; removed after the test."""
    added: list[tuple[int, int]] = []

    def add(slug: str) -> None:
        with demo_runtime.session_factory() as session:
            tenant = find_tenant(session, slug)
            assert tenant is not None
            tenant_id = tenant.id
        with open_tenant_session(demo_runtime.session_factory, tenant_id) as session:
            network = TenantNetwork(cidr="127.0.0.0/8", purpose=NetworkPurpose.RELAY_SOURCE)
            session.add(network)
            session.commit()
            added.append((tenant_id, network.id))

    yield add
    for tenant_id, network_id in added:
        with open_tenant_session(demo_runtime.session_factory, tenant_id) as session:
            session.execute(delete(TenantNetwork).where(TenantNetwork.id == network_id))
            session.commit()


@pytest.fixture
def other_tenant(demo_runtime: Runtime) -> str:
    """A second tenant in the shared demo database; the tests only add networks to it."""
    with demo_runtime.session_factory() as session:
        if find_tenant(session, "andere") is None:
            create_tenant(session, slug="andere", name="Andere AG", own_domains=["andere.de"])
            session.commit()
    return "andere"


def test_tenant_network_relays_own_senders(
    start_relay: RelayFactory,
    next_hop: RunningNextHop,
    loopback_relay_network: Callable[[str], None],
) -> None:
    loopback_relay_network("beispiel")
    relay = start_relay(next_hop.port, allowed_networks=OTHER_NETWORK)

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        refused = client.sendmail(SENDER, [RECIPIENT], MESSAGE)

    assert refused == {}
    assert len(next_hop.handler.messages) == 1


def test_tenant_network_rejects_other_tenants_senders(
    start_relay: RelayFactory,
    next_hop: RunningNextHop,
    loopback_relay_network: Callable[[str], None],
    other_tenant: str,
) -> None:
    loopback_relay_network(other_tenant)
    relay = start_relay(next_hop.port, allowed_networks=OTHER_NETWORK)

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.ehlo("upstream.test")
        code, text = client.mail(SENDER)

    assert code == 550
    assert b"not an allowed source" in text
    assert next_hop.handler.messages == []


@pytest.mark.parametrize("sender", ["spammer@elsewhere.example", "<>"])
def test_tenant_network_rejects_senders_without_tenant(
    start_relay: RelayFactory,
    next_hop: RunningNextHop,
    loopback_relay_network: Callable[[str], None],
    sender: str,
) -> None:
    loopback_relay_network("beispiel")
    relay = start_relay(next_hop.port, allowed_networks=OTHER_NETWORK)

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.ehlo("upstream.test")
        code, text = client.mail(sender)

    assert code == 550
    assert b"not an allowed source" in text
