"""Settings of the calls app, read once with typed defaults (ARCHITECTURE rule 7).

`HOTLINE_RECORDING_RETENTION_DAYS` (default 90, 0 keeps recordings forever) is read from the environment
by settings.py. Per-queue KPI settings come from `HOTLINE_QUEUE_KPI`
(a dict queue name -> {"service_level_seconds", "service_level_variant", "short_abandon_seconds"}).
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from hotline.telephony.callback.model import CallbackSettings
from hotline.telephony.callback.surge import SurgeSettings
from hotline.telephony.config import CallbackConfig
from hotline.telephony.dial_policy import DialSettings, NumberClass


def recording_retention_days() -> int:
    """Days a recording is kept; 0 means forever (validated at start-up in settings)."""
    return int(settings.HOTLINE_RECORDING_RETENTION_DAYS)


def queue_kpi_overrides(queue: str) -> dict[str, Any]:
    """The KPI settings configured for `queue` (empty when it uses the defaults)."""
    table = getattr(settings, "HOTLINE_QUEUE_KPI", None) or {}
    return dict(table.get(queue) or table.get("*") or {})


def surge_settings() -> SurgeSettings | None:
    """The engine's surge protection from settings (None when `HOTLINE_SURGE` is off)."""
    if not settings.HOTLINE_SURGE:
        return None
    abandon = settings.HOTLINE_ABANDON_CALLBACK_SECONDS
    return SurgeSettings(
        lines=settings.HOTLINE_LINES, occupancy_threshold=settings.HOTLINE_SURGE_OCCUPANCY_PERCENT / 100,
        max_wait_seconds=settings.HOTLINE_SURGE_MAX_WAIT,
        abandon_callback_seconds=None if abandon < 0 else float(abandon),
        offer_key=settings.HOTLINE_CALLBACK_KEY, retry_after_seconds=settings.HOTLINE_RETRY_AFTER,
    )


def callback_config() -> CallbackConfig:
    """The callback dialer's policy from settings, in the site's time zone."""
    start, end = calling_window(settings.HOTLINE_CALLBACK_WINDOW)
    policy = CallbackSettings(
        max_attempts=settings.HOTLINE_CALLBACK_ATTEMPTS,
        retry_interval_seconds=settings.HOTLINE_CALLBACK_RETRY_MINUTES * 60.0,
        expiry_seconds=settings.HOTLINE_CALLBACK_EXPIRY_HOURS * 3600.0, window_start=start, window_end=end,
    )
    return CallbackConfig(policy=policy, queue=settings.HOTLINE_CALLBACK_QUEUE,
                          timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def calling_window(text: str) -> tuple[datetime.time, datetime.time]:
    """"08:00-21:00" → (08:00, 21:00); ImproperlyConfigured for anything else."""
    try:
        start, end = (datetime.time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError as error:
        raise ImproperlyConfigured(f"HOTLINE_CALLBACK_WINDOW is HH:MM-HH:MM; got {text!r}") from error
    if start >= end:
        raise ImproperlyConfigured(f"HOTLINE_CALLBACK_WINDOW must start before it ends; got {text!r}")
    return start, end


def dial_settings() -> DialSettings:
    """The outbound dial policy from settings (HOTLINE_DIAL_*): the engine's and click-to-dial's."""
    return DialSettings(
        allow=frozenset(NumberClass(kind) for kind in settings.HOTLINE_DIAL_ALLOW),
        allow_prefixes=tuple(settings.HOTLINE_DIAL_ALLOW_PREFIXES),
        deny_prefixes=tuple(settings.HOTLINE_DIAL_DENY_PREFIXES),
        per_number_daily=settings.HOTLINE_DIAL_LIMIT_PER_NUMBER,
        per_prefix_daily=settings.HOTLINE_DIAL_LIMIT_PER_PREFIX,
        prefix_digits=min(settings.HOTLINE_DIAL_PREFIX_DIGITS, 16),
    )
