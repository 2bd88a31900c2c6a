"""The lean tracking server: the public tracking paths over plain HTTP/1.1.

It serves only `/b/<token>`, `/c/<token>`, the "link unavailable" page and `/health`,
with the same responses as the ASGI `TrackingApp`, because both call `Tracker`. It skips
ASGI because the ASGI servers themselves cost more per request than the whole
tracking work (see docs/benchmarks.md). Everything else gets 404.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Coroutine
from typing import Any, TypeVar
from urllib.parse import unquote

import httptools
from starlette.concurrency import run_in_threadpool

from maltastic.tracking.http_protocol import Request, TrackingHttpProtocol
from maltastic.tracking.http_responses import (
    BAD_REQUEST,
    NO_CACHE,
    connection_header,
    http_response,
)
from maltastic.tracking.links import BANNER_PATH_PREFIX, CLICK_PATH_PREFIX
from maltastic.tracking.responses import (
    TRANSPARENT_GIF,
    UNAVAILABLE_PAGE,
    UNAVAILABLE_PATH,
    ascii_location,
)
from maltastic.tracking.service import COLD, BannerImage, Tracker
from maltastic.web.routes.health import check_database, check_redis

logger = logging.getLogger(__name__)

KEEP_ALIVE_TIMEOUT = 5.0  # seconds an idle keep-alive connection stays open
REQUEST_TIMEOUT = 10.0  # seconds from a request's first byte to its end
STOP_TIMEOUT = 10.0  # seconds a stop waits for responses in progress
RESPONSE_CACHE_SIZE = 512

Response = bytes | Coroutine[Any, Any, bytes]
Key = TypeVar("Key")

ALLOW = b"allow: GET, HEAD\r\n"
HTML = b"text/html; charset=utf-8"
BANNER_PREFIX = BANNER_PATH_PREFIX.encode()
CLICK_PREFIX = CLICK_PATH_PREFIX.encode()


class TrackingHttpServer:
    """The routes, the serialised-response caches and the open connections of one process."""

    def __init__(self, tracker: Tracker, loop: asyncio.AbstractEventLoop) -> None:
        self.tracker = tracker
        self.loop = loop
        self.connections: set[TrackingHttpProtocol] = set()
        self._listener: asyncio.Server | None = None
        self._sweeper: asyncio.Task[None] | None = None
        # Responses for GET with HTTP/1.1 keep-alive, the common case, serialised once.
        self._image_responses: dict[BannerImage, bytes] = {}
        self._redirect_responses: dict[str, bytes] = {}
        self._fallback_image = self._image_response(BannerImage(TRANSPARENT_GIF, "image/gif"))

    async def start(self, sock: socket.socket) -> None:
        self._listener = await self.loop.create_server(
            lambda: TrackingHttpProtocol(self), sock=sock, backlog=2048
        )
        self._sweeper = self.loop.create_task(self._close_idle_connections())

    async def stop(self) -> None:
        """Stop accepting, let responses in progress finish, then close every connection."""
        if self._listener is not None:
            self._listener.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
        for connection in list(self.connections):
            connection.stop()
        deadline = self.loop.time() + STOP_TIMEOUT
        while self.connections and self.loop.time() < deadline:
            await asyncio.sleep(0.05)
            self._check_timeouts()
        if self.connections:
            logger.warning(
                "closing %d connections still open after the stop", len(self.connections)
            )
        for connection in list(self.connections):
            if connection.transport is not None:
                connection.transport.abort()

    async def _close_idle_connections(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self._check_timeouts()

    def _check_timeouts(self) -> None:
        now = self.loop.time()
        for connection in list(self.connections):
            connection.check_timeouts(now, KEEP_ALIVE_TIMEOUT, REQUEST_TIMEOUT)

    # Routing

    def respond(self, request: Request, client_ip: str | None) -> Response:
        """Return the serialised response, or a coroutine that returns it after loading."""
        method, target, headers, keep_alive, http_1_0 = request
        path = request_path(target)
        if path is None:
            return BAD_REQUEST
        head = method == b"HEAD"
        if method != b"GET" and not head:
            if path.startswith(BANNER_PREFIX) or path.startswith(CLICK_PREFIX):
                return self._method_not_allowed(keep_alive, http_1_0)
            if path in (UNAVAILABLE_PATH.encode(), b"/health"):
                return self._method_not_allowed(keep_alive, http_1_0)
            return self._not_found(keep_alive, http_1_0)
        simple = keep_alive and not http_1_0 and not head
        method_name = "HEAD" if head else "GET"

        if path.startswith(BANNER_PREFIX):
            token = decode_path(path[len(BANNER_PREFIX) :])
            image = self.tracker.try_banner(token, method_name, headers, client_ip)
            if image is COLD:
                return self._banner_later(
                    token, method_name, headers, client_ip, keep_alive, http_1_0
                )
            return self._banner_response(image, simple, head, keep_alive, http_1_0)

        if path.startswith(CLICK_PREFIX):
            token = decode_path(path[len(CLICK_PREFIX) :])
            location = self.tracker.try_click(token, method_name, headers, client_ip)
            if location is COLD:
                return self._click_later(
                    token, method_name, headers, client_ip, keep_alive, http_1_0
                )
            return self._redirect_response(location, simple, head, keep_alive, http_1_0)

        connection = connection_header(keep_alive, http_1_0)
        if path == UNAVAILABLE_PATH.encode():
            return http_response(200, HTML, UNAVAILABLE_PAGE, head=head, connection=connection)
        if path == b"/health":
            return self._health(head, connection)
        return self._not_found(keep_alive, http_1_0)

    async def _banner_later(
        self,
        token: str,
        method: str,
        headers: dict[str, str],
        client_ip: str | None,
        keep_alive: bool,
        http_1_0: bool,
    ) -> bytes:
        image = await self.tracker.banner(token, method, headers, client_ip)
        simple = keep_alive and not http_1_0 and method == "GET"
        return self._banner_response(image, simple, method == "HEAD", keep_alive, http_1_0)

    async def _click_later(
        self,
        token: str,
        method: str,
        headers: dict[str, str],
        client_ip: str | None,
        keep_alive: bool,
        http_1_0: bool,
    ) -> bytes:
        location = await self.tracker.click(token, method, headers, client_ip)
        simple = keep_alive and not http_1_0 and method == "GET"
        return self._redirect_response(location, simple, method == "HEAD", keep_alive, http_1_0)

    async def _health(self, head: bool, connection: bytes) -> bytes:
        """Report whether the database (and Redis, if configured) respond, like the admin app."""
        runtime = self.tracker.runtime
        checks = {
            "database": await run_in_threadpool(check_database, runtime),
            "redis": await check_redis(runtime.settings.redis_url),
        }
        healthy = all(state in ("ok", "not configured") for state in checks.values())
        body = json.dumps({"status": "ok" if healthy else "unavailable", **checks}).encode()
        status = 200 if healthy else 503
        return http_response(status, b"application/json", body, head=head, connection=connection)

    # Serialised responses

    def _banner_response(
        self, image: BannerImage | None, simple: bool, head: bool, keep_alive: bool, http_1_0: bool
    ) -> bytes:
        if simple:
            if image is None:
                return self._fallback_image
            cached = self._image_responses.get(image)
            if cached is None:
                cached = remember(self._image_responses, image, self._image_response(image))
            return cached
        if image is None:
            image = BannerImage(TRANSPARENT_GIF, "image/gif")
        return http_response(
            200,
            image.content_type.encode(),
            image.data,
            extra_headers=NO_CACHE,
            head=head,
            connection=connection_header(keep_alive, http_1_0),
        )

    def _image_response(self, image: BannerImage) -> bytes:
        return http_response(200, image.content_type.encode(), image.data, extra_headers=NO_CACHE)

    def _redirect_response(
        self, location: str, simple: bool, head: bool, keep_alive: bool, http_1_0: bool
    ) -> bytes:
        if simple:
            cached = self._redirect_responses.get(location)
            if cached is None:
                response = redirect_response(location, b"")
                cached = remember(self._redirect_responses, location, response)
            return cached
        return redirect_response(location, connection_header(keep_alive, http_1_0))

    def _method_not_allowed(self, keep_alive: bool, http_1_0: bool) -> bytes:
        connection = connection_header(keep_alive, http_1_0)
        extra = ALLOW
        return http_response(405, b"text/plain", b"", extra_headers=extra, connection=connection)

    def _not_found(self, keep_alive: bool, http_1_0: bool) -> bytes:
        connection = connection_header(keep_alive, http_1_0)
        return http_response(
            404, b"text/plain; charset=utf-8", b"Not Found\n", connection=connection
        )


def redirect_response(location: str, connection: bytes) -> bytes:
    headers = b"location: " + ascii_location(location) + b"\r\n" + NO_CACHE
    return http_response(302, b"text/plain", b"", extra_headers=headers, connection=connection)


def request_path(target: bytes) -> bytes | None:
    """Return the path of an origin-form or absolute-form request target, None if invalid."""
    if target.startswith(b"/"):
        end = target.find(b"?")
        return target if end < 0 else target[:end]
    try:
        path = httptools.parse_url(target).path
    except httptools.HttpParserInvalidURLError:
        return None
    return path or None


def decode_path(raw: bytes) -> str:
    """Percent-decode a path segment as UTF-8, as ASGI servers do for `scope["path"]`."""
    text = raw.decode("latin-1")
    return unquote(text) if "%" in text else text


def remember(cache: dict[Key, bytes], key: Key, response: bytes) -> bytes:
    """Store a serialised response; a full cache is emptied, since few responses repeat."""
    if len(cache) >= RESPONSE_CACHE_SIZE:
        cache.clear()
    cache[key] = response
    return response
