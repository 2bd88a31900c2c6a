"""Banner and click URLs of the tracking service, built from a public base URL and a token.

The tracking endpoints serve `GET /b/<token>` (banner image) and `GET /c/<token>` (click
redirect). A base URL may carry a path prefix, e.g. `https://example.com/track`.
"""

from __future__ import annotations

BANNER_PATH_PREFIX = "/b/"
CLICK_PATH_PREFIX = "/c/"


def banner_url(base_url: str, token: str) -> str:
    return _join(base_url, BANNER_PATH_PREFIX, token)


def click_url(base_url: str, token: str) -> str:
    return _join(base_url, CLICK_PATH_PREFIX, token)


def _join(base_url: str, prefix: str, token: str) -> str:
    if not base_url.startswith(("https://", "http://")):
        raise ValueError(f"tracking base URL {base_url!r} must start with https:// or http://")
    return f"{base_url.rstrip('/')}{prefix}{token}"
