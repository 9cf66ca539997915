"""The precompiled statements' own SQLite datetime formatting stores exactly what
SQLAlchemy's ``UTCDateTime`` and SQLite ``DATETIME`` processors would (filters compare the
stored text, so one odd format would misorder rows), and reads it back as they would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite

from backend.store.compiled import _dt
from backend.store.models.base import UTCDateTime, utc_text


def sqlalchemy_stores(value: datetime) -> str:
    dialect = sqlite.dialect()
    process = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    return str(process(value))


VALUES = [
    datetime(2026, 12, 4, 8, 58, tzinfo=UTC),
    datetime(2026, 12, 4, 8, 58, 0, 123, tzinfo=UTC),
    datetime(2026, 12, 4, 23, 30, 5, 999999, tzinfo=timezone(timedelta(hours=-5))),
    datetime(1, 1, 1, tzinfo=UTC),
]


@pytest.mark.parametrize("value", VALUES)
def test_utc_datetimes_are_stored_as_sqlalchemy_stores_them(value: datetime) -> None:
    assert utc_text(value) == sqlalchemy_stores(value)


@pytest.mark.parametrize("value", VALUES)
def test_stored_text_reads_back_as_the_aware_utc_datetime_sqlalchemy_reads(value: datetime) -> None:
    stored = sqlalchemy_stores(value)
    dialect = sqlite.dialect()
    process = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    assert process is not None
    expected = process(stored)
    assert _dt(stored) == expected == value
    assert _dt(stored).tzinfo is UTC and expected.tzinfo is UTC
    assert _dt(stored.replace(" ", "T") + "-05:00") == value + timedelta(hours=5)  # an offset


def test_the_text_up_to_the_second_is_reused_only_within_that_second() -> None:
    t = datetime(2026, 12, 31, 23, 59, 59, 999998, tzinfo=UTC)
    sequence = [
        t,
        t + timedelta(microseconds=1),  # the same second
        t + timedelta(microseconds=2),  # the next second, minute, hour, day and year
        t - timedelta(days=1),  # the same time of day, another day
        t - timedelta(days=365),  # ...another year
        t.astimezone(timezone(timedelta(hours=2))),  # the same instant in another zone
        t,
    ]
    for value in sequence:
        assert utc_text(value) == sqlalchemy_stores(value)
        assert utc_text(value) == value.astimezone(UTC).isoformat(" ", "microseconds")[:-6]


def test_a_naive_datetime_is_refused_as_sqlalchemy_refuses_it() -> None:
    naive = datetime(2026, 12, 4, 8, 58)
    with pytest.raises(ValueError):
        sqlalchemy_stores(naive)
    with pytest.raises(ValueError):
        utc_text(naive)
