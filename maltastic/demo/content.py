"""What the demo tenant contains: a German company with three departments."""

from __future__ import annotations

from dataclasses import dataclass

from maltastic.campaigns.models import CampaignKind
from maltastic.targeting.models import TargetLevel

TENANT_SLUG = "beispiel"
TENANT_NAME = "Beispiel GmbH"
OWN_DOMAIN = "beispiel.de"
INTERNAL_DOMAIN = "tochter.de"
WEBSITE_URL = "https://www.beispiel.de/"

DEMO_LOGIN_EMAIL = "demo@beispiel.de"
# Printed by `make run`; the demo tenant exists only where someone loaded it on purpose.
DEMO_LOGIN_PASSWORD = "maltastic-demo"  # noqa: S105

DEPARTMENTS = ("Vertrieb", "Marketing", "Support")


@dataclass(frozen=True)
class DemoEmployee:
    email: str
    first_name: str
    last_name: str
    title: str
    department: str | None
    phone: str = ""
    mobile: str = ""
    location: str = "München"


EMPLOYEES = (
    DemoEmployee(
        "anna.schmidt@beispiel.de",
        "Anna",
        "Schmidt",
        "Key Account Managerin",
        "Vertrieb",
        "+49 89 1234567-10",
        "+49 171 2345678",
    ),
    DemoEmployee(
        "jonas.weber@beispiel.de",
        "Jonas",
        "Weber",
        "Vertriebsleiter",
        "Vertrieb",
        "+49 89 1234567-11",
    ),
    DemoEmployee(
        "tobias.krueger@beispiel.de",
        "Tobias",
        "Krüger",
        "Support-Ingenieur",
        "Support",
        "+49 89 1234567-20",
        location="Köln",
    ),
    DemoEmployee(
        "lena.fischer@beispiel.de",
        "Lena",
        "Fischer",
        "Kundenservice",
        "Support",
        "+49 89 1234567-21",
    ),
    DemoEmployee(
        "jan.becker@tochter.de",
        "Jan",
        "Becker",
        "Technischer Support",
        "Support",
        location="Düsseldorf",
    ),
    DemoEmployee(
        "katrin.vogel@beispiel.de",
        "Katrin",
        "Vogel",
        "Marketing-Managerin",
        "Marketing",
        "+49 89 1234567-30",
    ),
    DemoEmployee(
        "claudia.neumann@beispiel.de", "Claudia", "Neumann", "Content-Marketing", "Marketing"
    ),
    DemoEmployee(
        "sabine.hoffmann@beispiel.de",
        "Sabine",
        "Hoffmann",
        "Assistenz der Geschäftsführung",
        None,
        "+49 89 1234567-0",
    ),
    DemoEmployee(
        "juergen.koehler@beispiel.de",
        "Jürgen",
        "Köhler",
        "Finanzbuchhaltung",
        None,
        "+49 89 1234567-40",
    ),
)


@dataclass(frozen=True)
class DemoBanner:
    name: str
    headline: str
    subline: str
    background: str
    alt_text: str


@dataclass(frozen=True)
class DemoCampaign:
    name: str
    kind: CampaignKind
    banner: DemoBanner
    target_url: str
    priority: int
    departments: tuple[str, ...] = ()
    target_group: str | None = None
    is_tenant_default: bool = False


@dataclass(frozen=True)
class DemoTargetGroup:
    name: str
    level: TargetLevel
    members: tuple[str, ...]


TARGET_GROUPS = (
    DemoTargetGroup("Schlüsselkunden", TargetLevel.ACCOUNT, ("kunde-a.de", "kunde-c.co.uk")),
    DemoTargetGroup(
        "Messe-Kontakte",
        TargetLevel.CONTACT,
        ("max.mustermann@kunde-a.de", "erika.beispiel@kunde-b.com", "privat.kontakt@gmx.de"),
    ),
)

