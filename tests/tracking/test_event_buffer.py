"""The event buffer writes in batches by size and time and loses nothing on close."""

import asyncio
import datetime as dt
import threading

import pytest

from maltastic.tracking.events import EventBuffer, PendingEvent
from maltastic.tracking.models import EventKind, TrafficClass


def event(number: int) -> PendingEvent:
    return PendingEvent(
        1,
        dt.datetime.now(dt.UTC),
        EventKind.IMPRESSION,
        TrafficClass.HUMAN,
        "",
        number,
        None,
        None,
        None,
        None,
    )


class RecordingWriter:
    def __init__(self, failures: int = 0) -> None:
        self.batches: list[list[PendingEvent]] = []
        self.failures = failures
        self.lock = threading.Lock()

    def __call__(self, batch: list[PendingEvent]) -> None:
        with self.lock:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("database unavailable")
            self.batches.append(batch)

    def written(self) -> list[int | None]:
        return [e.campaign_id for batch in self.batches for e in batch]


def test_full_batch_is_written_early() -> None:
    async def scenario() -> RecordingWriter:
        writer = RecordingWriter()
        buffer = EventBuffer(writer, max_batch=10, max_delay=60)
        buffer.start()
        for number in range(25):
            buffer.add(event(number))
        await asyncio.sleep(0.3)
        assert len(writer.written()) >= 10
        await buffer.close()
        return writer

    writer = asyncio.run(scenario())
    assert writer.written() == list(range(25))
    assert max(len(batch) for batch in writer.batches) <= 10


def test_time_limit_writes_small_batch() -> None:
    async def scenario() -> RecordingWriter:
        writer = RecordingWriter()
        buffer = EventBuffer(writer, max_batch=1000, max_delay=0.05)
        buffer.start()
        buffer.add(event(1))
        await asyncio.sleep(0.4)
        written = writer.written()
        await buffer.close()
        assert written == [1]
        return writer

    asyncio.run(scenario())


def test_close_writes_everything() -> None:
    async def scenario() -> RecordingWriter:
        writer = RecordingWriter()
        buffer = EventBuffer(writer, max_batch=7, max_delay=60)
        buffer.start()
        for number in range(100):
            buffer.add(event(number))
        await buffer.close()
        return writer

    assert asyncio.run(scenario()).written() == list(range(100))


def test_failed_write_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("maltastic.tracking.events.RETRY_DELAY", 0.01)

    async def scenario() -> RecordingWriter:
        writer = RecordingWriter(failures=2)
        buffer = EventBuffer(writer, max_batch=5, max_delay=0.01)
        buffer.start()
        for number in range(12):
            buffer.add(event(number))
        await buffer.close()
        return writer

    assert sorted(n for n in asyncio.run(scenario()).written() if n is not None) == list(range(12))
