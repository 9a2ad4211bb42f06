"""The desk's customer tools (htmx fragments in the pop's dialog): report the caller's number as a nuisance
(F10), set the member's PIN with the customer on the line (Alt+P), edit the caller's record (Alt+E).

Each view checks its permission, validates a form, calls one action and renders the result; a refusal is
answered 422 with the messages on their fields, and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hotline.accounts.permissions import Perm
from hotline.accounts.screens import require_perm
from hotline.crm.actions import do_report_number, do_set_member_pin
from hotline.crm.models import Customer
from hotline.desk.customer_actions import do_edit_customer
from hotline.desk.customer_forms import CustomerEditForm, PinForm, ReportForm
from hotline.lib.errors import INVALID


def apply_errors(form: Any, exc: ValidationError, fallback: str | None = None) -> None:
    """Put an action's messages on the form's fields; those of fields the form lacks go to `fallback`."""
    if not hasattr(exc, "error_dict"):
        form.add_error(fallback, exc.messages)
        return
    for field, errors in exc.error_dict.items():
        messages = ValidationError(errors).messages
        form.add_error(field if field in form.fields else fallback, messages)


def _customer(request: HttpRequest) -> Customer:
    require_perm(request, Perm.VIEW_CUSTOMER)
    raw = request.POST.get("customer_id") or request.GET.get("customer_id") or ""
    return get_object_or_404(Customer, pk=int(raw) if raw.isdigit() else 0)


def _fragment(request: HttpRequest, template: str, context: dict[str, Any], ok: bool) -> HttpResponse:
    return render(request, template, context, status=200 if ok else INVALID)


@login_required
@require_POST
def report_number(request: HttpRequest) -> HttpResponse:
    """Report the caller's number (F10), during or after the call, with an optional reason."""
    user = require_perm(request, Perm.REPORT_NUMBER)
    form = ReportForm(request.POST)
    entry = None
    if form.is_valid():
        try:
            entry = do_report_number(form.cleaned_data["number"], actor=user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc, fallback="number")
    return _fragment(request, "desk/customer_report.html", {"form": form, "entry": entry}, entry is not None)


@login_required
@require_POST
def set_pin(request: HttpRequest) -> HttpResponse:
    """Set the member's PIN (Alt+P): the agent types what the customer says, twice."""
    user = require_perm(request, Perm.SET_MEMBER_PIN)
    customer = _customer(request)
    form = PinForm(request.POST)
    done = False
    if form.is_valid():
        try:
            do_set_member_pin(customer, form.cleaned_data["pin"], actor=user)
            done = True
        except ValidationError as exc:
            apply_errors(form, exc, fallback="pin")
    return _fragment(request, "desk/customer_pin.html", {"form": form, "customer": customer, "done": done}, done)


@login_required
@require_http_methods(["GET", "POST"])
def edit_customer(request: HttpRequest) -> HttpResponse:
    """The caller's record (Alt+E): name, gender, birthday (lunar or not), member number, preferences, address."""
    customer = _customer(request)
    if request.method == "GET":
        form = CustomerEditForm.for_customer(customer)
        return _fragment(request, "desk/customer_edit.html", {"form": form, "customer": customer}, True)
    user = require_perm(request, Perm.CHANGE_CUSTOMER)
    form = CustomerEditForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            customer = do_edit_customer(customer, form.changes(), actor=user, address=form.cleaned_data["address"])
            saved = True
        except ValidationError as exc:
            apply_errors(form, exc)
    if saved:
        form = CustomerEditForm.for_customer(customer)
    context = {"form": form, "customer": customer, "saved": saved,
               "message": _("Saved.") if saved else ""}
    return _fragment(request, "desk/customer_edit.html", context, saved)
