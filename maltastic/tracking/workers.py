"""Run the lean tracking server in several worker processes.

The parent process forks the workers and supervises them. Each worker has its own
listening socket on the same address with SO_REUSEPORT, so the kernel spreads new
connections over the workers by a hash of their addresses. Each worker also has its
own runtime, `Tracker` and `EventBuffer`. SIGTERM or SIGINT to the parent is passed
on to every worker. A worker then stops accepting, finishes the responses in progress,
writes its buffered events and exits, and the parent returns once all have exited.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import socket
import time
from functools import partial
from types import FrameType

import uvloop

from maltastic.db.engine import create_db_engine
from maltastic.db.migrate import schema_is_current
from maltastic.runtime import Runtime
from maltastic.security.rotation import secrets_problem
from maltastic.settings import Settings
from maltastic.tracking.events import EventBuffer
from maltastic.tracking.http_server import TrackingHttpServer
from maltastic.tracking.maintenance import run_periodically
from maltastic.tracking.service import Tracker
from maltastic.tracking.storage import write_events

logger = logging.getLogger(__name__)

# A worker that exits sooner than this after its start is not restarted, because it
# would most likely fail again the same way (bad settings, database unreachable).
MIN_WORKER_LIFETIME = 10.0
LISTEN_BACKLOG = 2048
# Without Redis, loaded tenant indexes are rebuilt this often (see refresh_indexes).
INDEX_REFRESH_SECONDS = 60.0


class WorkerStartError(Exception):
    """A worker exited right after it started, so the server stops instead of retrying."""


def bind_socket(host: str, port: int, *, listen: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(LISTEN_BACKLOG)
            sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class Supervisor:
    """The parent process: forks the workers, restarts crashed ones, passes on stop signals."""

    def __init__(self, settings: Settings, host: str, port: int, workers: int) -> None:
        self.settings = settings
        self.host = host
        self.port = port
        self.worker_count = workers
        self.workers: dict[int, float] = {}  # process id -> start time (monotonic)
        self.stopping = False
        self.reservation: socket.socket | None = None

    def run(self) -> int:
        """Serve until a stop signal; return the exit status for the command."""
        # Bound but not listening: it reserves the port and fails early when it is taken,
        # yet the kernel hands connections only to the workers' listening sockets.
        self.reservation = bind_socket(self.host, self.port, listen=False)
        self.port = self.reservation.getsockname()[1]
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for number in range(self.worker_count):
            self._fork(number)
        logger.info(
            "tracking server listening on %s port %d with %d workers",
            self.host,
            self.port,
            self.worker_count,
        )
        status = 0
        try:
            self._wait_for_workers()
        except WorkerStartError as error:
            logger.error("%s", error)
            self._signal_workers(signal.SIGTERM)
            self._wait_for_workers()
            status = 1
        finally:
            self.reservation.close()
        logger.info("tracking server stopped")
        return status

    def _wait_for_workers(self) -> None:
        while self.workers:
            pid, wait_status = os.wait()
            started = self.workers.pop(pid, None)
            if started is None:
                continue
            code = os.waitstatus_to_exitcode(wait_status)
            if self.stopping:
                if code != 0:
                    logger.warning("tracking worker pid=%d exited with status %d", pid, code)
                continue
            if time.monotonic() - started < MIN_WORKER_LIFETIME:
                raise WorkerStartError(
                    f"tracking worker pid={pid} exited with status {code} right after its "
                    "start; see its log lines above"
                )
            logger.error("tracking worker pid=%d exited with status %d, restarting it", pid, code)
            self._fork(len(self.workers))

    def _fork(self, number: int) -> None:
        pid = os.fork()
        if pid == 0:
            os._exit(run_worker(self.settings, self.host, self.port, number, self.reservation))
        self.workers[pid] = time.monotonic()

    def _stop(self, signal_number: int, _frame: FrameType | None) -> None:
        if not self.stopping:
            logger.info("received %s, stopping the workers", signal.Signals(signal_number).name)
        self.stopping = True
        self._signal_workers(signal.SIGTERM)

    def _signal_workers(self, signal_number: int) -> None:
        for pid in self.workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal_number)


def run_worker(
    settings: Settings, host: str, port: int, number: int, reservation: socket.socket | None
) -> int:
    """Serve in a forked worker until SIGTERM or SIGINT; return its exit status."""
    status = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if reservation is not None:
            reservation.close()
        sock = bind_socket(host, port, listen=True)
        runtime = Runtime.from_settings(settings)
        change_bus = runtime.connect_change_bus()
        try:
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                runner.run(serve_worker(runtime, sock, number))
            status = 0
        finally:
            if change_bus is not None:
                change_bus.stop()
            runtime.close()
    except Exception:
        logger.exception("tracking worker %d failed", number)
    finally:
        logging.shutdown()
    return status


async def serve_worker(runtime: Runtime, sock: socket.socket, number: int) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)

    buffer = EventBuffer(partial(write_events, runtime.engine))
    tracker = Tracker(runtime, buffer)
    await asyncio.to_thread(tracker.load_keyring)
    buffer.start()
    maintenance = asyncio.create_task(run_periodically(runtime), name="tracking-maintenance")
    refresh = None
    if runtime.settings.redis_url is None:
        if number == 0:
            logger.warning(
                "MALTASTIC_REDIS_URL is not set: the tracking workers reload campaign data "
                "every %.0f s instead of right after each change",
                INDEX_REFRESH_SECONDS,
            )
        refresh = asyncio.create_task(refresh_indexes(runtime), name="tracking-index-refresh")
    # Move everything loaded so far out of the collector's reach: otherwise each full
    # collection walks every module and SQLAlchemy object again, which showed up as
    # pauses of tens of milliseconds under load.
    gc.collect()
    gc.freeze()
    server = TrackingHttpServer(tracker, loop)
    await server.start(sock)
    logger.info("tracking worker %d (pid %d) started", number, os.getpid())

    await stop.wait()
    await server.stop()
    maintenance.cancel()
    if refresh is not None:
        refresh.cancel()
    await buffer.close()
    logger.info(
        "tracking worker %d stopped: %d banner images and %d redirects served, %d events written",
        number,
        tracker.banners_served,
        tracker.clicks_served,
        buffer.written,
    )


async def refresh_indexes(runtime: Runtime, interval: float | None = None) -> None:
    """Rebuild the loaded tenant indexes every `interval` seconds until cancelled.

    Without Redis no other process reports its changes, so this is how changes made in
    the admin application reach a separate tracking process.
    """
    while True:
        await asyncio.sleep(INDEX_REFRESH_SECONDS if interval is None else interval)
        runtime.indexes.invalidate_all()


def check_secrets(settings: Settings) -> str | None:
    runtime = Runtime.from_settings(settings)
    try:
        with runtime.session_factory() as session:
            return secrets_problem(session, runtime.secret_box)
    finally:
        runtime.close()


def run_tracking_server(settings: Settings, host: str, port: int, workers: int) -> int:
    """Check the schema, then serve with `workers` processes; return the exit status."""
    engine = create_db_engine(settings.database_url)
    try:
        current = schema_is_current(engine)
    finally:
        engine.dispose()
    if not current:
        logger.error("the database schema is not up to date: run `maltastic db upgrade` first")
        return 2
    problem = check_secrets(settings)
    if problem is not None:
        logger.error("%s", problem)
        return 2
    try:
        return Supervisor(settings, host, port, workers).run()
    except OSError as error:
        logger.error("cannot listen on %s port %d: %s", host, port, error)
        return 2
