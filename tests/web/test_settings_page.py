"""Einstellungen and Interne Domains: validation next to each field, nothing half-saved."""

import httpx
import pytest
from sqlalchemy import select

from maltastic.audit.models import AuditLogEntry
from maltastic.runtime import Runtime
from maltastic.tenants.models import DomainKind, NetworkPurpose, Tenant, TenantDomain, TenantNetwork
from tests.web.admin import post_form

VALID = {
    "time_zone": "Europe/Vienna",
    "website_url": "https://www.beispiel.de/",
    "retention_days": "90",
    "own_networks": "192.0.2.0/24\n2001:db8::/32",
    "relay_networks": "198.51.100.7",
}


def tenant(runtime: Runtime) -> Tenant:
    with runtime.session_factory() as session:
        found = session.scalar(select(Tenant).where(Tenant.slug == "beispiel"))
    assert found is not None
    return found


def networks(runtime: Runtime, purpose: NetworkPurpose) -> list[str]:
    with runtime.session_factory() as session:
        rows = session.scalars(select(TenantNetwork.cidr).where(TenantNetwork.purpose == purpose))
        return sorted(rows)


def test_save_settings(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    response = post_form(owner, "/settings", "/settings", VALID)
    assert response.status_code == 303
    saved = tenant(sqlite_runtime)
    assert saved.time_zone == "Europe/Vienna"
    assert saved.retention_days == 90
    assert networks(sqlite_runtime, NetworkPurpose.OWN_NETWORK) == ["192.0.2.0/24", "2001:db8::/32"]
    assert networks(sqlite_runtime, NetworkPurpose.RELAY_SOURCE) == ["198.51.100.7/32"]
    with sqlite_runtime.session_factory() as session:
        entry = session.scalar(select(AuditLogEntry).where(AuditLogEntry.entity_type == "tenant"))
    assert entry is not None
    assert entry.changes["time_zone"] == ["Europe/Berlin", "Europe/Vienna"]
    assert entry.changes["retention_days"] == [180, 90]


def test_invalid_settings_change_nothing(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    form = {
        **VALID,
        "time_zone": "Mars/Olympus",
        "retention_days": "0",
        "own_networks": "10.0.0.5/24\nkein-netz",
        "contact_analytics_enabled": "on",
    }
    response = post_form(owner, "/settings", "/settings", form)
    assert response.status_code == 400
    assert "Bitte wählen Sie eine Zeitzone aus der Liste." in response.text
    assert "Bitte geben Sie eine Anzahl Tage von 1 bis 3650 ein." in response.text
    assert "Meinten Sie 10.0.0.0/24?" in response.text
    assert "braucht eine Rechtsgrundlage" in response.text
    saved = tenant(sqlite_runtime)
    assert saved.time_zone == "Europe/Berlin"
    assert not saved.contact_analytics_enabled
    assert networks(sqlite_runtime, NetworkPurpose.OWN_NETWORK) == []


def test_contact_analytics_with_legal_basis(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    form = {
        **VALID,
        "contact_analytics_enabled": "on",
        "contact_analytics_legal_basis": "Einwilligung nach Art. 6 Abs. 1 lit. a DSGVO",
    }
    assert post_form(owner, "/settings", "/settings", form).status_code == 303
    saved = tenant(sqlite_runtime)
    assert saved.contact_analytics_enabled
    assert saved.contact_analytics_legal_basis == "Einwilligung nach Art. 6 Abs. 1 lit. a DSGVO"


def internal_domains(runtime: Runtime) -> list[str]:
    with runtime.session_factory() as session:
        rows = session.scalars(
            select(TenantDomain.domain).where(TenantDomain.kind == DomainKind.INTERNAL)
        )
        return sorted(rows)


def test_add_and_remove_internal_domain(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    response = post_form(owner, "/domains", "/domains", {"domain": "Partner-Büro.DE"})
    assert response.status_code == 303
    assert internal_domains(sqlite_runtime) == ["tochter.de", "xn--partner-bro-1hb.de"]
    with sqlite_runtime.session_factory() as session:
        row_id = session.scalar(
            select(TenantDomain.id).where(TenantDomain.domain == "xn--partner-bro-1hb.de")
        )
    assert post_form(owner, "/domains", f"/domains/{row_id}/delete").status_code == 303
    assert internal_domains(sqlite_runtime) == ["tochter.de"]


def test_invalid_and_duplicate_domains(owner: httpx.Client) -> None:
    invalid = post_form(owner, "/domains", "/domains", {"domain": "nicht gültig!"})
    assert invalid.status_code == 400
    assert "ist keine gültige Domain" in invalid.text
    duplicate = post_form(owner, "/domains", "/domains", {"domain": "beispiel.de"})
    assert duplicate.status_code == 400
    assert "Diese Domain steht bereits in der Liste." in duplicate.text


def test_own_domain_cannot_be_removed(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.session_factory() as session:
        own = session.scalar(select(TenantDomain.id).where(TenantDomain.kind == DomainKind.OWN))
    response = post_form(owner, "/domains", f"/domains/{own}/delete")
    assert response.status_code == 400
    assert "Hier können nur interne Domains entfernt werden." in response.text


@pytest.mark.parametrize("network", ["0.0.0.0/0", "10.0.0.0/8", "2001::/16"])
def test_broad_relay_network_is_rejected(
    owner: httpx.Client, sqlite_runtime: Runtime, network: str
) -> None:
    response = post_form(owner, "/settings", "/settings", {**VALID, "relay_networks": network})

    assert response.status_code == 400
    assert "ist zu weit gefasst" in response.text
    assert networks(sqlite_runtime, NetworkPurpose.RELAY_SOURCE) == []


def test_broad_own_network_is_accepted(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    response = post_form(owner, "/settings", "/settings", {**VALID, "own_networks": "10.0.0.0/8"})

    assert response.status_code in (200, 303)
    assert networks(sqlite_runtime, NetworkPurpose.OWN_NETWORK) == ["10.0.0.0/8"]


def test_host_bits_hint_suggests_an_accepted_relay_network(owner: httpx.Client) -> None:
    response = post_form(owner, "/settings", "/settings", {**VALID, "relay_networks": "10.0.0.1/8"})

    assert response.status_code == 400
    assert "Meinten Sie 10.0.0.1/32?" in response.text
