"""Project-level views: the start page by role, and the health check."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse

from hotline.accounts.permissions import Perm


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


def home(request: HttpRequest) -> HttpResponseRedirect:
    """Where a user starts: supervisors at the wallboard, agents at the desk, everybody else in the back
    office; anybody signed out at the sign-in page."""
    user = request.user
    if not user.is_authenticated:
        return HttpResponseRedirect("/login/")
    if user.has_perm(Perm.SUPERVISE_CALLS):
        return HttpResponseRedirect("/wallboard/")
    if user.has_perm(Perm.TAKE_CALLS):
        return HttpResponseRedirect("/desk/")
    return HttpResponseRedirect("/admin/")
