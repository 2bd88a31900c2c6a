"""The relay's signature source keeps tenant data in memory until a commit changes it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, update

from maltastic.campaigns.models import Banner
from maltastic.db.migrate import upgrade_database
from maltastic.db.tenancy import open_tenant_session
from maltastic.demo.loader import load_demo
from maltastic.directory.models import Employee
from maltastic.relay.mime import Signature
from maltastic.relay.senders import DatabaseSenderDirectory, KnownSender
from maltastic.relay.signature_source import TargetedAudience
from maltastic.runtime import Runtime
from maltastic.settings import Settings
from maltastic.signatures.models import SignatureTemplate
from maltastic.signatures.relay_source import RenderedSignatureSource
from maltastic.targeting import decide_audience_for_headers
from tests.conftest import TEST_SECRET_KEY

SENDER = "anna.schmidt@beispiel.de"
RECIPIENT = "max.mustermann@kunde-a.de"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'maltastic.sqlite3'}",  # type: ignore[arg-type]
        secret_key=TEST_SECRET_KEY,
    )
    runtime = Runtime.from_settings(settings)
    upgrade_database(runtime.engine)
    load_demo(runtime.session_factory, runtime.secret_box)
    yield runtime
    runtime.close()


@pytest.fixture
def directory(demo: Runtime) -> DatabaseSenderDirectory:
    directory = DatabaseSenderDirectory(
        demo.session_factory, policies=lambda tenant_id: demo.indexes.get(tenant_id).policy
    )
    demo.change_feed.subscribe(directory.forget_senders)
    return directory


def sign(source: RenderedSignatureSource, directory: DatabaseSenderDirectory) -> Signature:
    sender = find(directory)
    assert sender.employee is not None
    signature = source.signature_for(sender.tenant_id, sender.employee, audience(directory))
    assert signature is not None
    return signature


def find(directory: DatabaseSenderDirectory) -> KnownSender:
    sender = directory.find_sender(SENDER)
    assert sender is not None
    return sender


def audience(directory: DatabaseSenderDirectory) -> TargetedAudience:
    tenant_id = find(directory).tenant_id
    decision = decide_audience_for_headers(
        to=[RECIPIENT],
        cc=[],
        bcc=[],
        envelope=[RECIPIENT],
        policy=directory.targeting_policy(tenant_id),
    )
    ids = directory.audience_ids(tenant_id, decision)
    return TargetedAudience(decision, ids.account_id, ids.contact_id)


def test_template_edit_reaches_next_signature(
    demo: Runtime, directory: DatabaseSenderDirectory
) -> None:
    source = RenderedSignatureSource(demo)
    assert "Neue Vorlage" not in sign(source, directory).html

    with open_tenant_session(demo.session_factory, find(directory).tenant_id) as session:
        session.execute(
            update(SignatureTemplate)
            .where(SignatureTemplate.is_default.is_(True))
            .values(html_source="<p>Neue Vorlage {{ employee.full_name }}</p>{{ banner }}")
        )
        session.commit()

    assert "Neue Vorlage Anna Schmidt" in sign(source, directory).html


def test_banner_alt_text_edit_reaches_next_signature(
    demo: Runtime, directory: DatabaseSenderDirectory
) -> None:
    source = RenderedSignatureSource(demo)
    sign(source, directory)

    with open_tenant_session(demo.session_factory, find(directory).tenant_id) as session:
        for banner in session.scalars(select(Banner)):
            banner.alt_text = f"Geänderter Text {banner.id}"
        session.commit()

    assert "Geänderter Text" in sign(source, directory).html


def test_employee_edit_reaches_next_signature(
    demo: Runtime, directory: DatabaseSenderDirectory
) -> None:
    source = RenderedSignatureSource(demo)
    sign(source, directory)

    with open_tenant_session(demo.session_factory, find(directory).tenant_id) as session:
        employee = session.scalars(select(Employee).where(Employee.email == SENDER)).one()
        employee.title = "Leiterin Versuchslabor"
        session.commit()

    assert "Leiterin Versuchslabor" in sign(source, directory).text


def test_repeated_messages_read_no_rows(demo: Runtime, directory: DatabaseSenderDirectory) -> None:
    source = RenderedSignatureSource(demo)
    sign(source, directory)
    statements: list[str] = []

    def count(*arguments: Any) -> None:
        statements.append(arguments[2])

    event.listen(demo.engine, "before_cursor_execute", count)
    try:
        second = sign(source, directory)
    finally:
        event.remove(demo.engine, "before_cursor_execute", count)

    assert statements == []
    assert "/b/" in second.html
