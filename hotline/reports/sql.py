"""Database-specific speed-ups for the report queries (measured by `hotline bench reports`).

On SQLite, Django truncates a time in a time zone through a Python function called for every row
(`django_datetime_trunc`): grouping a day's 15,000 facts by hour spends most of its time there. When the
site's zone keeps one UTC offset over the period (Asia/Shanghai has had no daylight saving time since 1991),
the same buckets come from SQLite's own `strftime` on the time shifted by that offset, and back: the
bucket is the UTC moment of the local bucket's start, read back as an aware datetime like Django's.
PostgreSQL truncates natively (`DATE_TRUNC(... AT TIME ZONE ...)`), so it keeps `bucket_annotations`.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection
from django.db.models import DateTimeField, Expression, F, Func, IntegerField
from django.db.models.functions import ExtractHour
from django.utils import timezone

from hotline.reports.periods import bucket_annotations

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


def fast_bucket_annotations(field: str, grain: str, start: datetime.datetime,
                            end: datetime.datetime) -> dict[str, Expression]:
    """`periods.bucket_annotations(field, grain)` for rows in [start, end), computed by SQLite itself when the
    zone keeps one offset over the period; otherwise (PostgreSQL, weeks, a DST change) the same annotations."""
    minutes = fixed_offset(start, end) if connection.vendor == "sqlite" and grain in _FORMATS else None
    if minutes is None:
        return bucket_annotations(field, grain, None)
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
