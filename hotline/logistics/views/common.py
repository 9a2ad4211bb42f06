"""What every page of the logistics workbench shares: access, the tabs, and answering htmx or a full page."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from hotline.accounts.models import User
from hotline.accounts.permissions import Perm

# (name, label, url name, permission, key): the tabs, in the order the day's work goes.
TABS = [
    ("review", _("Review"), "logistics:review", Perm.REVIEW_ORDER, "1"),
    ("batches", _("Batches"), "logistics:batches", Perm.SHIP_ORDER, "2"),
    ("scan", _("Scan to ship"), "logistics:scan", Perm.SHIP_ORDER, "3"),
    ("tracking", _("Tracking"), "logistics:tracking", Perm.VIEW_LOGISTICS, "4"),
    ("returns", _("Returns"), "logistics:returns", Perm.HANDLE_RETURN, "5"),
    ("stock", _("Stock"), "logistics:stock", Perm.VIEW_LOGISTICS, "6"),
    ("feedback", _("Feedback"), "feedback:upload", Perm.RECORD_DELIVERY, "7"),
]
TAB_PERMS = {name: perm for name, _label, _url, perm, _key in TABS}


def workbench_user(request: HttpRequest, tab: str) -> User:
    """The signed-in user, if they may use the workbench and this tab; PermissionDenied (403) otherwise."""
    user: User = request.user  # type: ignore[assignment]
    if not (user.has_perm(Perm.VIEW_LOGISTICS) and user.has_perm(TAB_PERMS[tab])):
        raise PermissionDenied()
    return user


def may(user: Any, perm: Perm) -> bool:
    return bool(user.has_perm(perm))


def tabs_for(user: Any) -> list[dict[str, Any]]:
    return [{"name": name, "label": label, "url": url, "key": key}
            for name, label, url, perm, key in TABS if user.has_perm(perm)]


def page(request: HttpRequest, template: str, tab: str, context: dict[str, Any], *, status: int = 200,
         fragment: str | None = None) -> HttpResponse:
    """The tab's page, or only `fragment` when htmx asked for it."""
    if fragment is not None and getattr(request, "htmx", False):
        return render(request, fragment, context, status=status)
    return render(request, template, {**context, "tab": tab, "tabs": tabs_for(request.user)}, status=status)
