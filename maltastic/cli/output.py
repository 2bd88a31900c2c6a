from typing import NoReturn

import typer


def fail(message: str) -> NoReturn:
    """Print `message` to standard error and exit with status 2."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code=2)
