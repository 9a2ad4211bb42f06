"""What every page of the finance workbench shares: access, the tabs, and answering htmx or a full page."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from hotline.accounts.models import User
from hotline.accounts.permissions import Perm

# (name, label, url name, permission, key): the tabs, in the order a finance clerk's day goes.
TABS = [
    ("receivables", _("Receivables"), "finance:receivables", Perm.VIEW_FINANCE, "1"),
    ("remittances", _("Remittances"), "finance:remittances", Perm.VIEW_FINANCE, "2"),
    ("open_items", _("Open items"), "finance:open-items", Perm.VIEW_FINANCE, "3"),
    ("payments", _("Payments and refunds"), "finance:payments", Perm.VIEW_FINANCE, "4"),
    ("close", _("Daily close"), "finance:close", Perm.VIEW_FINANCE, "5"),
    ("freight", _("Freight bills"), "finance:freight", Perm.VIEW_FINANCE, "6"),
]
TAB_PERMS = {name: perm for name, _label, _url, perm, _key in TABS}


def finance_user(request: HttpRequest, tab: str, perm: Perm | None = None) -> User:
    """The signed-in user, if they may see the finance workbench, this tab and (for a write) `perm`;
    PermissionDenied (403) otherwise."""
    user: User = request.user  # type: ignore[assignment]
    if not (user.has_perm(Perm.VIEW_FINANCE) and user.has_perm(TAB_PERMS[tab])):
        raise PermissionDenied()
    if perm is not None and not user.has_perm(perm):
        raise PermissionDenied()
    return user


def tabs_for(user: Any) -> list[dict[str, Any]]:
    return [{"name": name, "label": label, "url": url, "key": key}
            for name, label, url, perm, key in TABS if user.has_perm(perm)]


def page(request: HttpRequest, template: str, tab: str, context: dict[str, Any], *, status: int = 200,
         fragment: str | None = None) -> HttpResponse:
    """The tab's page, or only `fragment` when htmx asked for it."""
    if fragment is not None and getattr(request, "htmx", False):
        return render(request, fragment, context, status=status)
    return render(request, template, {**context, "tab": tab, "tabs": tabs_for(request.user)}, status=status)
