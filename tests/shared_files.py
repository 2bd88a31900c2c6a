"""Locate the shared test data that sits beside the repository, or skip without it."""

from pathlib import Path

import pytest

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPOSITORY_ROOT.parent / "shared"


def shared_path(relative: str) -> Path:
    """Return a path under the shared folder, skipping the calling test when it is absent."""
    path = SHARED_DIR / relative
    if not path.exists():
        pytest.skip(f"shared test data not found at {path}: clone the project beside shared/")
    return path
