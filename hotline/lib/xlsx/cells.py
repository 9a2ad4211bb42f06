"""Cells to typed values, the way spreadsheets hold them; each parser raises a clear ValidationError."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import TextChoices
from django.utils import timezone, translation
from django.utils.translation import gettext as _

MAX_CELL_CHARS = 10_000
CENT = Decimal("0.01")


def is_blank(value: Any) -> bool:
    """An empty cell, or one holding only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def parse_text(value: Any, max_length: int = MAX_CELL_CHARS) -> str:
    """A cell as stripped text; numbers typed into text columns (phones, codes) lose Excel's `.0`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "1" if value else "0"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, datetime.datetime | datetime.date | datetime.time):
        text = value.isoformat()
    else:
        text = str(value).strip()
    if len(text) > max_length:
        raise ValidationError(_("At most %(max)d characters (this has %(length)d).")
                              % {"max": max_length, "length": len(text)})
    return text


def parse_decimal(value: Any) -> Decimal | None:
    """A number of yuan: a number cell, or text like `¥1,280.00` / `1280元`; blank gives None."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": value})
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest decimal that round-trips, not the binary expansion
    text = str(value).strip().replace(",", "").replace("¥", "").replace("￥", "").removesuffix("元").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": value}) from None
    if not number.is_finite():
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": value})
    return number


def parse_amount(value: Any) -> Decimal | None:
    """A non-negative amount of yuan with at most two decimals (prices, costs); blank gives None."""
    number = parse_decimal(value)
    if number is None:
        return None
    if number < 0:
        raise ValidationError(_("An amount cannot be negative."))
    if number != number.quantize(CENT):
        raise ValidationError(_("“%(value)s” has more than two decimal places.") % {"value": value})
    return number.quantize(CENT)


def parse_int(value: Any) -> int | None:
    """A whole number; `12`, `12.0` and `"12"` are fine, `12.5` is not; blank gives None."""
    number = parse_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValidationError(_("“%(value)s” is not a whole number.") % {"value": value})
    return int(number)


_TRUE = {"1", "y", "yes", "true", "t", "是", "对", "✓", "√"}
_FALSE = {"", "0", "n", "no", "false", "f", "否", "不", "不是"}


def parse_bool(value: Any) -> bool:
    """Yes/no in English or Chinese (是/否), 1/0, true/false, or a tick; blank is no."""
    if isinstance(value, bool):
        return value
    text = parse_text(value).lower()
    if text in _TRUE or text == _("Yes").lower():
        return True
    if text in _FALSE or text == _("No").lower():
        return False
    raise ValidationError(_("“%(value)s” is not yes or no.") % {"value": value})


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATETIME_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+|T)(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")
_TIME_RE = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")


def parse_date(value: Any) -> datetime.date | None:
    """A date cell, or text as 2025-11-24, 2025/11/24, 2025.11.24, 20251124 or 2025年11月24日."""
    if is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = parse_text(value)
    match = _DATE_RE.match(text) or re.match(r"^(\d{4})(\d{2})(\d{2})$", text)
    try:
        if match:
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    raise ValidationError(_("“%(value)s” is not a date (use YYYY-MM-DD).") % {"value": value})


def parse_datetime(value: Any) -> datetime.datetime | None:
    """A date-time cell or `2025-11-24 20:30[:00]` text, read in TIME_ZONE; to the whole second."""
    if is_blank(value):
        return None
    naive = value if isinstance(value, datetime.datetime) else _datetime_from_text(parse_text(value))
    if naive is None:
        raise ValidationError(_("“%(value)s” is not a date and time (use YYYY-MM-DD HH:MM).") % {"value": value})
    return _aware(_whole_second(naive))


def _datetime_from_text(text: str) -> datetime.datetime | None:
    match = _DATETIME_RE.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
    try:
        return datetime.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def parse_time(value: Any) -> datetime.time | None:
    """A time cell, `20:30[:00]` text, or Excel's fraction of a day; blank gives None."""
    if is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return _whole_second(value).time()
    if isinstance(value, datetime.time):
        return value.replace(microsecond=0)
    if isinstance(value, float) and 0 <= value < 1:
        seconds = round(value * 86400)
        return datetime.time(seconds // 3600, seconds % 3600 // 60, seconds % 60)
    match = _TIME_RE.match(parse_text(value))
    try:
        if match:
            return datetime.time(int(match[1]), int(match[2]), int(match[3] or 0))
    except ValueError:
        pass
    raise ValidationError(_("“%(value)s” is not a time (use HH:MM).") % {"value": value})


def parse_seconds(value: Any) -> int | None:
    """A length in seconds: a number, `m:ss` / `h:mm:ss` text, or a duration cell; blank gives None."""
    if is_blank(value):
        return None
    if isinstance(value, datetime.timedelta):
        return round(value.total_seconds())
    if isinstance(value, datetime.time):
        return value.hour * 3600 + value.minute * 60 + value.second
    text = parse_text(value)
    if ":" in text or "：" in text:
        parts = re.split(r"[:：]", text)
        if len(parts) in (2, 3) and all(part.isdigit() for part in parts):
            seconds = 0
            for part in parts:
                seconds = seconds * 60 + int(part)
            return seconds
        raise ValidationError(_("“%(value)s” is not a length (use seconds or m:ss).") % {"value": value})
    return parse_int(value)


def parse_choice(value: Any, choices: type[TextChoices], aliases: Mapping[str, str] | None = None) -> str | None:
    """A choice given by its code, its label in English or the current language, or an alias."""
    text = parse_text(value).lower()
    if not text:
        return None
    names = {alias.lower(): code for alias, code in (aliases or {}).items()}
    with translation.override("en"):
        names.update({str(label).lower(): code for code, label in choices.choices})
    names.update({str(label).lower(): code for code, label in choices.choices})
    names.update({str(code).lower(): code for code in choices.values})
    if text in names:
        return names[text]
    raise ValidationError(_("“%(value)s” is not one of: %(choices)s.")
                          % {"value": value, "choices": ", ".join(str(label) for label in choices.labels)})


def _whole_second(value: datetime.datetime) -> datetime.datetime:
    """Excel keeps times as fractions of a day, so 20:30 may come back as 20:29:59.999999."""
    return (value + datetime.timedelta(microseconds=500_000)).replace(microsecond=0)


def _aware(value: datetime.datetime) -> datetime.datetime:
    if timezone.is_aware(value):
        return value
    return timezone.make_aware(value, timezone.get_default_timezone())


def local_naive(value: datetime.datetime | None) -> datetime.datetime | None:
    """An aware time as the wall-clock time of TIME_ZONE, as spreadsheets want it (no zone, no µs)."""
    if value is None:
        return None
    return timezone.localtime(value, timezone.get_default_timezone()).replace(tzinfo=None, microsecond=0)
