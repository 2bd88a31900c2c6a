"""The `maltastic` command line, run as a subprocess."""

from pathlib import Path

import pytest

from maltastic.runtime import Runtime
from maltastic.settings import Settings
from maltastic.tracking.keyring import load_keyring
from tests.cli.runner import run_cli
from tests.conftest import TEST_SECRET_KEY


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["db", "upgrade"],
        ["demo", "load"],
        ["users", "create"],
        ["tenants", "create"],
    ],
)
def test_every_command_has_help(command: list[str], sqlite_url: str, tmp_path: Path) -> None:
    result = run_cli(*command, "--help", database_url=sqlite_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


def test_upgrade_and_demo_load(database_url: str, tmp_path: Path) -> None:
    upgrade = run_cli("db", "upgrade", database_url=database_url, cwd=tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    for _attempt in range(2):
        demo = run_cli("demo", "load", database_url=database_url, cwd=tmp_path)
        assert demo.returncode == 0, demo.stderr
        assert "Demo login: demo@beispiel.de / maltastic-demo" in demo.stdout


def test_tenant_and_user_creation(sqlite_url: str, tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", database_url=sqlite_url, cwd=tmp_path).returncode == 0
    tenant = run_cli(
        "tenants",
        "create",
        "muster-ag",
        "--name",
        "Muster AG",
        "--domain",
        "muster.de",
        "--internal",
        "muster-tochter.at",
        database_url=sqlite_url,
        cwd=tmp_path,
    )
    assert tenant.returncode == 0, tenant.stderr
    assert "Created tenant 'muster-ag'" in tenant.stdout

    user = run_cli(
        "users",
        "create",
        "IT@Muster.de",
        "--tenant",
        "muster-ag",
        "--role",
        "owner",
        "--password",
        "ein-langes-passwort",
        database_url=sqlite_url,
        cwd=tmp_path,
    )
    assert user.returncode == 0, user.stderr
    assert "User it@muster.de is owner of tenant 'muster-ag'." in user.stdout


def test_duplicate_domain_is_explained(sqlite_url: str, tmp_path: Path) -> None:
    run_cli("db", "upgrade", database_url=sqlite_url, cwd=tmp_path)
    arguments = ("tenants", "create", "--name", "X", "--domain", "x-firma.de")
    run_cli(
        arguments[0], arguments[1], "erste", *arguments[2:], database_url=sqlite_url, cwd=tmp_path
    )
    second = run_cli(
        arguments[0], arguments[1], "zweite", *arguments[2:], database_url=sqlite_url, cwd=tmp_path
    )
    assert second.returncode == 2
    assert "domain 'x-firma.de' already belongs to another tenant" in second.stderr


def test_user_for_unknown_tenant_fails(sqlite_url: str, tmp_path: Path) -> None:
    run_cli("db", "upgrade", database_url=sqlite_url, cwd=tmp_path)
    result = run_cli(
        "users",
        "create",
        "a@b.de",
        "--tenant",
        "fehlt",
        "--password",
        "ein-langes-passwort",
        database_url=sqlite_url,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "tenant 'fehlt' not found" in result.stderr


def test_invalid_setting_stops_with_message(sqlite_url: str, tmp_path: Path) -> None:
    result = run_cli("db", "upgrade", database_url=sqlite_url, cwd=tmp_path, http_port="0")
    assert result.returncode == 2
    assert "MALTASTIC_HTTP_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_outbox_show_prints_links(sqlite_url: str, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    (outbox / "q1.json").write_text(
        '{"mail_from": "anna.schmidt@beispiel.de", "recipients": ["max@kunde-a.de"], '
        '"action": "inserted", "reason": ""}'
    )
    (outbox / "q1.eml").write_bytes(
        b"Subject: Angebot\r\nContent-Type: text/html; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b'<a href=3D"http://127.0.0.1:8000/c/AQEBAQMB"><img src=3D"http://127.0.0.1:8000/b/A=\r\n'
        b'QEBAQMB"></a>\r\n'
    )
    result = run_cli(
        "outbox", "show", database_url=sqlite_url, cwd=tmp_path, outbox_dir=str(outbox)
    )
    assert result.returncode == 0, result.stderr
    assert "Action:     inserted" in result.stdout
    assert "Click:      http://127.0.0.1:8000/c/AQEBAQMB" in result.stdout
    assert "Banner:     http://127.0.0.1:8000/b/AQEBAQMB" in result.stdout


def test_outbox_show_on_empty_outbox(sqlite_url: str, tmp_path: Path) -> None:
    result = run_cli(
        "outbox", "show", database_url=sqlite_url, cwd=tmp_path, outbox_dir=str(tmp_path)
    )
    assert result.returncode == 2
    assert "is empty: send a message through the relay first" in result.stderr


def test_outbox_show_prints_reason_on_its_own_line(sqlite_url: str, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    (outbox / "q2.json").write_text(
        '{"mail_from": "info@beispiel.de", "recipients": ["max@kunde-a.de"], '
        '"action": "passed_through", "reason": "null sender"}'
    )
    (outbox / "q2.eml").write_bytes(b"Subject: Hallo\r\n\r\nText\r\n")
    result = run_cli(
        "outbox", "show", database_url=sqlite_url, cwd=tmp_path, outbox_dir=str(outbox)
    )
    assert result.returncode == 0, result.stderr
    assert "Action:     passed_through\n" in result.stdout
    assert "Reason:     null sender\n" in result.stdout


NEW_SECRET_KEY = "a-new-secret-key-with-more-than-32-characters"


def test_secrets_rotate_moves_stored_secrets_to_new_key(sqlite_url: str, tmp_path: Path) -> None:
    run_cli("db", "upgrade", database_url=sqlite_url, cwd=tmp_path)
    run_cli("demo", "load", database_url=sqlite_url, cwd=tmp_path)  # seals a signing key

    rejected = run_cli(
        "secrets", "rotate", database_url=sqlite_url, cwd=tmp_path, secret_key=NEW_SECRET_KEY
    )
    rotated = run_cli(
        "secrets",
        "rotate",
        database_url=sqlite_url,
        cwd=tmp_path,
        secret_key=NEW_SECRET_KEY,
        previous_secret_keys=TEST_SECRET_KEY,
    )

    assert rejected.returncode == 2
    assert "nothing was changed" in rejected.stderr
    assert "MALTASTIC_PREVIOUS_SECRET_KEYS" in rejected.stderr
    assert rotated.returncode == 0, rotated.stderr
    assert "Encrypted stored secrets with the current key: 1." in rotated.stdout
    runtime = Runtime.from_settings(Settings(database_url=sqlite_url, secret_key=NEW_SECRET_KEY))
    with runtime.session_factory() as session:
        keyring = load_keyring(session, runtime.secret_box)
    runtime.close()
    assert len(keyring.tenant_ids()) == 1  # the signing key opens with the new key alone
