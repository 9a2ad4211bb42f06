"""Database-specific speed-ups for the report queries (measured by `hotline bench reports`).

On SQLite, Django truncates a time in a time zone through a Python function called for every row
(`django_datetime_trunc`): grouping a day's 15,000 facts by hour spends most of its time there. When the
site's zone keeps one UTC offset over the period (Asia/Shanghai has had no daylight saving time since 1991),
the same buckets come from SQLite's own `strftime` on the time shifted by that offset, and back: the
bucket is the UTC moment of the local bucket's start, read back as an aware datetime like Django's.

PostgreSQL truncates natively (`DATE_TRUNC(... AT TIME ZONE ...)`), but converting every row to local time
by a named zone is most of the cost of a large GROUP BY (~0.8 s of 930,000 handlings into hourly buckets), and
Django then makes each bucket aware in Python. With one offset over the period, `date_bin` does the same on the
stored instant (whole-microsecond arithmetic, no zone lookup), from an origin at a local midnight: the bucket
is the instant the local hour, quarter-hour's hour or day starts (read back in the current zone, as Trunc's).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection
from django.db.models import DateTimeField, Expression, ExpressionWrapper, F, Func, IntegerField
from django.db.models.functions import Cast, ExtractHour, ExtractMinute, Trunc
from django.utils import timezone

# strftime formats of a bucket's local start, per grain (weeks keep Django's Trunc: SQLite has no ISO week).
_FORMATS = {"15min": "%Y-%m-%d %H:00:00", "hour": "%Y-%m-%d %H:00:00", "day": "%Y-%m-%d 00:00:00",
            "month": "%Y-%m-01 00:00:00"}


class _LocalStart(Func):
    """datetime(strftime(format, field, '+N minutes'), '-N minutes'): the UTC moment of the local bucket start."""

    output_field = DateTimeField()

    def __init__(self, field: str, fmt: str, minutes: int) -> None:
        super().__init__(F(field))
        self.fmt, self.minutes = fmt, minutes

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        inner, params = compiler.compile(self.source_expressions[0])
        shift, back = f"{self.minutes:+d} minutes", f"{-self.minutes:+d} minutes"
        return f"datetime(strftime(%s, {inner}, %s), %s)", [self.fmt, *params, shift, back]


class _Quarter(Func):
    """The quarter of the hour (0..3) of the field's local time."""

    output_field = IntegerField()

    def __init__(self, field: str, minutes: int) -> None:
        super().__init__(F(field))
        self.minutes = minutes

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        inner, params = compiler.compile(self.source_expressions[0])
        return f"(CAST(strftime('%%M', {inner}, %s) AS INTEGER) / 15)", [*params, f"{self.minutes:+d} minutes"]