CAMPAIGNS = (
    DemoCampaign(
        "Vertrieb: Frühjahrsaktion",
        CampaignKind.SENDER,
        DemoBanner(
            "Frühjahrsaktion",
            "Frühjahrsaktion: 20 % Rabatt",
            "Jetzt Angebot sichern – beispiel.de",
            "#0b5394",
            "Frühjahrsaktion: 20 % Rabatt auf alle Lizenzen",
        ),
        "https://www.beispiel.de/fruehjahrsaktion",
        priority=100,
        departments=("Vertrieb",),
    ),
    DemoCampaign(
        "Marketing: Webinar-Reihe",
        CampaignKind.SENDER,
        DemoBanner(
            "Webinar-Reihe",
            "Webinar: Signaturen als Kanal",
            "Jeden Donnerstag um 11 Uhr – kostenlos",
            "#38761d",
            "Kostenlose Webinar-Reihe jeden Donnerstag",
        ),
        "https://www.beispiel.de/webinare",
        priority=100,
        departments=("Marketing",),
    ),
    DemoCampaign(
        "Support: Hilfe-Center",
        CampaignKind.SENDER,
        DemoBanner(
            "Hilfe-Center",
            "Antworten rund um die Uhr",
            "Das Hilfe-Center von Beispiel",
            "#674ea7",
            "Zum Hilfe-Center der Beispiel GmbH",
        ),
        "https://www.beispiel.de/hilfe",
        priority=100,
        departments=("Support",),
    ),
    DemoCampaign(
        "Schlüsselkunden: Partnertag",
        CampaignKind.RECIPIENT,
        DemoBanner(
            "Partnertag",
            "Einladung zum Partnertag 2027",
            "Exklusiv für unsere Schlüsselkunden",
            "#b45f06",
            "Einladung zum Partnertag 2027",
        ),
        "https://www.beispiel.de/partnertag",
        priority=20,
        target_group="Schlüsselkunden",
    ),
    DemoCampaign(
        "Messe-Kontakte: Standbesuch",
        CampaignKind.RECIPIENT,
        DemoBanner(
            "Messe",
            "Besuchen Sie uns: Halle 4, Stand 12",
            "Wir freuen uns auf Ihren Besuch",
            "#a61c00",
            "Besuchen Sie uns auf der Messe: Halle 4, Stand 12",
        ),
        "https://www.beispiel.de/messe",
        priority=10,
        target_group="Messe-Kontakte",
    ),
    DemoCampaign(
        "Standard: Beispiel GmbH",
        CampaignKind.SENDER,
        DemoBanner(
            "Standard",
            "Beispiel GmbH",
            "Software für den Mittelstand – seit 1998",
            "#434343",
            "Beispiel GmbH – Software für den Mittelstand",
        ),
        WEBSITE_URL,
        priority=1000,
        is_tenant_default=True,
    ),
)

SIGNATURE_TEMPLATE_NAME = "Standard"
SIGNATURE_HTML = """\
<table cellpadding="0" cellspacing="0" border="0" style="font-family: Arial, sans-serif; \
font-size: 13px; color: #333333;">
  <tr><td style="font-size: 15px; font-weight: bold;">{{ employee.full_name }}</td></tr>
  {% if employee.title %}<tr><td>{{ employee.title }}</td></tr>{% endif %}
  {% if employee.department %}<tr><td>{{ employee.department }}</td></tr>{% endif %}
  <tr><td style="padding-top: 6px;">{{ company.name }}</td></tr>
  {% if employee.phone %}<tr><td>Telefon: {{ employee.phone }}</td></tr>{% endif %}
  {% if employee.mobile %}<tr><td>Mobil: {{ employee.mobile }}</td></tr>{% endif %}
  <tr><td><a href="{{ company.website }}" style="color: #0b5394;">\
{{ company.website }}</a></td></tr>
  <tr><td style="padding-top: 8px;">{{ banner }}</td></tr>
</table>
"""
