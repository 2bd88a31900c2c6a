"""One HTTP/1.1 connection of the lean tracking server: parsing, limits, keep-alive.

The protocol parses requests with httptools and gets each response from
`TrackingHttpServer.respond`. Most responses are ready synchronously, so pipelined
requests get their responses in order as they are parsed. A response that needs loading first (see
`Tracker.try_banner`) runs as a task, and requests parsed meanwhile wait in a queue
until it is written.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import httptools

from maltastic.tracking.http_responses import (
    BAD_REQUEST,
    CONTENT_TOO_LARGE,
    HEADERS_TOO_LARGE,
    INTERNAL_ERROR,
    REQUEST_TIMEOUT,
)
from maltastic.tracking.responses import CLASSIFIED_HEADERS

if TYPE_CHECKING:
    from maltastic.tracking.http_server import TrackingHttpServer

logger = logging.getLogger(__name__)

MAX_HEADER_BYTES = 16 * 1024  # request line target plus all header names and values
MAX_HEADER_COUNT = 100
# The tracking endpoints read no request body; a small one is discarded, a larger one
# gets 413 and the connection is closed.
MAX_BODY_BYTES = 8 * 1024


class Request(NamedTuple):
    """A parsed request waiting for its turn behind a response that is still loading."""

    method: bytes
    target: bytes
    headers: dict[str, str]
    keep_alive: bool
    http_1_0: bool


class RejectedRequestError(Exception):
    """Raised inside a parser callback to stop parsing a request that breaks a limit."""

    def __init__(self, response: bytes) -> None:
        super().__init__("request rejected")
        self.response = response


class TrackingHttpProtocol(asyncio.Protocol):
    def __init__(self, server: TrackingHttpServer) -> None:
        self.server = server
        self.loop = server.loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.client_ip: str | None = None
        self.last_activity = self.loop.time()
        self.message_started: float | None = None  # loop time of an unfinished request
        self.stopping = False  # the server is stopping: close after the current response
        self.closed = False
        self._target = b""
        self._headers: dict[str, str] = {}
        self._header_bytes = 0
        self._header_count = 0
        self._body_bytes = 0
        self._has_host = False
        # Requests parsed while an earlier one loads, and an error response that ends them.
        self._waiting: deque[Request | bytes] = deque()
        self._loading: asyncio.Task[None] | None = None
        self._writing_paused = False

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCP transport implements asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        # Kept in memory for classification only; never logged or stored.
        self.client_ip = peer[0] if isinstance(peer, tuple) else None
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server.connections.discard(self)
        if self._loading is not None:
            self._loading.cancel()

    def data_received(self, data: bytes) -> None:
        self.last_activity = self.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # Requests before the upgrade get their responses; this server supports no upgrade.
            self.close_after_responses()
        except httptools.HttpParserCallbackError as error:
            rejected = error.__context__
            if isinstance(rejected, RejectedRequestError):
                self.reject(rejected.response)
            else:
                logger.error("tracking request failed: %r", rejected)
                self.reject(INTERNAL_ERROR)
        except httptools.HttpParserError:
            self.reject(BAD_REQUEST)

    def pause_writing(self) -> None:
        self._writing_paused = True
        self._pause_reading()

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._resume_reading()

    # httptools callbacks

    def on_message_begin(self) -> None:
        self.message_started = self.last_activity
        self._target = b""
        self._headers = {}
        self._header_bytes = 0
        self._header_count = 0
        self._body_bytes = 0
        self._has_host = False

    def on_url(self, url: bytes) -> None:
        self._target += url
        self._header_bytes += len(url)
        if self._header_bytes > MAX_HEADER_BYTES:
            raise RejectedRequestError(HEADERS_TOO_LARGE)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > MAX_HEADER_BYTES or self._header_count > MAX_HEADER_COUNT:
            raise RejectedRequestError(HEADERS_TOO_LARGE)
        name = name.lower()
        if name == b"host":
            self._has_host = True
        elif name in CLASSIFIED_HEADERS:
            self._headers[name.decode("latin-1")] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        if self._body_bytes > MAX_BODY_BYTES:
            raise RejectedRequestError(CONTENT_TOO_LARGE)

    def on_message_complete(self) -> None:
        self.message_started = None
        if self.closed:
            return
        parser = self.parser
        version = parser.get_http_version()
        # HTTP/1.1 requires a Host header (RFC 9112 section 3.2); HTTP/0.9 is not served.
        if version == "0.9" or (version == "1.1" and not self._has_host):
            raise RejectedRequestError(BAD_REQUEST)
        request = Request(
            parser.get_method(),
            self._target,
            self._headers,
            parser.should_keep_alive() and not self.stopping,
            version == "1.0",
        )
        if self._loading is None:
            self.answer(request)
        else:
            self._waiting.append(request)
            self._pause_reading()

    # Responses

    def answer(self, request: Request) -> None:
        assert self.transport is not None
        try:
            response = self.server.respond(request, self.client_ip)
        except Exception:
            logger.exception("tracking request failed")
            self.reject(INTERNAL_ERROR)
            return
        if type(response) is bytes:
            self.transport.write(response)
            if not request.keep_alive:
                self.close_after_responses()
            return
        assert not isinstance(response, bytes)  # narrows the type for mypy
        self._loading = self.loop.create_task(self._answer_later(response, request.keep_alive))
        self._pause_reading()

    async def _answer_later(self, pending: Coroutine[Any, Any, bytes], keep_alive: bool) -> None:
        try:
            response = await pending
        except Exception:
            logger.exception("tracking request failed")
            response, keep_alive = INTERNAL_ERROR, False
        if self.closed or self.transport is None:
            return
        self.transport.write(response)
        self._loading = None
        if not keep_alive:
            self.close_after_responses()
            return
        # Respond to the requests that arrived meanwhile, in order, until one has to load.
        while self._waiting and self._loading is None and not self.closed:
            waiting = self._waiting.popleft()
            if isinstance(waiting, Request):
                self.answer(waiting)
            else:
                self.reject(waiting)
        if self._loading is None and not self.closed:
            if self.stopping:
                self.close_after_responses()
            else:
                self._resume_reading()

    def reject(self, response: bytes) -> None:
        """Send an error response (it carries `Connection: close`) and close.

        While an earlier request is still loading, the rejection waits in the queue, so
        the requests parsed before it get their responses first. An empty response only
        closes the connection.
        """
        if self.closed or self.transport is None:
            return
        if self._loading is not None:
            self._waiting.append(response)
            return
        self.transport.write(response)
        self.close_after_responses()

    def close_after_responses(self) -> None:
        """Close once every request parsed so far has its response, and ignore further input."""
        if self.closed or self.transport is None:
            return
        if self._loading is not None:
            self._waiting.append(b"")
            return
        self.closed = True
        self._waiting.clear()
        self.transport.close()  # sends what is buffered first

    # Idle and stop handling, called by the server

    def is_idle(self) -> bool:
        return self._loading is None and self.message_started is None

    def check_timeouts(self, now: float, keep_alive_timeout: float, request_timeout: float) -> None:
        if self.closed:
            return
        if self.message_started is not None and now - self.message_started > request_timeout:
            self.reject(REQUEST_TIMEOUT)
        elif self.is_idle() and now - self.last_activity > keep_alive_timeout:
            self.close_after_responses()

    def stop(self) -> None:
        """Close now when idle; otherwise close after the response in progress."""
        self.stopping = True
        if self.is_idle():
            self.close_after_responses()

    def _pause_reading(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.pause_reading()

    def _resume_reading(self) -> None:
        if (
            self.transport is not None
            and not self.closed
            and not self._writing_paused
            and self._loading is None
        ):
            self.transport.resume_reading()
