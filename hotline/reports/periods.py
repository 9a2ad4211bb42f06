"""The period a report covers, as people pick it (today, yesterday, this week, this month, custom), and
the time buckets its figures are grouped by (15 minutes, hour, day, week, month).

Periods are half open, [start, end), in the site's time zone (Asia/Shanghai by default): "today" runs
from local midnight to the next. A bad request (reversed dates, a period longer than MAX_DAYS, dates
before 2000 or in the far future, an unknown preset or grain) raises a ValidationError whose message is
translated and says what to change.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Expression
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.reports import sql

MAX_DAYS = 366 * 5  # five years: the longest a report may cover
EARLIEST = datetime.date(2000, 1, 1)

PRESETS = {
    "today": gettext_lazy("Today"),
    "yesterday": gettext_lazy("Yesterday"),
    "this_week": gettext_lazy("This week"),
    "last_week": gettext_lazy("Last week"),
    "this_month": gettext_lazy("This month"),
    "last_month": gettext_lazy("Last month"),
    "custom": gettext_lazy("Custom"),
}
GRAINS = {
    "15min": gettext_lazy("15 minutes"),
    "hour": gettext_lazy("Hour"),
    "day": gettext_lazy("Day"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
}


@dataclass(frozen=True)
class Period:
    """[start, end) in aware datetimes; `first` and `last` are the local dates it covers (both included);
    `preset` is how it was picked; `grain` the bucket size its series use."""

    start: datetime.datetime
    end: datetime.datetime
    preset: str = "custom"
    grain: str = "hour"

    @property
    def first(self) -> datetime.date:
        return timezone.localtime(self.start).date()

    @property
    def last(self) -> datetime.date:
        return timezone.localtime(self.end - datetime.timedelta(microseconds=1)).date()

    def previous(self) -> Period:
        """The period of the same length just before this one (for "compare with the previous period")."""
        if self.preset in ("this_month", "last_month"):
            first = (self.first.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
            return Period(_midnight(first), self.start, self.preset, self.grain)
        days = (self.last - self.first).days + 1
        first = self.first - datetime.timedelta(days=days)
        return Period(_midnight(first), _midnight(self.first), self.preset, self.grain)

    def query(self) -> dict[str, str]:
        """The GET parameters that give this period back (for links: drill-down, export, compare)."""
        return {"period": "custom", "from": self.first.isoformat(), "to": self.last.isoformat(), "grain": self.grain}

    def label(self) -> str:
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _date(text: str, field: str) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(_("%(field)s is not a date (use YYYY-MM-DD): %(value)s")
                              % {"field": field, "value": text[:40]}, code="bad_date") from None
    return day


def preset_dates(preset: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last local dates of a preset period."""
    if preset == "today":
        return today, today
    if preset == "yesterday":
        day = today - datetime.timedelta(days=1)
        return day, day
    monday = today - datetime.timedelta(days=today.weekday())
    if preset == "this_week":
        return monday, today
    if preset == "last_week":
        return monday - datetime.timedelta(days=7), monday - datetime.timedelta(days=1)
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - datetime.timedelta(days=1)
        return last.replace(day=1), last
    raise ValidationError(_("Unknown period: %(value)s") % {"value": preset[:40]}, code="bad_period")


def default_grain(first: datetime.date, last: datetime.date) -> str:
    days = (last - first).days + 1
    return "hour" if days <= 2 else "day" if days <= 62 else "week" if days <= 366 else "month"


def parse_period(params: Mapping[str, Any], now: datetime.datetime | None = None,
                 default: str = "today") -> Period:
    """The period asked for by GET parameters `period` (a preset or "custom"), `from` and `to` (local
    dates, both included, for "custom") and `grain`. ValidationError with a translated message when bad."""
    today = timezone.localdate(now or timezone.now())
    preset = str(params.get("period") or default)
    if preset == "custom":
        first = _date(str(params.get("from") or ""), _("Start date"))
        last = _date(str(params.get("to") or params.get("from") or ""), _("End date"))
    else:
        first, last = preset_dates(preset, today)
    if last < first:
        raise ValidationError(_("The period ends (%(last)s) before it starts (%(first)s): swap the dates.")
                              % {"first": first.isoformat(), "last": last.isoformat()}, code="reversed")
    if first < EARLIEST or last > today + datetime.timedelta(days=366):
        raise ValidationError(_("Pick dates between %(earliest)s and a year from today.")
                              % {"earliest": EARLIEST.isoformat()}, code="absurd")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationError(_("A report covers at most %(days)d days; pick a shorter period.")
                              % {"days": MAX_DAYS}, code="too_long")
    grain = str(params.get("grain") or default_grain(first, last))
    if grain not in GRAINS:
        raise ValidationError(_("Unknown grouping: %(value)s") % {"value": grain[:40]}, code="bad_grain")
    if grain == "15min" and (last - first).days + 1 > 31:
        raise ValidationError(_("15-minute figures cover at most 31 days; group by hour or day."),
                              code="too_fine")
    end = _midnight(last + datetime.timedelta(days=1))
    return Period(_midnight(first), end, preset, grain)


# ---------------------------------------------------------------- time buckets in SQL and in Python

def bucket_annotations(field: str, grain: str, period: Period | None = None) -> dict[str, Expression]:
    """Annotations grouping rows by `grain` of `field` in local time: `bucket` (the truncated local
    time) and, for 15 minutes, `quarter` (0..3 within the hour). Use `bucket_start` to read them back.
    Given the `period` the rows lie in, the database computes them natively when it can (reports/sql.py)."""
    if period is not None:
        return sql.fast_bucket_annotations(field, grain, period.start, period.end)
    return sql.trunc_buckets(field, grain)


def bucket_start(row: Mapping[str, Any], grain: str) -> datetime.datetime:
    """The local start of a row's bucket from its `bucket_annotations` values."""
    start = timezone.localtime(row["bucket"]) if timezone.is_aware(row["bucket"]) else row["bucket"]
    if grain == "15min":
        start = start + datetime.timedelta(minutes=15 * int(row["quarter"]))
    return start


def bucket_of(moment: datetime.datetime, grain: str) -> datetime.datetime:
    """The local start of the bucket holding `moment` (the Python twin of `bucket_annotations`)."""
    local = timezone.localtime(moment)
    if grain == "15min":
        return local.replace(minute=local.minute // 15 * 15, second=0, microsecond=0)
    if grain == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if grain == "day":
        return day
    if grain == "week":
        return day - datetime.timedelta(days=day.weekday())
    return day.replace(day=1)


def buckets(period: Period) -> list[datetime.datetime]:
    """Every bucket start of the period in order (so series show empty buckets as zeros)."""
    found: list[datetime.datetime] = []
    current = bucket_of(period.start, period.grain)
    while current < period.end:
        found.append(current)
        current = next_bucket(current, period.grain)
    return found


def next_bucket(start: datetime.datetime, grain: str) -> datetime.datetime:
    """The start of the bucket after the one starting at `start` (its end)."""
    naive = start.replace(tzinfo=None)
    if grain == "15min":
        naive += datetime.timedelta(minutes=15)
    elif grain == "hour":
        naive += datetime.timedelta(hours=1)
    elif grain == "day":
        naive += datetime.timedelta(days=1)
    elif grain == "week":
        naive += datetime.timedelta(days=7)
    else:
        naive = (naive.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return timezone.make_aware(naive)
