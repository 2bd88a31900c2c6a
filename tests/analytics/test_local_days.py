"""Rollup days and stored event times: the shortcuts agree with plain conversion."""

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from maltastic.analytics.rollups import LocalDays
from maltastic.tracking.storage import sqlite_time

ZONES = [ZoneInfo(name) for name in ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe")]
START = dt.datetime(2026, 3, 27, tzinfo=dt.UTC)  # days before Berlin's switch to summer time
moments = st.integers(min_value=0, max_value=10 * 24 * 3600 * 1_000_000).map(
    lambda micros: START + dt.timedelta(microseconds=micros)
)


@given(zone=st.sampled_from(ZONES), sequence=st.lists(moments, max_size=40))
def test_local_days_match_conversion(zone: ZoneInfo, sequence: list[dt.datetime]) -> None:
    days = LocalDays(zone)
    for moment in sorted(sequence) + sequence:
        assert days.day_of(moment) == moment.astimezone(zone).date()


def test_midnight_belongs_to_the_new_day() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    days = LocalDays(berlin)
    midnight = dt.datetime(2026, 12, 5, tzinfo=berlin).astimezone(dt.UTC)
    assert days.day_of(midnight - dt.timedelta(microseconds=1)) == dt.date(2026, 12, 4)
    assert days.day_of(midnight) == dt.date(2026, 12, 5)


@given(moment=moments, zone=st.sampled_from([dt.UTC, *ZONES]))
def test_sqlite_time_matches_isoformat(moment: dt.datetime, zone: dt.tzinfo) -> None:
    expected = moment.isoformat(" ", "microseconds")[:26]
    assert sqlite_time(moment.astimezone(zone)) == expected


def test_midnight_in_a_repeated_hour() -> None:
    """St. John's set its clocks back from 00:01 to 23:01 on 7 November 2010."""
    st_johns = ZoneInfo("America/St_Johns")
    days = LocalDays(st_johns)
    first = dt.datetime(2010, 11, 7, 2, 30, tzinfo=dt.UTC)  # 00:00 local, before the change
    second = dt.datetime(2010, 11, 7, 3, 0, tzinfo=dt.UTC)  # 23:30 local, after it
    assert days.day_of(first) == dt.date(2010, 11, 7)
    assert days.day_of(second) == dt.date(2010, 11, 6)
