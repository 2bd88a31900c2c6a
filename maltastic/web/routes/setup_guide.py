"""Einrichtung: guides for routing mail through the relay, with the Exchange Online script.

The guides describe the mail system of the whole organisation, so they belong to
`Area.SETTINGS`. The form is a GET form because it changes nothing.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select
from starlette.responses import Response

from maltastic.cli.setup import exchange_online_script
from maltastic.i18n.catalog import gettext as _
from maltastic.relay.mime import PROCESSED_HEADER
from maltastic.targeting import InvalidDomainError, normalise_domain
from maltastic.tenants.models import DomainKind, TenantDomain
from maltastic.web.access import AdminContext, Area, viewer
from maltastic.web.dependencies import runtime_of
from maltastic.web.templating import render

router = APIRouter(prefix="/setup")
View = Annotated[AdminContext, Depends(viewer(Area.SETTINGS))]

HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
CONNECTOR_NAME = "Maltastic Relay"
MAX_FIELD_CHARS = 2000


@router.get("")
def guide_page(
    context: View, relay_host: str = "", tenant_domains: str = "", relay_ips: str = ""
) -> Response:
    values = {
        "relay_host": relay_host[:MAX_FIELD_CHARS],
        "tenant_domains": tenant_domains[:MAX_FIELD_CHARS] or own_domains(context),
        "relay_ips": relay_ips[:MAX_FIELD_CHARS],
    }
    errors: dict[str, str] = {}
    script = None
    if relay_host:
        host, domains, addresses = check_inputs(values, errors)
        if not errors:
            script = exchange_online_script(
                relay_host=host,
                tenant_domains=domains,
                relay_ips=addresses,
                connector_name=CONNECTOR_NAME,
                processed_value="true",
            )
    smtp_port = runtime_of(context.request).settings.smtp_port
    return render(
        context.request,
        "setup.html",
        {
            "values": values,
            "errors": errors,
            "script": script,
            "relay_name": values["relay_host"].strip().lower() or "relay.maltastic.example",
            "smtp_port": smtp_port,
            "processed_header": PROCESSED_HEADER,
        },
        status=400 if errors else 200,
    )


def own_domains(context: AdminContext) -> str:
    with context.session() as session:
        domains = session.scalars(
            select(TenantDomain.domain)
            .where(TenantDomain.kind == DomainKind.OWN)
            .order_by(TenantDomain.domain)
        )
        return ", ".join(domains)


def split_list(text: str) -> list[str]:
    return [item for item in re.split(r"[\s,;]+", text) if item]


def check_inputs(
    values: dict[str, str], errors: dict[str, str]
) -> tuple[str, list[str], list[str]]:
    """Return the normalised host, domains and IPv4 addresses; add a message per bad field."""
    host = values["relay_host"].strip().lower().rstrip(".")
    if not HOST_NAME.match(host):
        errors["relay_host"] = _("Enter the relay's DNS name, such as relay.example.com.")
    domains: list[str] = []
    for domain in split_list(values["tenant_domains"]):
        try:
            domains.append(normalise_domain(domain))
        except InvalidDomainError:
            errors["tenant_domains"] = _("“%(value)s” is not a valid domain.") % {"value": domain}
    if not domains and "tenant_domains" not in errors:
        errors["tenant_domains"] = _("Enter at least one sending domain.")
    addresses: list[str] = []
    for address in split_list(values["relay_ips"]):
        try:
            addresses.append(str(ipaddress.IPv4Address(address)))
        except ValueError:
            errors["relay_ips"] = _(
                "“%(value)s” is not an IPv4 address. Exchange Online accepts IPv4 addresses only."
            ) % {"value": address}
    return host, domains, addresses
