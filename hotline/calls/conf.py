"""Settings of the calls app, read once with typed defaults (ARCHITECTURE rule 7).

`HOTLINE_RECORDING_RETENTION_DAYS` (default 90, 0 keeps recordings forever) is read from the environment
by settings.py. Per-queue KPI settings come from `HOTLINE_QUEUE_KPI`
(a dict queue name -> {"service_level_seconds", "service_level_variant", "short_abandon_seconds"}).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


def recording_retention_days() -> int:
    """Days a recording is kept; 0 means forever (validated at start-up in settings)."""
    return int(settings.HOTLINE_RECORDING_RETENTION_DAYS)


def queue_kpi_overrides(queue: str) -> dict[str, Any]:
    """The KPI settings configured for `queue` (empty when it uses the defaults)."""
    table = getattr(settings, "HOTLINE_QUEUE_KPI", None) or {}
    return dict(table.get(queue) or table.get("*") or {})
