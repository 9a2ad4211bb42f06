"""Project-level views: the start page by role, the health check, and the error pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from hotline.accounts.permissions import Perm, Role
from hotline.calls.health import engine_status


def healthz(request: HttpRequest) -> JsonResponse:
    """200 with version, database and engine status (`hotline.calls.health.engine_status`); 503 when the
    database cannot be reached, and with `?require=engine` also when the engine is not ok."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = {"status": "ok", "vendor": connection.vendor}
        code = 200
    except Exception as exc:  # the point of a health check is to report, not to raise
        database = {"status": "error", "error": str(exc)[:200]}
        code = 503
    engine = engine_status()
    if request.GET.get("require") == "engine" and engine["status"] != "ok":
        code = 503
    return JsonResponse({"version": settings.VERSION, "database": database, "engine": engine}, status=code)


def start_page(user: Any) -> str:
    """Where a user starts: supervisors at the wallboard, agents at the desk, logistics and finance at their
    workbenches, managers at the reports, everybody else in the back office; anybody signed out at the sign-in page."""
    if user is None or not user.is_authenticated:
        return settings.LOGIN_URL
    if user.has_perm(Perm.SUPERVISE_CALLS):
        return "/wallboard/"
    if user.has_perm(Perm.TAKE_CALLS):
        return "/desk/"
    if getattr(user, "role", "") == Role.LOGISTICS and user.has_perm(Perm.VIEW_LOGISTICS):
        return "/logistics/"
    if getattr(user, "role", "") == Role.FINANCE and user.has_perm(Perm.VIEW_FINANCE):
        return "/finance/"
    if getattr(user, "role", "") == Role.MANAGER and user.has_perm(Perm.VIEW_REPORTS):
        return "/reports/"
    return "/admin/"


def home(request: HttpRequest) -> HttpResponseRedirect:
    """The start page: each user is sent to their screen (`start_page`)."""
    return HttpResponseRedirect(start_page(request.user))


# ---------------------------------------------------------------- error pages (handler403/404/500)
# Rendered without the request's context processors: the frame needs no session, CSRF token or database,
# so the 500 page renders even when one of those is what failed.


def _way_back(request: HttpRequest, *, sign_in_next: bool) -> dict[str, str]:
    """The error page's one link: the user's start page, or sign-in (back here afterwards, when asked)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return {"back_url": start_page(user), "back_label": _("Back to my start page"),
                "who": user.get_full_name() or user.get_username()}
    query = "?" + urlencode({"next": request.get_full_path()}) if sign_in_next else ""
    return {"back_url": settings.LOGIN_URL + query, "back_label": _("Sign in"), "who": ""}


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403: what was refused, with the refusal's own words when it has some, and the way back."""
    detail = str(exception) if exception is not None and exception.args else ""
    context = {**_way_back(request, sign_in_next=True), "detail": detail}
    return HttpResponse(render_to_string("403.html", context), status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: the way back, never the URL patterns or the exception's text."""
    return HttpResponse(render_to_string("404.html", _way_back(request, sign_in_next=False)), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: touches neither the session nor the database, which may be what failed."""
    return HttpResponse(render_to_string("500.html", {"back_url": "/"}), status=500)
