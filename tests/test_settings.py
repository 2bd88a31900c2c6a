"""Settings come from MALTASTIC_* variables; bad values name the variable and the fix."""

import pytest

from maltastic.settings import (
    DEFAULT_DATABASE_URL,
    Environment,
    SettingsError,
    load_settings,
)

STRONG_KEY = "k" * 40


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the working directory
    for name in ("ENVIRONMENT", "SECRET_KEY", "DATABASE_URL", "NEXT_HOP", "HTTP_PORT"):
        monkeypatch.delenv(f"MALTASTIC_{name}", raising=False)


def test_defaults_suit_development() -> None:
    settings = load_settings()
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.next_hop_address is None


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALTASTIC_HTTP_PORT", "9000")
    monkeypatch.setenv("MALTASTIC_NEXT_HOP", "mail.example.com:587")
    settings = load_settings()
    assert settings.http_port == 9000
    assert settings.next_hop_address is not None
    assert settings.next_hop_address.host == "mail.example.com"
    assert settings.next_hop_address.port == 587


def test_dotenv_file_is_read(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    with open(".env", "w") as dotenv:
        dotenv.write("MALTASTIC_HTTP_PORT=8123\n")
    assert load_settings().http_port == 8123


def test_production_rejects_default_secret_key() -> None:
    with pytest.raises(SettingsError, match="MALTASTIC_SECRET_KEY: the development default"):
        load_settings(environment="production")


def test_production_accepts_strong_key() -> None:
    settings = load_settings(environment="production", secret_key=STRONG_KEY)
    assert not settings.is_development


def test_short_secret_key_is_rejected() -> None:
    with pytest.raises(SettingsError, match="at least 32"):
        load_settings(secret_key="short")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("http_port", "70000", "MALTASTIC_HTTP_PORT"),
        ("next_hop", "no-port-here", "expected host:port"),
        ("database_url", "mysql://db/x", "unsupported database"),
        ("public_base_url", "t.example.com", r"is not an http\(s\) URL"),
        ("redis_url", "127.0.0.1:6379", "is not a Redis URL"),
        ("log_format", "xml", "MALTASTIC_LOG_FORMAT"),
    ],
)
def test_invalid_values_name_setting(field: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(**{field: value})


def test_error_lists_every_problem() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(http_port="0", smtp_port="0")
    assert "MALTASTIC_HTTP_PORT" in str(caught.value)
    assert "MALTASTIC_SMTP_PORT" in str(caught.value)


def test_public_base_url_loses_trailing_slash() -> None:
    assert load_settings(public_base_url="https://t.example.com/").public_base_url == (
        "https://t.example.com"
    )
