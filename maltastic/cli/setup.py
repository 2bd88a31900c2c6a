"""`maltastic setup`: configuration that admins paste into their mail systems."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

import typer

from maltastic.cli.output import fail
from maltastic.relay.mime import PROCESSED_HEADER
from maltastic.targeting import InvalidDomainError, normalise_domain

setup_app = typer.Typer(help="Setup help for routing mail through the relay.", no_args_is_help=True)

_HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def powershell_string(value: str) -> str:
    """Quote a value as a PowerShell single-quoted string, where only ' needs doubling."""
    return "'" + value.replace("'", "''") + "'"


def powershell_list(values: list[str]) -> str:
    return ",".join(powershell_string(value) for value in values)


def exchange_online_script(
    *,
    relay_host: str,
    tenant_domains: list[str],
    relay_ips: list[str],
    connector_name: str,
    processed_value: str,
) -> str:
    """Return the Exchange Online PowerShell for the outbound and inbound connectors and rule."""
    return "\n".join(
        [
            "# Maltastic relay for Exchange Online. Run in Exchange Online PowerShell",
            "# (Connect-ExchangeOnline) as an Exchange administrator.",
            "",
            "# 1. Outbound connector: hands outgoing mail to the relay over verified TLS.",
            *_outbound_connector(relay_host, connector_name),
            "",
            "# 2. Transport rule: routes mail to external recipients through the connector.",
            f"#    Mail that already carries {PROCESSED_HEADER} came back from the relay and",
            "#    goes out directly. Calendar items and auto-replies never go to the relay.",
            "#    Mail with an empty sender (<>) that reaches the relay is passed through.",
            *_transport_rule(connector_name, processed_value),
            "",
            "# 3. Inbound connector: accepts the processed mail back from the relay. The relay",
            "#    presents its TLS certificate as a client certificate for this check.",
            *_inbound_connector(relay_host, tenant_domains, relay_ips, connector_name),
            "",
        ]
    )


def _outbound_connector(relay_host: str, connector_name: str) -> list[str]:
    return [
        f"New-OutboundConnector -Name {powershell_string(connector_name)} `",
        "    -ConnectorType Partner `",
        "    -UseMXRecord $false `",
        f"    -SmartHosts {powershell_string(relay_host)} `",
        "    -TlsSettings DomainValidation `",
        f"    -TlsDomain {powershell_string(relay_host)} `",
        "    -IsTransportRuleScoped $true `",
        "    -Enabled $true",
    ]


def _transport_rule(connector_name: str, processed_value: str) -> list[str]:
    return [
        f"New-TransportRule -Name {powershell_string(connector_name + ': outgoing mail')} `",
        "    -FromScope InOrganization `",
        "    -SentToScope NotInOrganization `",
        f"    -RouteMessageOutboundConnector {powershell_string(connector_name)} `",
        f"    -ExceptIfHeaderContainsMessageHeader {powershell_string(PROCESSED_HEADER)} `",
        f"    -ExceptIfHeaderContainsWords {powershell_string(processed_value)} `",
        "    -ExceptIfMessageTypeMatches Calendaring `",
        "    -ExceptIfHeaderMatchesMessageHeader 'Auto-Submitted' `",
        "    -ExceptIfHeaderMatchesPatterns '^auto-' `",
        "    -Mode Enforce",
    ]


def _inbound_connector(
    relay_host: str, tenant_domains: list[str], relay_ips: list[str], connector_name: str
) -> list[str]:
    lines = [
        f"New-InboundConnector -Name {powershell_string(connector_name + ' (return)')} `",
        "    -ConnectorType OnPremises `",
        f"    -SenderDomains {powershell_list(tenant_domains)} `",
        "    -RequireTls $true `",
        "    -RestrictDomainsToCertificate $true `",
    ]
    if relay_ips:
        lines += [
            f"    -SenderIPAddresses {powershell_list(relay_ips)} `",
            "    -RestrictDomainsToIPAddresses $true `",
        ]
    lines.append(f"    -TlsSenderCertificateName {powershell_string(relay_host)}")
    return lines


@setup_app.command("exchange-online")
def exchange_online(
    relay_host: Annotated[
        str, typer.Option(help="Public DNS name of the relay, e.g. relay.maltastic.example")
    ],
    tenant_domain: Annotated[
        list[str],
        typer.Option(help="Sending domain of the tenant; repeat the option for each domain"),
    ],
    relay_ip: Annotated[
        list[str] | None,
        typer.Option(help="Public IPv4 address of the relay; repeat for each address"),
    ] = None,
    connector_name: Annotated[
        str, typer.Option(help="Name of the connectors and prefix of the rule name")
    ] = "Maltastic Relay",
    processed_value: Annotated[
        str, typer.Option(help=f"Value the relay writes into {PROCESSED_HEADER}")
    ] = "true",
) -> None:
    """Print the Exchange Online PowerShell that routes outgoing mail through the relay."""
    host = relay_host.strip().lower().rstrip(".")
    if not _HOST_NAME.match(host):
        fail(f"--relay-host {relay_host!r} is not a DNS name: use a name such as relay.example.com")
    domains = [_checked_domain(domain) for domain in tenant_domain]
    addresses = [_checked_ipv4(address) for address in relay_ip or []]
    typer.echo(
        exchange_online_script(
            relay_host=host,
            tenant_domains=domains,
            relay_ips=addresses,
            connector_name=connector_name,
            processed_value=processed_value,
        ),
        nl=False,
    )


def _checked_domain(domain: str) -> str:
    try:
        return normalise_domain(domain)
    except InvalidDomainError as error:
        fail(f"--tenant-domain {domain!r} is invalid: {error}")


def _checked_ipv4(address: str) -> str:
    try:
        return str(ipaddress.IPv4Address(address.strip()))
    except ValueError:
        fail(f"--relay-ip {address!r} is not an IPv4 address (Exchange Online accepts IPv4 only)")
