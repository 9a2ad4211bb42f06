"""Project-level views: the health check."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse


def engine_status() -> dict[str, object]:
    """What the telephony engine reports; until the engine runs in this process, it is absent."""
    return {"status": "absent"}


def healthz(request: HttpRequest) -> JsonResponse:
    """200 with version, database and engine status; 503 when the database cannot be reached."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = {"status": "ok", "vendor": connection.vendor}
        code = 200
    except Exception as exc:  # the point of a health check is to report, not to raise
        database = {"status": "error", "error": str(exc)[:200]}
        code = 503
    return JsonResponse({"version": settings.VERSION, "database": database, "engine": engine_status()},
                        status=code)
