"""HTTP/1.1 responses of the lean tracking server, serialised to bytes.

Responses carry no `Date` header (RFC 9110 section 6.6.1 lets an origin server without
a reliable clock leave it out, and nothing here depends on it) and no `Server` header.
"""

from __future__ import annotations

from http import HTTPStatus

CLOSE = b"connection: close\r\n"
KEEP_ALIVE = b"connection: keep-alive\r\n"  # only for HTTP/1.0 clients that ask for it
NO_CACHE = b"cache-control: no-cache, max-age=0\r\nx-content-type-options: nosniff\r\n"


def http_response(
    status: int,
    content_type: bytes,
    body: bytes,
    *,
    extra_headers: bytes = b"",
    head: bool = False,
    connection: bytes = b"",
) -> bytes:
    """Serialise one response; `head` keeps the Content-Length but leaves out the body.

    `extra_headers` and `connection` are complete header lines ending in CRLF.
    """
    reason = HTTPStatus(status).phrase.encode("ascii")
    return b"".join(
        (
            b"HTTP/1.1 %d %s\r\n" % (status, reason),
            b"content-type: %s\r\ncontent-length: %d\r\n" % (content_type, len(body)),
            extra_headers,
            connection,
            b"\r\n",
            b"" if head else body,
        )
    )


def connection_header(keep_alive: bool, http_1_0: bool) -> bytes:
    """Return the Connection header line a response needs, or nothing for HTTP/1.1 keep-alive."""
    if not keep_alive:
        return CLOSE
    return KEEP_ALIVE if http_1_0 else b""


def error_response(status: int) -> bytes:
    """Serialise an error that ends the connection, with the status phrase as the body."""
    body = HTTPStatus(status).phrase.encode("ascii") + b"\n"
    return http_response(status, b"text/plain; charset=utf-8", body, connection=CLOSE)


BAD_REQUEST = error_response(400)
REQUEST_TIMEOUT = error_response(408)
CONTENT_TOO_LARGE = error_response(413)
HEADERS_TOO_LARGE = error_response(431)
INTERNAL_ERROR = error_response(500)
