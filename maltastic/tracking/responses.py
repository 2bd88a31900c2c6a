"""Response bodies and headers that both tracking front ends send."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from maltastic.tracking.service import UNAVAILABLE_PATH

__all__ = [
    "CLASSIFIED_HEADERS",
    "NO_CACHE_HEADERS",
    "TRANSPARENT_GIF",
    "UNAVAILABLE_PAGE",
    "UNAVAILABLE_PATH",
    "ascii_location",
]

NO_CACHE_HEADERS = [
    (b"cache-control", b"no-cache, max-age=0"),
    (b"x-content-type-options", b"nosniff"),
]
# A 1×1 transparent GIF, the smallest image every mail client shows as nothing.
TRANSPARENT_GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)
UNAVAILABLE_PAGE = """<!doctype html><html lang="de"><meta charset="utf-8">
<title>Link nicht verfügbar / Link unavailable</title>
<body style="font-family: sans-serif; max-width: 36em; margin: 4em auto; color: #333">
<h1>Dieser Link ist nicht mehr verfügbar.</h1>
<p>Die Aktion, auf die er verwies, ist beendet.</p>
<p lang="en">This link is no longer available: the campaign it pointed to has ended.</p>
</body></html>""".encode()
# Only these request headers are read; everything else is never decoded.
CLASSIFIED_HEADERS = frozenset({b"user-agent", b"purpose", b"sec-purpose", b"x-purpose", b"x-moz"})
# Characters a URL may keep as they are; anything else (such as umlauts) is percent-encoded.
URL_SAFE_CHARACTERS = ":/?#[]@!$&'()*+,;=%~"


@lru_cache(maxsize=1024)
def ascii_location(location: str) -> bytes:
    """Percent-encode a redirect target for the Location header; a few targets repeat often."""
    return quote(location, safe=URL_SAFE_CHARACTERS).encode("ascii")
