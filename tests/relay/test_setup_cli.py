"""`maltastic setup exchange-online` prints the connectors and the transport rule."""

from __future__ import annotations

from pathlib import Path

from tests.cli.runner import run_cli

ARGUMENTS = (
    "setup",
    "exchange-online",
    "--relay-host",
    "Relay.Maltastic.Example",
    "--tenant-domain",
    "beispiel.de",
    "--tenant-domain",
    "Tochter.DE",
)


def test_exchange_online_script(tmp_path: Path, sqlite_url: str) -> None:
    result = run_cli(
        *ARGUMENTS, "--relay-ip", "203.0.113.10", database_url=sqlite_url, cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    script = result.stdout
    assert "New-OutboundConnector -Name 'Maltastic Relay'" in script
    assert "-SmartHosts 'relay.maltastic.example'" in script
    assert "-TlsSettings DomainValidation" in script
    assert "-IsTransportRuleScoped $true" in script
    assert "-RouteMessageOutboundConnector 'Maltastic Relay'" in script
    assert "-SentToScope NotInOrganization" in script
    assert "-ExceptIfHeaderContainsMessageHeader 'X-Maltastic-Processed'" in script
    assert "-ExceptIfMessageTypeMatches Calendaring" in script
    assert "-ExceptIfHeaderMatchesMessageHeader 'Auto-Submitted'" in script
    assert "New-InboundConnector -Name 'Maltastic Relay (return)'" in script
    assert "-SenderDomains 'beispiel.de','tochter.de'" in script
    assert "-RequireTls $true" in script
    assert "-SenderIPAddresses '203.0.113.10'" in script
    assert "-TlsSenderCertificateName 'relay.maltastic.example'" in script


def test_exchange_online_quotes_names(tmp_path: Path, sqlite_url: str) -> None:
    result = run_cli(
        *ARGUMENTS, "--connector-name", "Maltastic's Relay", database_url=sqlite_url, cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert "-Name 'Maltastic''s Relay'" in result.stdout


def test_exchange_online_invalid_host(tmp_path: Path, sqlite_url: str) -> None:
    result = run_cli(
        "setup",
        "exchange-online",
        "--relay-host",
        "relay host",
        "--tenant-domain",
        "beispiel.de",
        database_url=sqlite_url,
        cwd=tmp_path,
    )

    assert result.returncode == 2
    assert "--relay-host 'relay host' is not a DNS name" in result.stderr


def test_exchange_online_ipv6_rejected(tmp_path: Path, sqlite_url: str) -> None:
    result = run_cli(*ARGUMENTS, "--relay-ip", "2001:db8::1", database_url=sqlite_url, cwd=tmp_path)

    assert result.returncode == 2
    assert "IPv4" in result.stderr