def fixed_offset(start: datetime.datetime, end: datetime.datetime) -> int | None:
    """The current zone's UTC offset in minutes when it is the same all through [start, end) (checked hour by
    hour, up to five years: longer periods fall back), else None."""
    zone = timezone.get_current_timezone()
    if end - start > datetime.timedelta(days=5 * 366):
        return None
    offset = start.astimezone(zone).utcoffset()
    moment = start
    while moment < end:
        if moment.astimezone(zone).utcoffset() != offset:
            return None
        moment += datetime.timedelta(hours=1)
    if offset is None or offset.total_seconds() % 60:
        return None
    return int(offset.total_seconds() // 60)


# date_bin strides per grain on PostgreSQL (months and weeks keep Trunc).
_STRIDES = {"15min": "1 hour", "hour": "1 hour", "day": "1 day"}


class _BinStart(Func):
    """date_bin(stride, field, origin): the instant the local bucket starts, for a zone of one offset; the
    origin is a local midnight (1900-01-01 at that offset, before any fact: PostgreSQL 15 bins times before the
    origin towards it). Selected as whole epoch seconds (psycopg reads an integer in C, where Django's loader of
    a timestamptz is Python, ~6 µs a row) and read back as an aware datetime in the current zone like Trunc's,
    each bucket converted once however many rows carry it. So it is for grouping and reading back, not for
    comparing with datetimes in SQL."""

    output_field = DateTimeField()

    def __init__(self, field: str, stride: str, minutes: int) -> None:
        super().__init__(F(field))
        self.stride, self.origin = stride, _origin(minutes)
        self.zone = timezone.get_current_timezone()
        self.seen: dict[int, datetime.datetime] = {}

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        inner, params = compiler.compile(self.source_expressions[0])
        return (f"CAST(DATE_PART('epoch', date_bin(%s::interval, {inner}, %s::timestamptz)) AS bigint)",
                [self.stride, *params, self.origin])

    def get_db_converters(self, connection: Any) -> list[Any]:
        return [self._local]

    def _local(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        local = self.seen.get(value)
        if local is None:
            local = self.seen[value] = datetime.datetime.fromtimestamp(value, self.zone)
        return local


class _BinQuarter(Func):
    """The quarter of the local hour (0..3): whole quarter hours since the local hour started."""

    output_field = IntegerField()

    def __init__(self, field: str, minutes: int) -> None:
        super().__init__(F(field))
        self.origin = _origin(minutes)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        inner, params = compiler.compile(self.source_expressions[0])
        return (f"CAST(FLOOR(DATE_PART('epoch', {inner} - date_bin('1 hour'::interval, {inner}, %s::timestamptz))"
                " / 900) AS integer)", [*params, *params, self.origin])


def _origin(minutes: int) -> datetime.datetime:
    """A local midnight of a zone `minutes` ahead of UTC."""
    return datetime.datetime(1900, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(minutes=minutes)))


def _postgres_buckets(field: str, grain: str, minutes: int) -> dict[str, Expression]:
    found: dict[str, Expression] = {"bucket": _BinStart(field, _STRIDES[grain], minutes)}
    if grain == "15min":
        found["quarter"] = _BinQuarter(field, minutes)
    return found


def trunc_buckets(field: str, grain: str) -> dict[str, Expression]:
    """Django's own bucket annotations (`Trunc` in the current zone), right for any database and period."""
    tz = timezone.get_current_timezone()
    kind = "hour" if grain == "15min" else grain
    found: dict[str, Expression] = {"bucket": Trunc(field, kind, output_field=DateTimeField(), tzinfo=tz)}
    if grain == "15min":
        # Cast: PostgreSQL's EXTRACT gives a numeric, which would divide into fractions instead of quarters.
        found["quarter"] = ExpressionWrapper(Cast(ExtractMinute(F(field), tzinfo=tz), IntegerField()) / 15,
                                             output_field=IntegerField())
    return found


def fast_bucket_annotations(field: str, grain: str, start: datetime.datetime,
                            end: datetime.datetime) -> dict[str, Expression]:
    """`trunc_buckets(field, grain)` for rows in [start, end), computed by SQLite's strftime or
    PostgreSQL's date_bin when the zone keeps one offset over the period; otherwise (weeks, a DST change, other
    databases) the same annotations."""
    if connection.vendor == "postgresql" and grain in _STRIDES:
        offset = fixed_offset(start, end)
        return trunc_buckets(field, grain) if offset is None else _postgres_buckets(field, grain, offset)
    minutes = fixed_offset(start, end) if connection.vendor == "sqlite" and grain in _FORMATS else None
    if minutes is None:
        return trunc_buckets(field, grain)
    found: dict[str, Expression] = {"bucket": _LocalStart(field, _FORMATS[grain], minutes)}
    if grain == "15min":
        found["quarter"] = _Quarter(field, minutes)
    return found


class _LocalHour(Func):
    """The hour of the day (0..23) of the field's local time, by SQLite's strftime."""

    output_field = IntegerField()

    def __init__(self, field: str, minutes: int) -> None:
        super().__init__(F(field))
        self.minutes = minutes

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        inner, params = compiler.compile(self.source_expressions[0])
        return f"CAST(strftime('%%H', {inner}, %s) AS INTEGER)", [*params, f"{self.minutes:+d} minutes"]


def local_hour(field: str, start: datetime.datetime, end: datetime.datetime) -> Expression:
    """The local hour of the day of `field` (for "by hour of day" reports over [start, end)): SQLite's own
    strftime when the zone keeps one offset, else Django's ExtractHour in the current zone."""
    minutes = fixed_offset(start, end) if connection.vendor == "sqlite" else None
    if minutes is None:
        return ExtractHour(field, tzinfo=timezone.get_current_timezone())
    return _LocalHour(field, minutes)
