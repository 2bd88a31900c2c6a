"""The `maltastic` command line."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from maltastic.cli.outbox import outbox_app
from maltastic.cli.output import fail
from maltastic.cli.setup import setup_app
from maltastic.db.migrate import upgrade_database
from maltastic.demo.loader import load_demo
from maltastic.logging_setup import configure_logging
from maltastic.runtime import Runtime
from maltastic.security.rotation import reseal_all
from maltastic.security.secrets import SecretDecryptionError
from maltastic.settings import SettingsError, load_settings
from maltastic.tenants.service import TenantError, create_tenant, find_tenant
from maltastic.users.models import Role
from maltastic.users.service import UserError, create_user

app = typer.Typer(
    help="Maltastic: personalised banners in every employee's email signature.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data for trying the product.", no_args_is_help=True)
users_app = typer.Typer(help="Admin users who log in to the web application.", no_args_is_help=True)
tenants_app = typer.Typer(help="Tenants: the customer companies.", no_args_is_help=True)
secrets_app = typer.Typer(help="Secrets stored encrypted in the database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(users_app, name="users")
app.add_typer(tenants_app, name="tenants")
app.add_typer(secrets_app, name="secrets")
app.add_typer(setup_app, name="setup")
app.add_typer(outbox_app, name="outbox")


@contextmanager
def open_runtime() -> Iterator[Runtime]:
    try:
        settings = load_settings()
    except SettingsError as error:
        fail(str(error))
    configure_logging(settings)
    runtime = Runtime.from_settings(settings)
    try:
        yield runtime
    finally:
        runtime.close()


@app.command()
def serve() -> None:
    """Start the product: admin and tracking on the HTTP port, the relay on the SMTP port."""
    from maltastic.server import run_server

    with open_runtime() as runtime:
        run_server(runtime)


@app.command("serve-tracking")
def serve_tracking(
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Worker processes; default: the number of CPUs"),
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on; default: MALTASTIC_HTTP_HOST")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=0, max=65535, help="Port to listen on; default: MALTASTIC_HTTP_PORT"),
    ] = None,
) -> None:
    """Serve only the public tracking endpoints (banner, click, health) in worker processes."""
    from maltastic.tracking.workers import run_tracking_server

    try:
        settings = load_settings()
    except SettingsError as error:
        fail(str(error))
    configure_logging(settings)
    status = run_tracking_server(
        settings,
        settings.http_host if host is None else host,
        settings.http_port if port is None else port,
        workers or os.cpu_count() or 1,
    )
    raise typer.Exit(status)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database or bring its schema up to date (safe to repeat)."""
    with open_runtime() as runtime:
        upgrade_database(runtime.engine)
        typer.echo(f"Database is up to date: {runtime.engine.url.render_as_string()}")


@demo_app.command("load")
def demo_load() -> None:
    """Create the demo tenant Beispiel GmbH (beispiel.de); running it again changes nothing."""
    with open_runtime() as runtime:
        login = load_demo(runtime.session_factory, runtime.secret_box)
    typer.echo(f"Demo tenant {login.tenant_slug!r} is ready.")
    typer.echo(f"Demo login: {login.email} / {login.password}")


@tenants_app.command("create")
def tenants_create(
    slug: Annotated[str, typer.Argument(help="Short name used in URLs, e.g. beispiel-gmbh")],
    name: Annotated[str, typer.Option(help="Company name shown in the admin application")],
    domain: Annotated[list[str], typer.Option(help="Own sending domain; repeat for several")],
    internal: Annotated[
        list[str] | None,
        typer.Option(help="Internal domain (subsidiary, partner); repeat for several"),
    ] = None,
) -> None:
    """Create a tenant with its own sending domains and optional internal domains."""
    with open_runtime() as runtime, runtime.session_factory.begin() as session:
        try:
            tenant = create_tenant(
                session, slug=slug, name=name, own_domains=domain, internal_domains=internal or []
            )
        except TenantError as error:
            fail(str(error))
        typer.echo(f"Created tenant {tenant.slug!r} (id {tenant.id}).")


@secrets_app.command("rotate")
def secrets_rotate() -> None:
    """Encrypt every stored secret again with MALTASTIC_SECRET_KEY.

    Set the new key as MALTASTIC_SECRET_KEY and the old one in
    MALTASTIC_PREVIOUS_SECRET_KEYS, run this command, then remove the old key.
    """
    with open_runtime() as runtime:
        try:
            with runtime.session_factory.begin() as session:
                count = reseal_all(session, runtime.secret_box)
        except SecretDecryptionError as error:
            fail(f"nothing was changed: {error}")
    typer.echo(
        f"Encrypted stored secrets with the current key: {count}. "
        "MALTASTIC_PREVIOUS_SECRET_KEYS can be removed now."
    )


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Argument(help="Login email address of the user")],
    tenant: Annotated[str, typer.Option(help="Slug of the tenant the user belongs to")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            confirmation_prompt=True,
            hide_input=True,
            help="Password, at least 10 characters (asked for when left out)",
        ),
    ],
    role: Annotated[Role, typer.Option(help="What the user may do in that tenant")] = Role.ADMIN,
) -> None:
    """Create an admin user, or give an existing user a role in another tenant."""
    with open_runtime() as runtime, runtime.session_factory.begin() as session:
        found = find_tenant(session, tenant)
        if found is None:
            fail(
                f"tenant {tenant!r} not found: list slugs with the admin application "
                "or create one with `maltastic tenants create`"
            )
        try:
            user = create_user(session, email=email, password=password, tenant=found, role=role)
        except UserError as error:
            fail(str(error))
        typer.echo(f"User {user.email} is {role.value} of tenant {found.slug!r}.")
