"""The declarative base, naming conventions and column helpers shared by every table."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on both SQLite (which has no time zones) and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def as_utc(value: datetime | str) -> datetime:
    """The aware UTC datetime a stored time stands for: a datetime (a naive one is UTC, as
    SQLite keeps them) or ISO text. SQLite's naive UTC text is read in one parse: the offset
    is added to the text (``datetime.replace`` costs several times a parse)."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value + "+00:00")
        except ValueError:  # text with an offset of its own
            value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The last second ``utc_text`` wrote: ((second, minute, hour, day, month, year), its text).
# One tuple, replaced whole, so a thread reads a consistent pair.
_last_second: tuple[tuple[int, ...], str] = ((), "")


def utc_text(value: datetime) -> str:
    """An aware datetime as SQLite keeps a UTC time: ``2026-12-04 08:58:00.123456`` (naive
    UTC, microseconds always), what ``isoformat(" ", "microseconds")`` writes without the
    offset. The text up to the second is reused while the second lasts: ``isoformat`` costs
    about a microsecond, and a SCIM write binds several times of one second."""
    global _last_second
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
    key = (value.second, value.minute, value.hour, value.day, value.month, value.year)
    last = _last_second
    if last[0] != key:
        last = _last_second = (key, value.isoformat(" ", "seconds")[:-6])
    return f"{last[1]}.{value.microsecond:06d}"


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A 128-bit identifier as 32 hex characters (also the SCIM ``id``): the time in
    milliseconds (48 bits), then 80 random bits, laid out as in UUIDv7. Rows made one after
    another then sit side by side in their primary-key index, so a batch of new rows dirties
    a few pages of it instead of one random page each; the random part keeps an id
    unguessable."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


def new_token_id() -> str:
    return secrets.token_hex(8)
