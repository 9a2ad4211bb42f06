"""The blacklist screen at /blacklist/ (supervisors): every reported number with its reports (who, when,
why), blacklist a number at once, lift an entry. Writes go through `hotline.crm.actions`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.permissions import Perm
from hotline.accounts.screens import require_perm
from hotline.crm.actions import do_blacklist_number, do_lift_blacklist
from hotline.crm.models import BlacklistAction, BlacklistEntry, BlacklistReport
from hotline.lib.errors import INVALID, field_errors
from hotline.lib.phones import normalize_phone

LIMIT = 200  # entries on one page, newest first


class AddForm(forms.Form):
    """Blacklist a number at once."""

    number = forms.CharField(label=gettext_lazy("Phone number"), max_length=32)
    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=BlacklistAction.choices)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200, required=False)


class LiftForm(forms.Form):
    """Why an entry is lifted (kept in the audit log)."""

    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200, required=False)


def entries(show: str, number: str) -> QuerySet[BlacklistEntry]:
    """Entries to list: blacklisted (`active`), only reported (`reported`) or all; one number if given."""
    rows = BlacklistEntry.objects.select_related("created_by").prefetch_related(
        Prefetch("reports", BlacklistReport.objects.select_related("reported_by").order_by("-at", "-id")))
    if show == "active":
        rows = rows.filter(active=True)
    elif show == "reported":
        rows = rows.filter(active=False)
    if number:
        try:
            rows = rows.filter(number=normalize_phone(number))
        except ValidationError:
            rows = rows.none()
    return rows.order_by("-active", "-activated_at", "-created_at")


def _page(request: HttpRequest, add_form: AddForm | None = None, status: int = 200,
          lift_errors: dict[int, list[str]] | None = None) -> HttpResponse:
    show = request.GET.get("show", "active")
    number = request.GET.get("q", "").strip()
    rows = list(entries(show, number)[:LIMIT])
    for row in rows:
        row.lift_errors = (lift_errors or {}).get(row.pk, [])  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "entries": rows, "show": show, "q": number,
        "add_form": add_form or AddForm(),
        "can_manage": request.user.has_perm(Perm.MANAGE_BLACKLIST),
        "shows": [("active", _("Blacklisted")), ("reported", _("Reported only")), ("all", _("All"))],
    }
    return render(request, "crm/blacklist.html", context, status=status)


@login_required
@require_GET
def blacklist(request: HttpRequest) -> HttpResponse:
    """The list, blacklisted numbers first."""
    require_perm(request, Perm.VIEW_BLACKLIST, page=True)
    return _page(request)


@login_required
@require_POST
def add_entry(request: HttpRequest) -> HttpResponse:
    """Blacklist a number at once, warning the agent or rejecting its calls."""
    user = require_perm(request, Perm.MANAGE_BLACKLIST)
    form = AddForm(request.POST)
    if form.is_valid():
        try:
            entry = do_blacklist_number(form.cleaned_data["number"], actor=user, action=form.cleaned_data["action"],
                                        reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for field, errors in field_errors(exc).items():
                form.add_error(field if field in form.fields else "number", errors)
        else:
            messages.success(request, _("%(number)s is blacklisted.") % {"number": entry.number})
            return redirect("blacklist")
    return _page(request, add_form=form, status=INVALID)


@login_required
@require_POST
def lift_entry(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a number off the blacklist; its reports stay."""
    user = require_perm(request, Perm.MANAGE_BLACKLIST)
    entry = get_object_or_404(BlacklistEntry, pk=pk)
    form = LiftForm(request.POST)
    if form.is_valid():
        do_lift_blacklist(entry, actor=user, reason=form.cleaned_data["reason"])
        messages.success(request, _("%(number)s is off the blacklist.") % {"number": entry.number})
        return redirect("blacklist")
    errors = [str(message) for messages_ in form.errors.values() for message in messages_]
    return _page(request, status=INVALID, lift_errors={entry.pk: errors})
