"""Signature service on the demo tenant: every employee, audiences, tokens, HTML and text."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select

from maltastic.campaigns.audience import Audience
from maltastic.db.tenancy import open_tenant_session
from maltastic.demo import content
from maltastic.demo.loader import load_demo
from maltastic.directory.models import Employee
from maltastic.relay.mime import SIGNATURE_MARKER
from maltastic.runtime import Runtime
from maltastic.signatures.context import BannerDetails
from maltastic.signatures.errors import SignatureTemplateError
from maltastic.signatures.models import SignatureTemplate
from maltastic.signatures.service import RenderedSignature, SignatureService, ensure_account
from maltastic.targeting import AudienceKind, TargetingPolicy, decide_audience_for_headers
from maltastic.targeting.models import Account, Contact
from maltastic.tenants.models import Tenant
from maltastic.tracking.keyring import load_keyring
from maltastic.tracking.tokens import verify

BASE_URL = "https://t.maltastic.example"
KNOWN_CONTACT = "max.mustermann@kunde-a.de"


@pytest.fixture
def demo_tenant_id(runtime: Runtime) -> int:
    load_demo(runtime.session_factory, runtime.secret_box)
    with runtime.session_factory() as session:
        tenant_id = session.scalars(
            select(Tenant.id).where(Tenant.slug == content.TENANT_SLUG)
        ).one()
    return tenant_id


@pytest.fixture
def service(runtime: Runtime, demo_tenant_id: int) -> SignatureService:
    with runtime.session_factory() as session:
        keyring = load_keyring(session, runtime.secret_box)
    return SignatureService(keyring=keyring, tracking_base_url=BASE_URL)


def policy() -> TargetingPolicy:
    return TargetingPolicy(
        own_domains=frozenset({content.OWN_DOMAIN}),
        internal_domains=frozenset({content.INTERNAL_DOMAIN}),
        known_contacts=frozenset({KNOWN_CONTACT}),
    )


def render_for(
    runtime: Runtime, service: SignatureService, tenant_id: int, email: str, to: str
) -> RenderedSignature:
    decision = decide_audience_for_headers(to=to, policy=policy())
    with open_tenant_session(runtime.session_factory, tenant_id) as session, session.begin():
        employee = session.scalars(select(Employee).where(Employee.email == email)).one()
        return service.render(session, employee, decision)


def test_every_demo_employee_renders(
    runtime: Runtime, service: SignatureService, demo_tenant_id: int
) -> None:
    for person in content.EMPLOYEES:
        signature = render_for(runtime, service, demo_tenant_id, person.email, "kunde@firma.de")
        html, text = signature.html, signature.text

        assert html.count(SIGNATURE_MARKER) == 1, person.email
        assert html.startswith(f"<div {SIGNATURE_MARKER}>")
        assert f"{person.first_name} {person.last_name}" in html
        assert f"{person.first_name} {person.last_name}" in text
        assert person.title in text
        assert "<style" not in html
        assert f"/b/{signature.token}" in html
        assert f"/c/{signature.token}" in html
        assert f"{BASE_URL}/c/{signature.token}" in text
        assert "&amp;" not in text
        assert "<" not in text
        assert "\n\n\n" not in text
        if not person.phone:
            assert "Telefon" not in html
            assert "Telefon" not in text
        if not person.mobile:
            assert "Mobil" not in text


def test_umlauts_survive_in_html_and_text(
    runtime: Runtime, service: SignatureService, demo_tenant_id: int
) -> None:
    signature = render_for(
        runtime, service, demo_tenant_id, "juergen.koehler@beispiel.de", "a@firma.de"
    )
    for fragment in ("Jürgen Köhler", "Finanzbuchhaltung", "Beispiel GmbH"):
        assert fragment in signature.html
        assert fragment in signature.text
    assert "Frühjahrsaktion" not in signature.html  # Finance has no department campaign
    assert "Beispiel GmbH – Software für den Mittelstand" in signature.html


def test_text_has_one_line_per_field(
    runtime: Runtime, service: SignatureService, demo_tenant_id: int
) -> None:
    signature = render_for(runtime, service, demo_tenant_id, "anna.schmidt@beispiel.de", "a@b.de")
    lines = signature.text.splitlines()
    assert lines[:4] == ["Anna Schmidt", "Key Account Managerin", "Vertrieb", "Beispiel GmbH"]
    assert "Telefon: +49 89 1234567-10" in lines
    assert "Mobil: +49 171 2345678" in lines
    assert lines[-1] == (
        f"Beispiel GmbH – Software für den Mittelstand: {BASE_URL}/c/{signature.token}"
    )


def test_banner_markup_is_outlook_safe(
    runtime: Runtime, service: SignatureService, demo_tenant_id: int
) -> None:
    signature = render_for(runtime, service, demo_tenant_id, "anna.schmidt@beispiel.de", "a@b.de")
    image = re.search(r"<img [^>]*>", signature.html)
    assert image is not None
    assert re.search(r'width="\d+"', image.group(0))
    assert re.search(r'height="\d+"', image.group(0))
    assert 'style="display:block;border:0"' in image.group(0)
    assert 'alt="Beispiel GmbH – Software für den Mittelstand"' in image.group(0)


def test_token_names_sender_and_account(
    runtime: Runtime, service: SignatureService, demo_tenant_id: int
) -> None:
    signature = render_for(
        runtime, service, demo_tenant_id, "anna.schmidt@beispiel.de", "einkauf@kunde-a.de"
    )
    payload = verify(signature.token, service.keyring)
    with runtime.session_factory() as session:
        account = session.scalars(select(Account).where(Account.domain == "kunde-a.de")).one()
        anna = session.scalars(
            select(Employee).where(Employee.email == "anna.schmidt@beispiel.de")
        ).one()
    assert payload.tenant_id == demo_tenant_id
    assert payload.employee_id == anna.id
    assert signature.audience == Audience.account(account.id)
    assert payload.audience == signature.audience


def test_known_contact_gets_contact_audience(
    runtime: Runtime, service: SignatureService, demo_tenant_id: int
) -> None:
    signature = render_for(
        runtime, service, demo_tenant_id, "anna.schmidt@beispiel.de", KNOWN_CONTACT
    )
    with runtime.session_factory() as session:
        contact = session.scalars(select(Contact).where(Contact.email == KNOWN_CONTACT)).one()
        account = session.scalars(select(Account).where(Account.domain == "kunde-a.de")).one()
    assert signature.audience == Audience.contact(contact.id, account_id=account.id)
    assert verify(signature.token, service.keyring).audience == signature.audience


def test_several_domains_get_no_audience(
    runtime: Runtime, service: SignatureService, demo_tenant_id: int
) -> None:
    signature = render_for(
        runtime, service, demo_tenant_id, "anna.schmidt@beispiel.de", "a@kunde-a.de, b@kunde-b.com"
    )
    assert signature.audience.kind is AudienceKind.NONE


def test_new_account_is_created_once(
    runtime: Runtime, service: SignatureService, demo_tenant_id: int
) -> None:
    audiences = {
        render_for(
            runtime, service, demo_tenant_id, "anna.schmidt@beispiel.de", f"p{n}@neu-firma.de"
        ).audience
        for n in range(3)
    }
    with runtime.session_factory() as session:
        accounts = session.scalars(select(Account).where(Account.domain == "neu-firma.de")).all()
    assert len(accounts) == 1
    assert audiences == {Audience.account(accounts[0].id)}


def test_concurrent_account_creation_makes_one_row(runtime: Runtime, demo_tenant_id: int) -> None:
    ids: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def create() -> None:
        try:
            factory = runtime.session_factory
            with open_tenant_session(factory, demo_tenant_id) as session, session.begin():
                barrier.wait(timeout=10)
                ids.append(ensure_account(session, "parallel-gmbh.de").id)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(set(ids)) == 1
    with runtime.session_factory() as session:
        rows = session.scalars(select(Account).where(Account.domain == "parallel-gmbh.de")).all()
    assert len(rows) == 1


def test_banner_lookup_callable_is_used(
    runtime: Runtime, service: SignatureService, demo_tenant_id: int
) -> None:
    service.banner_lookup = lambda session, employee, audience: BannerDetails(
        "Partnertag <2027>", 300, 80
    )
    signature = render_for(runtime, service, demo_tenant_id, "anna.schmidt@beispiel.de", "a@b.de")
    assert 'alt="Partnertag &lt;2027&gt;"' in signature.html
    assert 'width="300"' in signature.html
    assert 'height="80"' in signature.html
    assert f"Partnertag <2027>: {BASE_URL}/c/" in signature.text


def test_broken_template_raises_template_error(
    runtime: Runtime, service: SignatureService, demo_tenant_id: int
) -> None:
    with open_tenant_session(runtime.session_factory, demo_tenant_id) as session, session.begin():
        template = session.scalars(select(SignatureTemplate)).one()
        template.html_source = "<p>{{ employee.full_name }}</p>\n<p>{% endif %}</p>"
    with pytest.raises(SignatureTemplateError) as caught:
        render_for(runtime, service, demo_tenant_id, "anna.schmidt@beispiel.de", "a@b.de")
    assert caught.value.template_name == content.SIGNATURE_TEMPLATE_NAME
    assert caught.value.line == 2
