"""Einrichtung: the Exchange Online script from the form, and the Postfix and Google guides."""

import httpx


def test_guides_render_in_german(owner: httpx.Client) -> None:
    page = owner.get("/setup")
    assert page.status_code == 200
    assert "<h1>Einrichtung</h1>" in page.text
    assert "Microsoft 365 (Exchange Online)" in page.text
    assert "content_filter = maltastic:[relay.maltastic.example]:2525" in page.text
    assert "Google Workspace" in page.text
    assert 'value="beispiel.de"' in page.text  # the tenant's own domain, prefilled
    assert "New-OutboundConnector" not in page.text


def test_form_creates_powershell(owner: httpx.Client) -> None:
    query = {
        "relay_host": "Relay.Example.com",
        "tenant_domains": "beispiel.de, müller-bau.de",
        "relay_ips": "203.0.113.7",
    }
    page = owner.get("/setup", params=query)
    assert page.status_code == 200
    for cmdlet in ("New-OutboundConnector", "New-TransportRule", "New-InboundConnector"):
        assert cmdlet in page.text
    assert "-SmartHosts &#39;relay.example.com&#39;" in page.text
    assert "&#39;beispiel.de&#39;,&#39;xn--mller-bau-q9a.de&#39;" in page.text
    assert "-SenderIPAddresses &#39;203.0.113.7&#39;" in page.text
    assert "X-Maltastic-Processed" in page.text
    assert "content_filter = maltastic:[relay.example.com]:2525" in page.text


def test_invalid_inputs_are_explained(owner: httpx.Client) -> None:
    query = {"relay_host": "kein host", "tenant_domains": "", "relay_ips": "2001:db8::1"}
    page = owner.get("/setup", params=query)
    assert page.status_code == 400
    assert "Geben Sie den DNS-Namen des Reroutings ein" in page.text
    assert "„2001:db8::1“ ist keine IPv4-Adresse." in page.text
    assert "New-OutboundConnector" not in page.text


def test_guides_switch_to_english(owner: httpx.Client) -> None:
    page = owner.get("/setup?lang=en")
    assert "<h1>Setup</h1>" in page.text
    assert "Content filter (recommended)" in page.text
