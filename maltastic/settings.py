"""Process settings, read from `MALTASTIC_*` environment variables and an optional `.env` file."""

from __future__ import annotations

import enum
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-change-me"  # noqa: S105
MIN_SECRET_KEY_LENGTH = 32
DEFAULT_DATABASE_URL = "sqlite:///var/maltastic.sqlite3"


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class LogFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"


class LogLevel(enum.StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class HostPort:
    """A `host:port` pair such as the relay's next hop."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    @classmethod
    def parse(cls, value: str) -> HostPort:
        host, separator, port_text = value.rpartition(":")
        if not separator or not host or not port_text.isdigit():
            raise ValueError(f"expected host:port such as smtp.example.com:25, got {value!r}")
        port = int(port_text)
        if not 0 < port < 65536:
            raise ValueError(f"port must be between 1 and 65535, got {port}")
        return cls(host.strip("[]"), port)

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class Settings(BaseSettings):
    """All settings of one Maltastic process.

    Every field can be set as `MALTASTIC_<FIELD>` in the environment or in `.env`.
    """

    model_config = SettingsConfigDict(
        env_prefix="MALTASTIC_", env_file=".env", extra="ignore", frozen=True
    )

    environment: Environment = Field(
        Environment.DEVELOPMENT,
        description="development (demo defaults allowed) or production (strict checks)",
    )
    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    public_base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Base URL that banner and click links in signatures point to",
    )
    secret_key: SecretStr = Field(
        SecretStr(DEVELOPMENT_SECRET_KEY),
        description="Key for sessions and for encrypting stored secrets, 32+ characters",
    )
    previous_secret_keys: SecretStr | None = Field(
        None,
        description="Earlier secret keys, comma-separated, that still open stored secrets "
        "until `maltastic secrets rotate` seals them with the current key",
    )
    http_host: str = Field("127.0.0.1", description="Address the web server listens on")
    http_port: int = Field(8000, ge=1, le=65535, description="Port of the web server")
    smtp_host: str = Field("127.0.0.1", description="Address the SMTP relay listens on")
    smtp_port: int = Field(2525, ge=1, le=65535, description="Port of the SMTP relay")
    next_hop: str | None = Field(
        None, description="host:port the relay delivers to; empty means the local outbox"
    )
    outbox_dir: Path = Field(Path("var/outbox"), description="Folder of the demo outbox")
    relay_allowed_networks: str = Field(
        "127.0.0.0/8,::1/128",
        description="Comma-separated CIDR networks whose SMTP clients may hand mail to the relay",
    )
    relay_tls_cert: Path | None = Field(None, description="PEM certificate for STARTTLS")
    relay_tls_key: Path | None = Field(None, description="PEM private key for STARTTLS")
    relay_require_tls: bool = Field(False, description="Reject mail before STARTTLS")
    relay_auth_users: SecretStr | None = Field(
        None, description="SMTP AUTH logins as user:password pairs, comma-separated"
    )
    relay_max_message_size: int = Field(
        160 * 1024 * 1024, ge=1024, description="Largest accepted message in bytes"
    )
    relay_next_hop_tls: str = Field(
        "opportunistic", description="STARTTLS to the next hop: required, opportunistic or off"
    )
    redis_url: str | None = Field(None, description="redis://host:port/db, optional")
    log_level: LogLevel = Field(LogLevel.INFO, description="DEBUG, INFO, WARNING or ERROR")
    log_format: LogFormat = Field(LogFormat.TEXT, description="text or json")

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError(
                f"unsupported database {value!r}: use sqlite:///path/file.sqlite3 "
                "or postgresql+psycopg://user@host:5432/dbname"
            )
        return value

    @field_validator("public_base_url")
    @classmethod
    def _check_public_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL: use https://t.example.com")
        return value.rstrip("/")

    @field_validator("next_hop")
    @classmethod
    def _check_next_hop(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        HostPort.parse(value.strip())
        return value.strip()

    @field_validator("relay_next_hop_tls")
    @classmethod
    def _check_next_hop_tls(cls, value: str) -> str:
        if value not in ("required", "opportunistic", "off"):
            raise ValueError(f"{value!r} is invalid: use required, opportunistic or off")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"{value!r} is not a Redis URL: use redis://127.0.0.1:6379/0")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("secret_key")
    @classmethod
    def _check_secret_key(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        key = value.get_secret_value()
        environment = info.data.get("environment", Environment.DEVELOPMENT)
        if environment is Environment.PRODUCTION and key == DEVELOPMENT_SECRET_KEY:
            raise ValueError(
                "the development default is not allowed in production: set "
                "MALTASTIC_SECRET_KEY to a random value, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"{len(key)} characters are too few, at least {MIN_SECRET_KEY_LENGTH} "
                "are needed: set MALTASTIC_SECRET_KEY to a longer random value"
            )
        return value

    @cached_property
    def previous_secret_key_list(self) -> list[str]:
        if self.previous_secret_keys is None:
            return []
        text = self.previous_secret_keys.get_secret_value()
        return [key.strip() for key in text.split(",") if key.strip()]

    @cached_property
    def next_hop_address(self) -> HostPort | None:
        return HostPort.parse(self.next_hop) if self.next_hop else None

    @property
    def is_development(self) -> bool:
        return self.environment is Environment.DEVELOPMENT


class SettingsError(Exception):
    """Invalid settings; the message names each setting and how to fix it."""


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning validation errors into one readable `SettingsError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None


def describe_validation_error(error: ValidationError) -> str:
    lines = ["Invalid settings:"]
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "settings"
        variable = f"MALTASTIC_{field.upper()}" if problem["loc"] else "MALTASTIC_*"
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"  {variable}: {message}")
    return "\n".join(lines)
