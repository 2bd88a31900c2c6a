"""Run the installed `maltastic` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_SECRET_KEY


def cli_environment(database_url: str, **settings: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MALTASTIC_")}
    environment["MALTASTIC_DATABASE_URL"] = database_url
    environment["MALTASTIC_SECRET_KEY"] = TEST_SECRET_KEY
    environment.update({f"MALTASTIC_{name.upper()}": value for name, value in settings.items()})
    return environment


def run_cli(
    *arguments: str, database_url: str, cwd: Path, **settings: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "maltastic", *arguments],
        cwd=cwd,
        env=cli_environment(database_url, **settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
